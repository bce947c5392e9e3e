import { describe, it, expect } from 'vitest';
import {
  orderSrv,
  parseHostPort,
  parseProxy,
  resolveDomain,
  resolveProxy,
  type DnsResolver,
} from '../../src/sip/resolve.ts';

type Srv = { name: string; port: number; priority: number; weight: number };

function notFound(name: string): Promise<never> {
  return Promise.reject(Object.assign(new Error(`queryX ENOTFOUND ${name}`), { code: 'ENOTFOUND' }));
}

/** A resolver answering from tables, recording every query; anything not in a table is NXDOMAIN. */
function fakeResolver(zone: {
  srv?: Record<string, Srv[]>;
  a?: Record<string, string[]>;
  aaaa?: Record<string, string[]>;
}) {
  const queries: string[] = [];
  const answer = <T>(table: Record<string, T[]> | undefined, type: string, name: string): Promise<T[]> => {
    queries.push(`${type} ${name}`);
    const records = table?.[name];
    return records ? Promise.resolve(records) : notFound(name);
  };
  const resolver: DnsResolver = {
    resolveSrv: (name) => answer(zone.srv, 'SRV', name),
    resolve4: (name) => answer(zone.a, 'A', name),
    resolve6: (name) => answer(zone.aaaa, 'AAAA', name),
  };
  return { resolver, queries };
}

const firstPick = () => 0;

describe('resolving a SIP domain (RFC 3263 §4.2)', () => {
  it('uses an IP literal as is, on port 5060, without DNS', async () => {
    const { resolver, queries } = fakeResolver({});
    expect(await resolveDomain('192.0.2.10', 'udp', resolver)).toEqual({
      kind: 'ok',
      targets: [{ host: '192.0.2.10', port: 5060, transport: 'udp' }],
    });
    expect(await resolveDomain('[2001:db8::1]', 'tcp', resolver)).toEqual({
      kind: 'ok',
      targets: [{ host: '2001:db8::1', port: 5060, transport: 'tcp' }],
    });
    expect(await resolveDomain('192.0.2.10:5070', 'udp', resolver)).toMatchObject({ targets: [{ port: 5070 }] });
    expect(queries).toEqual([]);
  });

  it('follows the SRV record of the chosen transport, by priority, to A and AAAA addresses', async () => {
    const { resolver, queries } = fakeResolver({
      srv: {
        '_sip._tcp.example.org': [
          { name: 'backup.example.org', port: 5080, priority: 20, weight: 0 },
          { name: 'main.example.org', port: 5070, priority: 10, weight: 5 },
        ],
      },
      a: { 'main.example.org': ['192.0.2.1'], 'backup.example.org': ['192.0.2.2'] },
      aaaa: { 'main.example.org': ['2001:db8::1'] },
    });
    expect(await resolveDomain('example.org', 'tcp', resolver, firstPick)).toEqual({
      kind: 'ok',
      targets: [
        { host: '192.0.2.1', port: 5070, transport: 'tcp' },
        { host: '2001:db8::1', port: 5070, transport: 'tcp' },
        { host: '192.0.2.2', port: 5080, transport: 'tcp' },
      ],
    });
    expect(queries).toContain('SRV _sip._tcp.example.org');
    expect(queries).not.toContain('SRV _sip._udp.example.org');
  });

  it('falls back to A/AAAA of the domain on port 5060 when there is no SRV record', async () => {
    const { resolver } = fakeResolver({ a: { 'example.org': ['192.0.2.7'] } });
    expect(await resolveDomain('example.org', 'udp', resolver)).toEqual({
      kind: 'ok',
      targets: [{ host: '192.0.2.7', port: 5060, transport: 'udp' }],
    });
  });

  it('skips SRV when the domain names a port', async () => {
    const { resolver, queries } = fakeResolver({ a: { 'example.org': ['192.0.2.7'] } });
    expect(await resolveDomain('example.org:5099', 'udp', resolver)).toMatchObject({ targets: [{ port: 5099 }] });
    expect(queries.some((q) => q.startsWith('SRV'))).toBe(false);
  });

  it('says there is no DNS answer when nothing resolves', async () => {
    const { resolver } = fakeResolver({});
    expect(await resolveDomain('nowhere.example', 'udp', resolver)).toEqual({
      kind: 'no_dns',
      message:
        'No DNS answer for nowhere.example: no SRV record _sip._udp.nowhere.example and no A or AAAA record. Check the domain, or set an explicit proxy.',
    });
  });

  it('says so when the SRV targets do not resolve, or the SRV record is "."', async () => {
    const dangling = fakeResolver({
      srv: { '_sip._udp.example.org': [{ name: 'gone.example.org', port: 5060, priority: 1, weight: 1 }] },
    });
    expect(await resolveDomain('example.org', 'udp', dangling.resolver)).toMatchObject({
      kind: 'no_dns',
      message: expect.stringContaining('gone.example.org'),
    });
    const refused = fakeResolver({
      srv: { '_sip._udp.example.org': [{ name: '.', port: 0, priority: 0, weight: 0 }] },
    });
    expect(await resolveDomain('example.org', 'udp', refused.resolver)).toMatchObject({
      kind: 'no_dns',
      message: expect.stringContaining('offers no SIP over UDP'),
    });
  });

  it('treats a failing DNS server like no answer instead of throwing', async () => {
    const failing: DnsResolver = {
      resolveSrv: () => Promise.reject(Object.assign(new Error('SERVFAIL'), { code: 'ESERVFAIL' })),
      resolve4: () => Promise.reject(Object.assign(new Error('timeout'), { code: 'ETIMEOUT' })),
      resolve6: () => Promise.reject(new Error('boom')),
    };
    expect((await resolveDomain('example.org', 'tcp', failing)).kind).toBe('no_dns');
  });

  it('rejects a domain that is not a host name', async () => {
    expect(await resolveDomain('exa mple.org', 'udp', fakeResolver({}).resolver)).toMatchObject({ kind: 'invalid' });
  });
});

