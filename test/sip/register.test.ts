import { describe, it, expect, afterEach, vi } from 'vitest';
import dgram from 'node:dgram';
import { escapeUriUser, registerCheck, type RegisterCheckOptions } from '../../src/sip/register.ts';
import { digestParams, expectedDigest, respond, tcpPeer, udpPeer, type ReceivedRequest, type Script } from './peers.ts';

const PASSWORD = 'pa ss"wörd\\secret';
const CHALLENGE = 'WWW-Authenticate: Digest realm="sip.test", nonce="n-1", qop="auth"';

const peers: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(peers.splice(0).map((peer) => peer.close()));
});

/**
 * When the client hands each REGISTER to its UDP socket. Timed at the sender: the peer shares the
 * test's event loop, so its receive times bunch up whenever the loop is busy.
 */
function recordRegisterSends(): number[] {
  const sends: number[] = [];
  const original = dgram.Socket.prototype.send as (...args: unknown[]) => void;
  vi.spyOn(dgram.Socket.prototype, 'send').mockImplementation(function (this: dgram.Socket, ...args: unknown[]) {
    if (String(args[0]).startsWith('REGISTER ')) sends.push(performance.now());
    original.apply(this, args);
  });
  return sends;
}

function gaps(times: number[]): number[] {
  return times.slice(1).map((time, i) => time - (times[i] ?? 0));
}

async function startUdp(script: Script) {
  const peer = await udpPeer(script);
  peers.push(peer);
  return peer;
}

function options(port: number, overrides: Partial<RegisterCheckOptions> = {}): RegisterCheckOptions {
  return {
    username: 'alice',
    domain: 'sip.test',
    authUsername: 'alice-auth',
    password: PASSWORD,
    target: { host: '127.0.0.1', port, transport: 'udp' },
    t1Ms: 50,
    ...overrides,
  };
}

const cseqOf = (request: ReceivedRequest) => Number(request.headers.get('cseq')?.split(' ')[0]);
const branchOf = (request: ReceivedRequest) => /branch=([^;]+)/.exec(request.headers.get('via') ?? '')?.[1];

// Challenges a request without credentials, accepts any with them.
const challengeThenAccept: Script = (request, reply) => {
  if (request.headers.has('authorization')) reply(respond(request, '200 OK'));
  else reply(respond(request, '401 Unauthorized', [CHALLENGE]));
};

