// Where to send a REGISTER: RFC 3263 §4 for a SIP domain (the transport is already chosen, so no
// NAPTR step), or an explicit proxy host:port. DNS comes in through a resolver so tests need no network.
import dns from 'node:dns/promises';
import net from 'node:net';
import type { Target, TransportName } from './transport.ts';

/** The part of node:dns/promises this module uses. */
export interface DnsResolver {
  resolveSrv(name: string): Promise<Array<{ name: string; port: number; priority: number; weight: number }>>;
  resolve4(name: string): Promise<string[]>;
  resolve6(name: string): Promise<string[]>;
}

export type Resolution =
  { kind: 'ok'; targets: Target[] } | { kind: 'no_dns'; message: string } | { kind: 'invalid'; message: string };

export type HostPort = { kind: 'ok'; host: string; port: number | undefined } | { kind: 'invalid'; message: string };

type SrvRecord = Awaited<ReturnType<DnsResolver['resolveSrv']>>[number];

const SIP_PORT = 5060;
const HOSTNAME =
  /^(?=.{1,253}\.?$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

/** Parses `host`, `host:port`, `[v6]`, `[v6]:port` or a bare IPv6 address; the host comes back without brackets. */
export function parseHostPort(text: string): HostPort {
  const trimmed = text.trim();
  const invalid = { kind: 'invalid' as const, message: `${JSON.stringify(text)} is not a host or host:port` };
  if (net.isIPv6(trimmed)) return { kind: 'ok', host: trimmed, port: undefined };
  const match = /^(?:\[([^\]]*)\]|([^:[\]]+))(?::(\d{1,5}))?$/.exec(trimmed);
  if (!match) return invalid;
  const [, bracketed, plain, portText] = match;
  const host = bracketed ?? plain ?? '';
  const hostOk = bracketed !== undefined ? net.isIPv6(host) : net.isIPv4(host) || HOSTNAME.test(host);
  const port = portText === undefined ? undefined : Number(portText);
  if (!hostOk || (port !== undefined && (port < 1 || port > 65535))) return invalid;
  return { kind: 'ok', host, port };
}

/** Parses an explicit proxy `host:port` (IPv6 in brackets); 5060 when the port is left out. */
export function parseProxy(
  text: string,
): { kind: 'ok'; host: string; port: number } | { kind: 'invalid'; message: string } {
  const parsed = parseHostPort(text);
  if (parsed.kind === 'invalid') {
    return {
      kind: 'invalid',
      message: `The proxy ${JSON.stringify(text)} is not host:port: write it like sip.example.com:5060 or [2001:db8::1]:5060.`,
    };
  }
  return { kind: 'ok', host: parsed.host, port: parsed.port ?? SIP_PORT };
}

/** RFC 3263 §4.2 for a domain: an IP literal as is, else SRV for the transport, else A/AAAA on 5060. */
export async function resolveDomain(
  domain: string,
  transport: TransportName,
  resolver: DnsResolver = dns,
  random: () => number = Math.random,
): Promise<Resolution> {
  const parsed = parseHostPort(domain);
  if (parsed.kind === 'invalid') return { kind: 'invalid', message: `The domain ${parsed.message}.` };
  const { host, port } = parsed;
  if (net.isIP(host)) return ok([{ host, port: port ?? SIP_PORT, transport }]);
  // An explicit port means no SRV lookup (RFC 3263 §4.2).
  if (port !== undefined)
    return addressTargets(host, port, transport, resolver, `No DNS answer for ${host}: it has no A or AAAA record.`);
  const service = `_sip._${transport}.${host}`;
  const records = await resolver.resolveSrv(service).catch(() => []);
  if (records.length === 0) {
    const message = `No DNS answer for ${host}: no SRV record ${service} and no A or AAAA record. Check the domain, or set an explicit proxy.`;
    return addressTargets(host, SIP_PORT, transport, resolver, message);
  }
  // RFC 2782: a lone "." target says the service is decidedly not offered.
  if (records.length === 1 && (records[0]?.name === '.' || records[0]?.name === '')) {
    return {
      kind: 'no_dns',
      message: `No DNS answer for ${host}: its SRV record says it offers no SIP over ${transport.toUpperCase()}.`,
    };
  }
  return srvTargets(orderSrv(records, random), host, transport, resolver);
}

/** Addresses of an explicit proxy: an IP as is, a name through A/AAAA. */
export async function resolveProxy(
  proxy: { host: string; port: number },
  transport: TransportName,
  resolver: DnsResolver = dns,
): Promise<Resolution> {
  if (net.isIP(proxy.host)) return ok([{ host: proxy.host, port: proxy.port, transport }]);
  return addressTargets(
    proxy.host,
    proxy.port,
    transport,
    resolver,
    `No DNS answer for the proxy ${proxy.host}: it has no A or AAAA record.`,
  );
}

/** RFC 2782 order: ascending priority, and within one priority a weighted random draw. */
export function orderSrv<T extends { priority: number; weight: number }>(
  records: readonly T[],
  random: () => number,
): T[] {
  const priorities = [...new Set(records.map((r) => r.priority))].sort((a, b) => a - b);
  return priorities.flatMap((priority) =>
    weightedShuffle(
      records.filter((r) => r.priority === priority),
      random,
    ),
  );
}

function weightedShuffle<T extends { weight: number }>(group: T[], random: () => number): T[] {
  // Weight-0 records go first so that they are picked only when the draw is 0 (RFC 2782).
  const remaining = [...group.filter((r) => r.weight === 0), ...group.filter((r) => r.weight !== 0)];
  const ordered: T[] = [];
  while (remaining.length > 0) {
    const total = remaining.reduce((sum, r) => sum + r.weight, 0);
    const draw = Math.floor(random() * (total + 1));
    let running = 0;
    const index = remaining.findIndex((r) => (running += r.weight) >= draw);
    ordered.push(...remaining.splice(index < 0 ? 0 : index, 1));
  }
  return ordered;
}

async function srvTargets(
  records: SrvRecord[],
  domain: string,
  transport: TransportName,
  resolver: DnsResolver,
): Promise<Resolution> {
  const perRecord = await Promise.all(records.map((r) => lookupAddresses(r.name, resolver)));
  const targets = records.flatMap((r, i) => (perRecord[i] ?? []).map((host) => ({ host, port: r.port, transport })));
  if (targets.length > 0) return ok(targets);
  const names = records.map((r) => r.name).join(', ');
  return {
    kind: 'no_dns',
    message: `No DNS answer for ${domain}: its SRV records point at ${names}, which have no A or AAAA record.`,
  };
}

async function addressTargets(
  host: string,
  port: number,
  transport: TransportName,
  resolver: DnsResolver,
  noAnswer: string,
): Promise<Resolution> {
  const addresses = await lookupAddresses(host, resolver);
  if (addresses.length === 0) return { kind: 'no_dns', message: noAnswer };
  return ok(addresses.map((address) => ({ host: address, port, transport })));
}

// A failed lookup (NXDOMAIN, no data, server failure) counts as no answer. IPv4 first: RFC 3263 leaves the order open.
async function lookupAddresses(name: string, resolver: DnsResolver): Promise<string[]> {
  const [v4, v6] = await Promise.all([
    resolver.resolve4(name).catch(() => []),
    resolver.resolve6(name).catch(() => []),
  ]);
  return [...v4, ...v6];
}

function ok(targets: Target[]): Resolution {
  // Two SRV records can lead to one address; trying it twice would only double the wait.
  const unique = new Map(targets.map((t) => [`${t.host}|${t.port}`, t]));
  return { kind: 'ok', targets: [...unique.values()] };
}
