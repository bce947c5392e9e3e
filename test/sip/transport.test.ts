import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { createStreamFramer } from '../../src/sip/transport.ts';

const withBody = 'SIP/2.0 200 OK\r\nCSeq: 1 REGISTER\r\nContent-Length: 5\r\n\r\nhello';
const compact = 'SIP/2.0 401 Unauthorized\r\nl: 0\r\nCSeq: 2 REGISTER\r\n\r\n';
const utf8Body = 'SIP/2.0 200 OK\r\ncontent-length:  4 \r\n\r\nñé';

function frame(chunks: Buffer[]): { frames: string[]; errors: string[] } {
  const frames: string[] = [];
  const errors: string[] = [];
  const framer = createStreamFramer(
    (f) => frames.push(f.toString('utf8')),
    (e) => errors.push(e),
  );
  for (const chunk of chunks) framer.push(chunk);
  return { frames, errors };
}

describe('TCP framing by Content-Length', () => {
  const stream = Buffer.from(`\r\n\r\n${withBody}${compact}\r\n${utf8Body}`);

  it('cuts coalesced messages apart, skipping keepalive CRLFs', () => {
    expect(frame([stream])).toEqual({ frames: [withBody, compact, utf8Body], errors: [] });
  });

  it('gives the same frames however the stream is split', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 12 }), (cuts) => {
        const sorted = [0, ...cuts.sort((a, b) => a - b), stream.length];
        const chunks = sorted.slice(1).map((end, i) => stream.subarray(sorted[i], end));
        expect(frame(chunks)).toEqual({ frames: [withBody, compact, utf8Body], errors: [] });
      }),
      { numRuns: 300 },
    );
  });

  it('waits for the rest of a body', () => {
    expect(frame([Buffer.from(withBody.slice(0, -2))])).toEqual({ frames: [], errors: [] });
  });

  it.each([
    ['SIP/2.0 200 OK\r\nCSeq: 1 REGISTER\r\n\r\n', 'no Content-Length'],
    ['SIP/2.0 200 OK\r\nContent-Length: -1\r\n\r\n', 'Content-Length is not a number'],
    ['SIP/2.0 200 OK\r\nContent-Length: 99999999\r\n\r\n', 'too large'],
    [`SIP/2.0 200 OK\r\nX: ${'a'.repeat(70 * 1024)}`, 'too long'],
  ])('gives up on %#: %s', (text, reason) => {
    const { frames, errors } = frame([Buffer.from(text), Buffer.from(withBody)]);
    expect(frames).toEqual([]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(reason);
  });
});