describe('SRV ordering (RFC 2782)', () => {
  const records: Srv[] = [
    { name: 'c', port: 1, priority: 20, weight: 100 },
    { name: 'a', port: 1, priority: 10, weight: 10 },
    { name: 'b', port: 1, priority: 10, weight: 30 },
    { name: 'z', port: 1, priority: 10, weight: 0 },
  ];

  it('orders by priority first, always', () => {
    for (const r of [0, 0.3, 0.6, 0.99]) expect(orderSrv(records, () => r).at(-1)?.name).toBe('c');
  });

  it('draws by weight within a priority, weight 0 only on a zero draw', () => {
    expect(orderSrv(records, () => 0).map((r) => r.name)).toEqual(['z', 'a', 'b', 'c']);
    expect(orderSrv(records, () => 0.99).map((r) => r.name)).toEqual(['b', 'a', 'z', 'c']);
  });

  it('picks heavier records proportionally more often', () => {
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const firsts = { a: 0, b: 0 };
    for (let i = 0; i < 4000; i++) {
      const first = orderSrv(records.slice(1, 3), random)[0]?.name as 'a' | 'b';
      firsts[first]++;
    }
    expect(firsts.b / firsts.a).toBeGreaterThan(2.4);
    expect(firsts.b / firsts.a).toBeLessThan(3.6);
  });
});

describe('explicit proxies', () => {
  it.each([
    ['proxy.example.org:5070', { host: 'proxy.example.org', port: 5070 }],
    ['proxy.example.org', { host: 'proxy.example.org', port: 5060 }],
    ['192.0.2.1:5080', { host: '192.0.2.1', port: 5080 }],
    ['[2001:db8::1]:5062', { host: '2001:db8::1', port: 5062 }],
    ['[2001:db8::1]', { host: '2001:db8::1', port: 5060 }],
    ['2001:db8::1', { host: '2001:db8::1', port: 5060 }],
    [' 10.0.0.1:5060 ', { host: '10.0.0.1', port: 5060 }],
  ])('parses %j', (text, expected) => {
    expect(parseProxy(text)).toEqual({ kind: 'ok', ...expected });
  });

  it.each([
    '',
    'host:',
    'host:0',
    'host:65536',
    'host:abc',
    '[::1',
    '[not-v6]:5060',
    'a b:5060',
    'sip:host:5060',
    'x:1:2',
  ])('rejects %j with a sentence saying how to write it', (text) => {
    const parsed = parseProxy(text);
    expect(parsed.kind).toBe('invalid');
    expect(parsed.kind === 'invalid' && parsed.message).toContain('sip.example.com:5060');
  });

  it('resolves a proxy name through A/AAAA on its port, an IP without DNS', async () => {
    const { resolver, queries } = fakeResolver({ a: { 'proxy.example.org': ['192.0.2.9'] } });
    expect(await resolveProxy({ host: 'proxy.example.org', port: 5070 }, 'tcp', resolver)).toEqual({
      kind: 'ok',
      targets: [{ host: '192.0.2.9', port: 5070, transport: 'tcp' }],
    });
    expect(queries.some((q) => q.startsWith('SRV'))).toBe(false);
    expect(await resolveProxy({ host: '192.0.2.1', port: 5060 }, 'udp', resolver)).toMatchObject({ kind: 'ok' });
    expect(await resolveProxy({ host: 'nope.example.org', port: 5060 }, 'udp', resolver)).toMatchObject({
      kind: 'no_dns',
      message: 'No DNS answer for the proxy nope.example.org: it has no A or AAAA record.',
    });
  });

  it('parseHostPort keeps the port undefined when absent', () => {
    expect(parseHostPort('example.org')).toEqual({ kind: 'ok', host: 'example.org', port: undefined });
  });
});
