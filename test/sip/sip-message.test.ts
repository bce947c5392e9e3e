import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  headerValue,
  headerValues,
  parseResponse,
  serializeRequest,
  splitTopLevelCommas,
  topViaBranch,
  type SipResponse,
} from '../../src/sip/sip-message.ts';

const KAMAILIO_200 = [
  'SIP/2.0 200 OK',
  'Via: SIP/2.0/UDP 127.0.0.1:47649;rport=47649;branch=z9hG4bK72cd91cecb6a3577;received=127.0.0.1',
  'From: <sip:alice@127.0.0.1>;tag=6a45de8a',
  'To: <sip:alice@127.0.0.1>;tag=8c852b843b64ad397b8721f161e01a82.64be1ebe',
  'Call-ID: f7025b5ad37ffd75@127.0.0.1',
  'CSeq: 2 REGISTER',
  'Contact: <sip:alice@127.0.0.1:47649;transport=udp>;expires=60',
  'Server: test-registrar (kamailio)',
  'Content-Length: 0',
  '',
  '',
].join('\r\n');

function ok(input: string | Uint8Array): SipResponse {
  const parsed = parseResponse(input);
  if (parsed.kind !== 'ok') throw new Error(`expected ok, got malformed: ${parsed.reason}`);
  return parsed.response;
}

function reasonOf(input: string): string {
  const parsed = parseResponse(input);
  if (parsed.kind !== 'malformed') throw new Error('expected malformed');
  return parsed.reason;
}

const MINIMAL_HEADERS =
  'Via: SIP/2.0/UDP h;branch=z9hG4bKx\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\n';

describe('parsing SIP responses', () => {
  it('reads a real Kamailio 200 OK', () => {
    const response = ok(KAMAILIO_200);
    expect(response.statusCode).toBe(200);
    expect(response.reason).toBe('OK');
    expect(response.cseq).toEqual({ seq: 2, method: 'REGISTER' });
    expect(topViaBranch(response)).toBe('z9hG4bK72cd91cecb6a3577');
    expect(headerValue(response, 'Contact')).toBe('<sip:alice@127.0.0.1:47649;transport=udp>;expires=60');
    expect(headerValue(response, 'server')).toBe('test-registrar (kamailio)');
    expect(response.body).toBe('');
  });

  it('expands compact header names and is case-insensitive about names', () => {
    const response = ok(
      'SIP/2.0 200 OK\r\nv: SIP/2.0/TCP h;branch=z9hG4bKc\r\nf: <sip:a@b>;tag=1\r\nT: <sip:a@b>\r\n' +
        'i: cid\r\nCSEQ: 7 REGISTER\r\nm: <sip:a@h>\r\nl: 0\r\n\r\n',
    );
    expect(headerValue(response, 'Via')).toBe('SIP/2.0/TCP h;branch=z9hG4bKc');
    expect(headerValue(response, 'call-id')).toBe('cid');
    expect(headerValue(response, 'i')).toBe('cid');
    expect(headerValue(response, 'contact')).toBe('<sip:a@h>');
    expect(response.cseq.seq).toBe(7);
  });

  it('joins folded lines with a single space', () => {
    const response = ok(
      `SIP/2.0 401 Unauthorized\r\n${MINIMAL_HEADERS}CSeq: 1 REGISTER\r\n` +
        'WWW-Authenticate: Digest realm="r",\r\n  nonce="n",\r\n\tqop="auth"\r\nContent-Length: 0\r\n\r\n',
    );
    expect(headerValue(response, 'www-authenticate')).toBe('Digest realm="r", nonce="n", qop="auth"');
  });

  it('splits list headers at top-level commas but keeps comma-bearing values whole', () => {
    const response = ok(
      'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/UDP b;branch=z9hG4bK2\r\n' +
        'Via: SIP/2.0/UDP c;branch=z9hG4bK3\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 REGISTER\r\n' +
        'Contact: "Doe, John" <sip:a@h;x=1,2>;expires=60, <sip:a@k>;expires=30\r\n' +
        'WWW-Authenticate: Digest realm="r", nonce="n"\r\nWWW-Authenticate: Digest realm="r", nonce="m", algorithm=SHA-256\r\n' +
        'Date: Sat, 13 Nov 2010 23:29:00 GMT\r\n\r\n',
    );
    expect(headerValues(response, 'via')).toHaveLength(3);
    expect(topViaBranch(response)).toBe('z9hG4bK1');
    expect(headerValues(response, 'contact')).toEqual([
      '"Doe, John" <sip:a@h;x=1,2>;expires=60',
      '<sip:a@k>;expires=30',
    ]);
    expect(headerValues(response, 'www-authenticate')).toHaveLength(2);
    expect(headerValue(response, 'date')).toBe('Sat, 13 Nov 2010 23:29:00 GMT');
  });

  it('skips CRLFs before the status line and accepts an empty reason phrase', () => {
    const response = ok(`\r\n\r\nSIP/2.0 500 \r\n${MINIMAL_HEADERS}CSeq: 1 REGISTER\r\n\r\n`);
    expect(response.statusCode).toBe(500);
    expect(response.reason).toBe('');
  });

  it('accepts bare LF line ends', () => {
    const response = ok(`SIP/2.0 200 OK\n${MINIMAL_HEADERS.replace(/\r\n/g, '\n')}CSeq: 1 REGISTER\n\n`);
    expect(response.statusCode).toBe(200);
  });

  it('measures the body by Content-Length in bytes and drops what follows (RFC 3261 §18.3)', () => {
    const response = ok(
      `SIP/2.0 200 OK\r\n${MINIMAL_HEADERS}CSeq: 1 REGISTER\r\nContent-Length: 4\r\n\r\nñé + trailing junk`,
    );
    expect(response.body).toBe('ñé');
  });

  it('takes the rest of the datagram as body when Content-Length is absent', () => {
    expect(ok(`SIP/2.0 200 OK\r\n${MINIMAL_HEADERS}CSeq: 1 REGISTER\r\n\r\nhello`).body).toBe('hello');
  });

  it('reads UTF-8 in header values from bytes', () => {
    const bytes = Buffer.from(`SIP/2.0 403 Verboten für dich\r\n${MINIMAL_HEADERS}CSeq: 1 REGISTER\r\n\r\n`, 'utf8');
    expect(ok(bytes).reason).toBe('Verboten für dich');
  });

  it.each([
    ['', 'empty message'],
    ['\r\n\r\n', 'empty message'],
    ['hello world', 'does not end with an empty line'],
    ['HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n', 'not a SIP/2.0 status line'],
    ['REGISTER sip:x SIP/2.0\r\nCSeq: 1 REGISTER\r\n\r\n', 'not a SIP/2.0 status line'],
    ['SIP/2.0 99 Low\r\n\r\n', 'not a SIP/2.0 status line'],
    ['SIP/2.0 700 High\r\n\r\n', 'not a SIP/2.0 status line'],
    ['SIP/2.0 200 OK\r\n folded first\r\n\r\n', 'continuation line'],
    ['SIP/2.0 200 OK\r\nno colon here\r\n\r\n', 'not a header line'],
    ['SIP/2.0 200 OK\r\nbad name: x\r\n\r\n', 'not a header line'],
    [`SIP/2.0 200 OK\r\n${MINIMAL_HEADERS}\r\n`, 'cseq header is missing'],
    ['SIP/2.0 200 OK\r\nCSeq: 1 REGISTER\r\n\r\n', 'via header is missing'],
    [`SIP/2.0 200 OK\r\n${MINIMAL_HEADERS}CSeq: REGISTER\r\n\r\n`, 'CSeq header is not'],
    [`SIP/2.0 200 OK\r\n${MINIMAL_HEADERS}CSeq: 1 REGISTER\r\nContent-Length: x\r\n\r\n`, 'Content-Length is not'],
    [`SIP/2.0 200 OK\r\n${MINIMAL_HEADERS}CSeq: 1 REGISTER\r\nl: 10\r\n\r\nshort`, 'shorter than Content-Length'],
  ])('reports %j as malformed: %s', (input, reason) => {
    expect(reasonOf(input)).toContain(reason);
  });

  it('never throws, whatever the bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(['ok', 'malformed']).toContain(parseResponse(bytes).kind);
      }),
      { numRuns: 1000 },
    );
  });

  it('never throws on mutations of a valid response', () => {
    const valid = Buffer.from(KAMAILIO_200);
    const mutation = fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), {
      maxLength: 8,
    });
    fc.assert(
      fc.property(mutation, fc.nat(valid.length), (edits, cut) => {
        const bytes = Buffer.from(valid.subarray(0, cut));
        for (const [at, byte] of edits) if (at < bytes.length) bytes[at] = byte;
        const parsed = parseResponse(bytes);
        expect(['ok', 'malformed']).toContain(parsed.kind);
        if (parsed.kind === 'malformed') expect(parsed.reason).not.toBe('');
      }),
      { numRuns: 1000 },
    );
  });
});