describe('UDP retransmission (RFC 3261 timers E and F)', () => {
  it('retransmits the REGISTER at T1, then 2*T1, and succeeds when the registrar finally answers', async () => {
    const peer = await startUdp((request, reply, index) => {
      if (index >= 2) reply(respond(request, '200 OK'));
    });
    const sends = recordRegisterSends();
    const outcome = await registerCheck(options(peer.port));
    expect(outcome.kind).toBe('registered');
    const first = peer.received.filter((r) => cseqOf(r) === 1);
    expect(first).toHaveLength(3); // the original and two retransmissions
    expect(new Set(first.map(branchOf)).size).toBe(1); // retransmissions are the same transaction
    expect(first.map((r) => r.text)).toEqual([first[0]?.text, first[0]?.text, first[0]?.text]);
    // Timers never fire early, so the lower bounds are exact (less 1 ms of timer rounding); the upper ones allow for load.
    const [gap1 = 0, gap2 = 0] = gaps(sends);
    expect(gap1).toBeGreaterThanOrEqual(49);
    expect(gap1).toBeLessThan(150);
    expect(gap2).toBeGreaterThanOrEqual(99);
    expect(gap2).toBeLessThan(300);
    expect(outcome.durationMs).toBeGreaterThanOrEqual(130);
  });

  it('gives up after 64*T1 against a silent peer and says where it got no answer', async () => {
    const peer = await startUdp(() => undefined);
    const sends = recordRegisterSends();
    const started = performance.now();
    const outcome = await registerCheck(options(peer.port));
    const took = performance.now() - started;
    expect(outcome).toMatchObject({ kind: 'timeout', statusCode: null });
    expect(outcome.message).toBe(
      `No answer from 127.0.0.1:${peer.port} over UDP within 3.2 s: check the registrar address, port and transport.`,
    );
    expect(took).toBeGreaterThanOrEqual(3200 - 5);
    expect(took).toBeLessThan(3200 + 800);
    // nominally sent at 0, 50, 150, 350, 750, 1550 and 3150 ms: each wait doubles from T1, none is cut short
    const waits = gaps(sends);
    expect(waits.length).toBeGreaterThanOrEqual(4);
    expect(waits.length).toBeLessThanOrEqual(6);
    waits.forEach((wait, i) => expect(wait).toBeGreaterThanOrEqual(50 * 2 ** i - 1));
  }, 10_000);

  it('reports garbage answers as malformed instead of crashing or calling it a timeout', async () => {
    const peer = await startUdp((_request, reply, index) =>
      reply(index % 2 ? Buffer.from([0, 255, 13, 10, 13, 10, 1]) : 'HTTP/1.1 400 Bad Request\r\n\r\n'),
    );
    const outcome = await registerCheck(options(peer.port, { t1Ms: 20 }));
    expect(outcome.kind).toBe('malformed');
    expect(outcome.statusCode).toBeNull();
    expect(outcome.message).toContain(
      `127.0.0.1:${peer.port} answered over UDP with something that is not a valid SIP response`,
    );
  });

  it('a provisional answer slows retransmission to T2 but keeps timer F', async () => {
    const peer = await startUdp((request, reply, index) => {
      if (index === 0) reply(respond(request, '100 Trying'));
    });
    const outcome = await registerCheck(options(peer.port, { t1Ms: 200, timeoutMs: 1500 }));
    expect(outcome.kind).toBe('timeout');
    expect(outcome.message).toContain('within 1.5 s');
    // without the 100 Trying: 0, 200, 600 and 1400 ms; with it, only the retransmission already due at 200 ms
    expect(peer.received).toHaveLength(2);
  });

  it('keepalives and requests from the registrar are neither answers nor garbage', async () => {
    const peer = await startUdp((request, reply) => {
      reply('\r\n\r\n');
      reply(`OPTIONS sip:alice@127.0.0.1 SIP/2.0\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`);
      if (request.headers.get('expires') === '0') reply(respond(request, '200 OK'));
    });
    const outcome = await registerCheck(options(peer.port, { timeoutMs: 300 }));
    expect(outcome.kind).toBe('timeout');
  });

  it('a provisional answer is followed by the final one', async () => {
    const peer = await startUdp((request, reply) => {
      reply(respond(request, '100 Trying'));
      setTimeout(() => reply(respond(request, '200 OK')), 20);
    });
    expect((await registerCheck(options(peer.port))).kind).toBe('registered');
  });

  it('ignores answers whose Via branch or CSeq belong to another transaction', async () => {
    const peer = await startUdp((request, reply) => {
      reply(respond(request, '403 Forbidden').replace(/branch=[^;\r]+/, 'branch=z9hG4bKother'));
      reply(respond(request, '403 Forbidden').replace(/CSeq: \d+/, 'CSeq: 99'));
      reply(respond(request, '403 Forbidden').replace(/CSeq: (\d+) REGISTER/, 'CSeq: $1 OPTIONS'));
      reply(respond(request, '200 OK'));
    });
    expect((await registerCheck(options(peer.port))).kind).toBe('registered');
  });

  it('says when nothing listens on the UDP port (ICMP port unreachable)', async () => {
    const probe = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => probe.bind(0, '127.0.0.1', resolve));
    const port = probe.address().port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const outcome = await registerCheck(options(port));
    expect(outcome).toMatchObject({ kind: 'network', statusCode: null, reason: 'Connection refused' });
    expect(outcome.message).toContain('nothing listens on UDP port');
  });
});

