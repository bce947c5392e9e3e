import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import {
  buildAuthorization,
  formatNonceCount,
  parseAuthParams,
  parseChallenge,
  type DigestChallenge,
} from '../../src/sip/digest.ts';

function challengeOf(headerValue: string): DigestChallenge {
  const parsed = parseChallenge(headerValue);
  if (parsed.kind !== 'ok') throw new Error(`expected a challenge, got ${parsed.kind}: ${parsed.reason}`);
  return parsed.challenge;
}

function responseParam(header: string): string | undefined {
  return /response="([0-9a-f]+)"/.exec(header)?.[1];
}

describe('digest answers match the RFC worked examples', () => {
  it('RFC 2617 §3.5: MD5 with qop=auth (Mufasa / "Circle Of Life")', () => {
    const challenge = challengeOf(
      'Digest realm="testrealm@host.com", qop="auth,auth-int", ' +
        'nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
    );
    const header = buildAuthorization({
      challenge,
      method: 'GET',
      uri: '/dir/index.html',
      username: 'Mufasa',
      password: 'Circle Of Life',
      cnonce: '0a4f113b',
      nc: 1,
    });
    expect(responseParam(header)).toBe('6629fae49393a05397450978507c4ef1');
    expect(header).toContain('qop=auth, nc=00000001, cnonce="0a4f113b"');
    expect(header).toContain('opaque="5ccc069c403ebaf9f0171e9517f40e41"');
    expect(header).not.toContain('Circle Of Life');
  });

  const rfc7616 = (algorithm: string): DigestChallenge =>
    challengeOf(
      'Digest\r\n realm="http-auth@example.org",\r\n qop="auth, auth-int",\r\n' +
        ` algorithm=${algorithm},\r\n nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",\r\n` +
        ' opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"',
    );
  const rfc7616Answer = (challenge: DigestChallenge): string =>
    buildAuthorization({
      challenge,
      method: 'GET',
      uri: '/dir/index.html',
      username: 'Mufasa',
      password: 'Circle of Life',
      cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
      nc: 1,
    });

  it('RFC 7616 §3.9.1: SHA-256 with qop=auth', () => {
    const header = rfc7616Answer(rfc7616('SHA-256'));
    expect(responseParam(header)).toBe('753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
    expect(header).toContain('algorithm=SHA-256');
  });

  it('RFC 7616 §3.9.1: MD5 with qop=auth', () => {
    expect(responseParam(rfc7616Answer(rfc7616('MD5')))).toBe('8ca523f5e9506fed4657c9700eebdbec');
  });

  it('RFC 2069 style (no qop): response = H(HA1:nonce:HA2) and no nc/cnonce/qop are sent', () => {
    const challenge = challengeOf('Digest realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093"');
    const header = buildAuthorization({
      challenge,
      method: 'GET',
      uri: '/dir/index.html',
      username: 'Mufasa',
      password: 'Circle Of Life',
      cnonce: 'unused',
      nc: 1,
    });
    // The oracle is the no-qop formula of RFC 2617 §3.2.2.1, written out independently.
    const md5 = (s: string) => createHash('md5').update(s).digest('hex');
    const ha1 = md5('Mufasa:testrealm@host.com:Circle Of Life');
    const ha2 = md5('GET:/dir/index.html');
    expect(responseParam(header)).toBe(md5(`${ha1}:dcd98b7102dd2f0e8b11d0f600bfb0c093:${ha2}`));
    expect(header).not.toMatch(/qop=|nc=|cnonce=/);
  });

  it('MD5-sess folds nonce and cnonce into HA1 (RFC 2617 §3.2.2.2)', () => {
    const challenge = challengeOf('Digest realm="r", nonce="n", qop="auth", algorithm=MD5-sess');
    const md5 = (s: string) => createHash('md5').update(s).digest('hex');
    const ha1 = md5(`${md5('u:r:p')}:n:c`);
    const expected = md5(`${ha1}:n:00000001:c:auth:${md5('REGISTER:sip:example.org')}`);
    const header = buildAuthorization({
      challenge,
      method: 'REGISTER',
      uri: 'sip:example.org',
      username: 'u',
      password: 'p',
      cnonce: 'c',
      nc: 1,
    });
    expect(responseParam(header)).toBe(expected);
    expect(header).toContain('algorithm=MD5-sess');
  });

  it('SHA-512-256 uses the truncated SHA-512/256 (FIPS 180-4 vector for "abc")', () => {
    expect(createHash('sha512-256').update('abc').digest('hex')).toBe(
      '53048e2681941ef99b2e29b76b4c7dabe4c2d0c634fc6d46e0e2f13107e7af23',
    );
    const header = buildAuthorization({
      challenge: challengeOf('Digest realm="r", nonce="n", qop="auth", algorithm=SHA-512-256'),
      method: 'REGISTER',
      uri: 'sip:example.org',
      username: 'u',
      password: 'p',
      cnonce: 'c',
      nc: 1,
    });
    expect(responseParam(header)).toHaveLength(64);
  });

  it('qop=auth-int alone is answered over the (empty) body', () => {
    const challenge = challengeOf('Digest realm="r", nonce="n", qop="auth-int"');
    const md5 = (s: string) => createHash('md5').update(s).digest('hex');
    const expected = md5(`${md5('u:r:p')}:n:00000002:c:auth-int:${md5(`REGISTER:sip:x:${md5('')}`)}`);
    const header = buildAuthorization({
      challenge,
      method: 'REGISTER',
      uri: 'sip:x',
      username: 'u',
      password: 'p',
      cnonce: 'c',
      nc: 2,
    });
    expect(responseParam(header)).toBe(expected);
    expect(header).toContain('qop=auth-int, nc=00000002');
  });

  it('quotes and backslashes in the username are escaped, never break the header', () => {
    const header = buildAuthorization({
      challenge: challengeOf('Digest realm="r", nonce="n"'),
      method: 'REGISTER',
      uri: 'sip:x',
      username: 'a"b\\c',
      password: 'p',
      cnonce: 'c',
      nc: 1,
    });
    expect(header).toContain('username="a\\"b\\\\c"');
  });
});

describe('nonce count', () => {
  it('is 8 lower-case hex digits', () => {
    expect(formatNonceCount(1)).toBe('00000001');
    expect(formatNonceCount(255)).toBe('000000ff');
    expect(formatNonceCount(0xffffffff)).toBe('ffffffff');
  });
  it('rejects counts that cannot be sent', () => {
    expect(() => formatNonceCount(0)).toThrow(RangeError);
    expect(() => formatNonceCount(2 ** 32)).toThrow(RangeError);
  });
});

describe('challenge parsing', () => {
  it('reads a Kamailio challenge, MD5 implied', () => {
    expect(
      parseChallenge('Digest realm="127.0.0.1", nonce="axMZ22sTGK//L6uqbbNxZ4+hQ+8Jw03HGC4HFIA=", qop="auth"'),
    ).toEqual({
      kind: 'ok',
      challenge: {
        realm: '127.0.0.1',
        nonce: 'axMZ22sTGK//L6uqbbNxZ4+hQ+8Jw03HGC4HFIA=',
        opaque: undefined,
        algorithm: 'MD5',
        qop: ['auth'],
        stale: false,
      },
    });
  });

  it('keeps commas and escaped quotes inside quoted strings', () => {
    const challenge = challengeOf('Digest realm="a, \\"quoted\\" realm", nonce="x,y", qop="auth,auth-int"');
    expect(challenge.realm).toBe('a, "quoted" realm');
    expect(challenge.nonce).toBe('x,y');
    expect(challenge.qop).toEqual(['auth', 'auth-int']);
  });

  it('is case-insensitive for the scheme, parameter names, algorithm and stale', () => {
    const challenge = challengeOf('DIGEST REALM="r", Nonce="n", Algorithm=sha-256, STALE=TRUE, QOP="Auth"');
    expect(challenge).toMatchObject({ realm: 'r', nonce: 'n', algorithm: 'SHA-256', stale: true, qop: ['auth'] });
  });

  it('accepts unquoted values, extra whitespace and empty list elements', () => {
    const challenge = challengeOf('Digest  realm = r ,, nonce=abc/def== , qop=auth , stale=false');
    expect(challenge).toMatchObject({ realm: 'r', nonce: 'abc/def==', qop: ['auth'], stale: false });
  });

  it('reports unknown algorithms, qop values and schemes as unsupported', () => {
    expect(parseChallenge('Digest realm="r", nonce="n", algorithm=AKAv1-MD5').kind).toBe('unsupported');
    expect(parseChallenge('Digest realm="r", nonce="n", qop="auth-conf"').kind).toBe('unsupported');
    expect(parseChallenge('Basic realm="r"').kind).toBe('unsupported');
  });

  it.each([
    ['', 'no authentication scheme'],
    ['Digest nonce="n"', 'no realm'],
    ['Digest realm="r"', 'no nonce'],
    ['Digest nonce="n", realm="r', 'unterminated'],
    ['Digest realm', 'has no value'],
    ['Digest realm="r" nonce="n"', 'not followed by a comma'],
    ['Digest ="x"', 'expected a parameter name'],
  ])('reports %j as malformed (%s)', (value, reason) => {
    const parsed = parseChallenge(value);
    expect(parsed.kind).toBe('malformed');
    expect(parsed.kind === 'malformed' && parsed.reason).toContain(reason);
  });

  it('first occurrence of a parameter wins', () => {
    const parsed = parseAuthParams('realm="a", realm="b"');
    expect(parsed.kind === 'ok' && parsed.map.get('realm')).toBe('a');
  });

  it('never throws on arbitrary input', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const parsed = parseChallenge(`Digest ${text}`);
        expect(['ok', 'malformed', 'unsupported']).toContain(parsed.kind);
      }),
      { numRuns: 500 },
    );
  });

  it('round-trips any realm and nonce through quoting', () => {
    const printable = fc.string({ unit: fc.constantFrom(...'ab c,"\\=/+:;'.split('')), maxLength: 20 });
    fc.assert(
      fc.property(printable, printable, (realm, nonce) => {
        const q = (s: string) => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
        expect(challengeOf(`Digest realm=${q(realm)}, nonce=${q(nonce)}`)).toMatchObject({ realm, nonce });
      }),
      { numRuns: 300 },
    );
  });
});