describe('splitting at top-level commas', () => {
  it('respects quotes, escapes and angle brackets', () => {
    expect(splitTopLevelCommas('a, "b,\\"c", <d,e>;x, , f')).toEqual(['a', '"b,\\"c"', '<d,e>;x', 'f']);
  });
});

describe('serializing requests', () => {
  it('writes the request line, headers in order, CRLF ends and a byte Content-Length', () => {
    const text = serializeRequest({
      method: 'REGISTER',
      uri: 'sip:example.org',
      headers: [
        ['Via', 'SIP/2.0/UDP 10.0.0.1:5060;rport;branch=z9hG4bKabc'],
        ['CSeq', '1 REGISTER'],
      ],
      body: 'é',
    });
    expect(text).toBe(
      'REGISTER sip:example.org SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;rport;branch=z9hG4bKabc\r\n' +
        'CSeq: 1 REGISTER\r\nContent-Length: 2\r\n\r\né',
    );
  });

  it('ends with an empty line and Content-Length: 0 without a body, replacing any given one', () => {
    const text = serializeRequest({ method: 'OPTIONS', uri: 'sip:x', headers: [['l', '99']] });
    expect(text).toBe('OPTIONS sip:x SIP/2.0\r\nContent-Length: 0\r\n\r\n');
  });

  it('refuses header values that would inject lines', () => {
    expect(() =>
      serializeRequest({ method: 'REGISTER', uri: 'sip:x', headers: [['To', '<sip:a@b>\r\nEvil: 1']] }),
    ).toThrow(/CR, LF or NUL/);
    expect(() => serializeRequest({ method: 'REGISTER', uri: 'sip:x\n', headers: [] })).toThrow();
  });
});