describe('the REGISTER request and digest answer', () => {
  it('sends an RFC 3261 REGISTER, answers the challenge with the auth username, and unregisters', async () => {
    const peer = await startUdp(challengeThenAccept);
    const outcome = await registerCheck(options(peer.port));
    expect(outcome).toMatchObject({
      kind: 'registered',
      statusCode: 200,
      reason: 'OK',
      message: 'Registration succeeded (200 OK) and the binding was removed again.',
    });
    const [first, second, unregister] = peer.transactions();
    expect(peer.transactions()).toHaveLength(3); // the unregister reuses the nonce with nc=2: no new challenge
    for (const request of [first, second, unregister]) {
      expect(request?.requestLine).toBe('REGISTER sip:sip.test SIP/2.0');
      expect(request?.headers.get('via')).toMatch(/^SIP\/2\.0\/UDP 127\.0\.0\.1:\d+;rport;branch=z9hG4bK[0-9a-f]+$/);
      expect(request?.headers.get('from')).toMatch(/^<sip:alice@sip\.test>;tag=[0-9a-f]+$/);
      expect(request?.headers.get('to')).toBe('<sip:alice@sip.test>');
      expect(request?.headers.get('max-forwards')).toBe('70');
      expect(request?.headers.get('user-agent')).toBe('sipcreds');
      expect(request?.headers.get('content-length')).toBe('0');
      expect(request?.headers.get('contact')).toMatch(/^<sip:alice@127\.0\.0\.1:\d+;transport=udp>$/);
    }
    expect(new Set(peer.transactions().map((r) => r.headers.get('call-id'))).size).toBe(1);
    expect(new Set(peer.transactions().map((r) => r.headers.get('from'))).size).toBe(1);
    expect(new Set(peer.transactions().map((r) => r.headers.get('contact'))).size).toBe(1);
    expect(new Set(peer.transactions().map(branchOf)).size).toBe(3);
    expect(peer.transactions().map((r) => r.headers.get('cseq'))).toEqual(['1 REGISTER', '2 REGISTER', '3 REGISTER']);
    expect(peer.transactions().map((r) => r.headers.get('expires'))).toEqual(['60', '60', '0']);
    expect(first?.headers.has('authorization')).toBe(false);

    for (const [request, nc] of [
      [second, '00000001'],
      [unregister, '00000002'],
    ] as const) {
      const auth = digestParams(request?.headers.get('authorization') ?? '');
      expect(auth).toMatchObject({ username: 'alice-auth', realm: 'sip.test', nonce: 'n-1', uri: 'sip:sip.test' });
      expect(auth).toMatchObject({ qop: 'auth', nc, algorithm: 'MD5' });
      expect(auth.response).toBe(
        expectedDigest({
          username: 'alice-auth',
          realm: 'sip.test',
          password: PASSWORD,
          nonce: 'n-1',
          uri: 'sip:sip.test',
          nc,
          cnonce: auth.cnonce ?? '',
        }),
      );
    }
  });

  it('never puts the password on the wire or in the outcome', async () => {
    const peer = await startUdp((request, reply, index) => {
      if (index < 2) challengeThenAccept(request, reply, index);
      else reply(respond(request, '500 Server Error'));
    });
    const outcome = await registerCheck(options(peer.port));
    for (const text of [...peer.received.map((r) => r.text), JSON.stringify(outcome)]) {
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain('secret');
    }
  });

  it('a second challenge without stale=true means the registrar refused the credentials', async () => {
    const peer = await startUdp((request, reply) => reply(respond(request, '401 Unauthorized', [CHALLENGE])));
    const outcome = await registerCheck(options(peer.port));
    expect(outcome).toMatchObject({ kind: 'rejected', statusCode: 401, reason: 'Unauthorized' });
    expect(outcome.message).toBe(
      'The registrar refused the credentials (401 Unauthorized): check the password and auth username.',
    );
    expect(peer.transactions()).toHaveLength(2);
  });

  it('stale=true is answered again with the new nonce', async () => {
    const peer = await startUdp((request, reply, index) => {
      if (index === 0) reply(respond(request, '401 Unauthorized', [CHALLENGE]));
      else if (index === 1)
        reply(respond(request, '401 Unauthorized', [`${CHALLENGE.replace('n-1', 'n-2')}, stale=true`]));
      else reply(respond(request, '200 OK'));
    });
    expect((await registerCheck(options(peer.port))).kind).toBe('registered');
    expect(digestParams(peer.transactions()[2]?.headers.get('authorization') ?? '')).toMatchObject({
      nonce: 'n-2',
      nc: '00000001',
    });
  });

  it('stops when the registrar keeps saying stale=true', async () => {
    const peer = await startUdp((request, reply) =>
      reply(respond(request, '401 Unauthorized', [`${CHALLENGE}, stale=true`])),
    );
    const outcome = await registerCheck(options(peer.port));
    expect(outcome.kind).toBe('rejected');
    expect(peer.transactions().length).toBeLessThanOrEqual(4);
  });

  it('answers a 407 with Proxy-Authorization and SHA-256 when that is the topmost supported challenge', async () => {
    const peer = await startUdp((request, reply) => {
      if (request.headers.has('proxy-authorization')) return reply(respond(request, '200 OK'));
      reply(
        respond(request, '407 Proxy Authentication Required', [
          'Proxy-Authenticate: Digest realm="proxy.test", nonce="p", qop="auth", algorithm=AKAv1-MD5',
          'Proxy-Authenticate: Digest realm="proxy.test", nonce="p", qop="auth", algorithm=SHA-256',
          'Proxy-Authenticate: Digest realm="proxy.test", nonce="p", qop="auth", algorithm=MD5',
        ]),
      );
    });
    expect((await registerCheck(options(peer.port))).kind).toBe('registered');
    const auth = digestParams(peer.transactions()[1]?.headers.get('proxy-authorization') ?? '');
    expect(auth).toMatchObject({ algorithm: 'SHA-256', realm: 'proxy.test' });
    expect(auth.response).toBe(
      expectedDigest({
        username: 'alice-auth',
        realm: 'proxy.test',
        password: PASSWORD,
        nonce: 'p',
        uri: 'sip:sip.test',
        nc: '00000001',
        cnonce: auth.cnonce ?? '',
        hash: 'sha256',
      }),
    );
  });

  it('a challenge it cannot answer is a rejection that says why', async () => {
    const peer = await startUdp((request, reply) =>
      reply(
        respond(request, '401 Unauthorized', ['WWW-Authenticate: Digest realm="r", nonce="n", algorithm=AKAv1-MD5']),
      ),
    );
    const outcome = await registerCheck(options(peer.port));
    expect(outcome.kind).toBe('rejected');
    expect(outcome.message).toContain('digest algorithm AKAv1-MD5 is not supported');
  });

  it('retries once with Min-Expires after 423 Interval Too Brief', async () => {
    const peer = await startUdp((request, reply) => {
      const expires = Number(request.headers.get('expires'));
      if (expires > 0 && expires < 300) reply(respond(request, '423 Interval Too Brief', ['Min-Expires: 300']));
      else reply(respond(request, '200 OK'));
    });
    expect((await registerCheck(options(peer.port))).kind).toBe('registered');
    expect(peer.transactions().map((r) => r.headers.get('expires'))).toEqual(['60', '300', '0']);
  });

  it('a second 423 is final', async () => {
    const peer = await startUdp((request, reply) =>
      reply(respond(request, '423 Interval Too Brief', [`Min-Expires: ${Number(request.headers.get('expires')) + 1}`])),
    );
    const outcome = await registerCheck(options(peer.port));
    expect(outcome).toMatchObject({ kind: 'rejected', statusCode: 423 });
    expect(peer.transactions()).toHaveLength(2);
  });

  it.each([
    ['403 Forbidden', 'The registrar refused the credentials (403 Forbidden): check the password and auth username.'],
    [
      '404 Not Found',
      'The registrar does not know this user or domain (404 Not Found): check the username and domain.',
    ],
    [
      '503 Service Unavailable',
      'The registrar could not handle the registration (503 Service Unavailable): try again later or ask its operator.',
    ],
  ])('explains a final %s after the challenge', async (status, message) => {
    const peer = await startUdp((request, reply, index) =>
      reply(index === 0 ? respond(request, '401 Unauthorized', [CHALLENGE]) : respond(request, status)),
    );
    const outcome = await registerCheck(options(peer.port));
    expect(outcome).toMatchObject({ kind: 'rejected', statusCode: Number(status.slice(0, 3)), message });
  });

  it('a 403 before any challenge is not blamed on the password', async () => {
    const peer = await startUdp((request, reply) => reply(respond(request, '403 Forbidden')));
    const outcome = await registerCheck(options(peer.port));
    expect(outcome.message).toContain('without asking for credentials');
  });

  it('reports a failed unregister in the message but still counts the registration', async () => {
    const peer = await startUdp((request, reply, index) =>
      reply(respond(request, index === 0 ? '200 OK' : '500 Server Internal Error')),
    );
    const outcome = await registerCheck(options(peer.port));
    expect(outcome).toMatchObject({ kind: 'registered', statusCode: 200 });
    expect(outcome.message).toBe(
      'Registration succeeded (200 OK), but removing the binding again was refused (500 Server Internal Error): it expires by itself within 60 s.',
    );
  });

  it('answers an entry that cannot become a SIP request without sending anything', async () => {
    const peer = await startUdp(() => undefined);
    const outcome = await registerCheck(options(peer.port, { domain: 'exa mple.com' }));
    expect(outcome).toMatchObject({ kind: 'invalid', statusCode: null });
    expect(outcome.message).toContain('"exa mple.com" is not a valid SIP domain');
    const control = await registerCheck(options(peer.port, { authUsername: 'bob\r\nX: 1' }));
    expect(control.kind).toBe('invalid');
    expect((await registerCheck(options(peer.port, { username: 'a\uD800b' }))).kind).toBe('invalid');
    expect(peer.received).toHaveLength(0);
  });

  it('a blank auth username means the username', async () => {
    const peer = await startUdp(challengeThenAccept);
    await registerCheck(options(peer.port, { authUsername: '' }));
    expect(digestParams(peer.transactions()[1]?.headers.get('authorization') ?? '').username).toBe('alice');
  });

  it('uses localHost in Via and Contact when given', async () => {
    const peer = await startUdp((request, reply) => reply(respond(request, '200 OK')));
    await registerCheck(options(peer.port, { localHost: '198.51.100.7' }));
    expect(peer.transactions()[0]?.headers.get('via')).toMatch(/^SIP\/2\.0\/UDP 198\.51\.100\.7:\d+;rport;/);
    expect(peer.transactions()[0]?.headers.get('contact')).toMatch(/^<sip:alice@198\.51\.100\.7:\d+;transport=udp>$/);
  });
});

describe('TCP', () => {
  it('reads answers split into pieces and several answers in one read', async () => {
    const peer = await tcpPeer((request, socket, index) => {
      const answer = Buffer.from(
        request.headers.has('authorization')
          ? `\r\n${respond(request, '100 Trying')}${respond(request, '200 OK')}`
          : respond(request, '401 Unauthorized', [CHALLENGE]),
      );
      if (index !== 0) return void socket.write(answer);
      // byte by byte with pauses, so the client sees many partial reads
      let at = 0;
      const drip = () => {
        socket.write(answer.subarray(at, at + 7));
        at += 7;
        if (at < answer.length) setTimeout(drip, 1);
      };
      drip();
    });
    peers.push(peer);
    const outcome = await registerCheck(
      options(peer.port, { target: { host: '127.0.0.1', port: peer.port, transport: 'tcp' } }),
    );
    expect(outcome.kind).toBe('registered');
    expect(peer.transactions()).toHaveLength(3);
    expect(peer.transactions()[0]?.headers.get('via')).toMatch(/^SIP\/2\.0\/TCP /);
    expect(peer.transactions()[0]?.headers.get('contact')).toMatch(/;transport=tcp>$/);
  });

  it('says when the TCP connection is refused', async () => {
    const server = await tcpPeer(() => undefined);
    await server.close();
    const outcome = await registerCheck(
      options(server.port, { target: { host: '127.0.0.1', port: server.port, transport: 'tcp' } }),
    );
    expect(outcome).toMatchObject({ kind: 'network', reason: 'Connection refused' });
    expect(outcome.message).toBe(
      `127.0.0.1:${server.port} refused the TCP connection: check the registrar address, port and transport.`,
    );
  });

  it('says when the registrar hangs up', async () => {
    const peer = await tcpPeer((_request, socket) => socket.end());
    peers.push(peer);
    const outcome = await registerCheck(
      options(peer.port, { target: { host: '127.0.0.1', port: peer.port, transport: 'tcp' } }),
    );
    expect(outcome).toMatchObject({ kind: 'network', reason: 'Connection closed' });
  });

  it('gives up at once on a stream it cannot frame', async () => {
    const peer = await tcpPeer((_request, socket) => socket.write('SIP/2.0 200 OK\r\nVia: x\r\n\r\n'));
    peers.push(peer);
    const started = performance.now();
    const outcome = await registerCheck(
      options(peer.port, { target: { host: '127.0.0.1', port: peer.port, transport: 'tcp' } }),
    );
    expect(outcome.kind).toBe('malformed');
    expect(outcome.message).toContain('no Content-Length');
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

describe('SIP URI user escaping', () => {
  it('keeps RFC 3261 unreserved and user-unreserved characters, escapes the rest', () => {
    expect(escapeUriUser("+49-30_1.2!~*'()&=+$,;?/")).toBe("+49-30_1.2!~*'()&=+$,;?/");
    expect(escapeUriUser('a b@c:d%é')).toBe('a%20b%40c%3Ad%25%C3%A9');
  });
});
