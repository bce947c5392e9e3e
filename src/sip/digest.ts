// Digest access authentication for SIP: RFC 2617 and RFC 7616 as RFC 3261 §22 and RFC 8760 use them.
// Pure: the caller supplies the cnonce and nonce count, so the same input always gives the same header.
import { createHash } from 'node:crypto';

export type DigestAlgorithm = 'MD5' | 'MD5-sess' | 'SHA-256' | 'SHA-256-sess' | 'SHA-512-256' | 'SHA-512-256-sess';

/** One Digest challenge from a WWW-Authenticate or Proxy-Authenticate header value. */
export interface DigestChallenge {
  readonly realm: string;
  readonly nonce: string;
  readonly opaque: string | undefined;
  /** MD5 when the challenge names none (RFC 2617 §3.2.1). */
  readonly algorithm: DigestAlgorithm;
  /** The qop options offered, lower case; empty for an RFC 2069 challenge. */
  readonly qop: readonly string[];
  readonly stale: boolean;
}

export type ChallengeParse =
  | { kind: 'ok'; challenge: DigestChallenge }
  | { kind: 'unsupported'; reason: string }
  | { kind: 'malformed'; reason: string };

/** What it takes to answer a challenge. `nc` counts the requests sent with this nonce, from 1. */
export interface DigestAnswerInput {
  readonly challenge: DigestChallenge;
  readonly method: string;
  readonly uri: string;
  readonly username: string;
  readonly password: string;
  readonly cnonce: string;
  readonly nc: number;
  /** The request body, needed only for qop=auth-int. */
  readonly body?: string;
}

interface AlgorithmSpec {
  readonly name: DigestAlgorithm;
  readonly hash: string;
  readonly sess: boolean;
}

// Keyed by lower-case name: RFC 7616 compares algorithm names case-insensitively.
const ALGORITHMS: ReadonlyMap<string, AlgorithmSpec> = new Map(
  (
    [
      { name: 'MD5', hash: 'md5', sess: false },
      { name: 'MD5-sess', hash: 'md5', sess: true },
      { name: 'SHA-256', hash: 'sha256', sess: false },
      { name: 'SHA-256-sess', hash: 'sha256', sess: true },
      { name: 'SHA-512-256', hash: 'sha512-256', sess: false },
      { name: 'SHA-512-256-sess', hash: 'sha512-256', sess: true },
    ] satisfies AlgorithmSpec[]
  ).map((spec) => [spec.name.toLowerCase(), spec]),
);

const TOKEN = /^[A-Za-z0-9\-.!%*_+`'~]+/;

/** Parses one challenge; reports non-Digest schemes and unknown algorithms as unsupported. */
export function parseChallenge(headerValue: string): ChallengeParse {
  const scheme = /^\s*([A-Za-z0-9\-._~+/]+)\s*/.exec(headerValue);
  if (!scheme) return { kind: 'malformed', reason: 'no authentication scheme' };
  if (scheme[1]?.toLowerCase() !== 'digest') {
    return { kind: 'unsupported', reason: `authentication scheme ${scheme[1]} is not Digest` };
  }
  const params = parseAuthParams(headerValue.slice(scheme[0].length));
  if (params.kind === 'malformed') return params;
  return challengeFrom(params.map);
}

/** Parses `name=token` / `name="quoted"` pairs separated by commas; names are lower-cased, first one wins. */
export function parseAuthParams(
  text: string,
): { kind: 'ok'; map: Map<string, string> } | { kind: 'malformed'; reason: string } {
  const map = new Map<string, string>();
  let rest = text.trim();
  while (rest !== '') {
    const pair = readPair(rest);
    if (pair.kind === 'malformed') return pair;
    if (!map.has(pair.name)) map.set(pair.name, pair.value);
    rest = pair.rest.replace(/^\s*(,\s*)*/, '');
  }
  return { kind: 'ok', map };
}

/** The value of an Authorization or Proxy-Authorization header answering the challenge. */
export function buildAuthorization(input: DigestAnswerInput): string {
  const { challenge } = input;
  const qop = chooseQop(challenge.qop);
  const nc = formatNonceCount(input.nc);
  const response = computeResponse(input, qop, nc);
  const parts = [
    `username=${quote(input.username)}`,
    `realm=${quote(challenge.realm)}`,
    `nonce=${quote(challenge.nonce)}`,
    `uri=${quote(input.uri)}`,
    `response="${response}"`,
    `algorithm=${challenge.algorithm}`,
  ];
  if (challenge.opaque !== undefined) parts.push(`opaque=${quote(challenge.opaque)}`);
  if (qop) parts.push(`qop=${qop}`, `nc=${nc}`, `cnonce=${quote(input.cnonce)}`);
  return `Digest ${parts.join(', ')}`;
}

// The request-digest (the `response` parameter), lower-case hex. qop undefined means RFC 2069 style.
function computeResponse(input: DigestAnswerInput, qop: string | undefined, nc: string): string {
  const algorithm = ALGORITHMS.get(input.challenge.algorithm.toLowerCase());
  if (!algorithm) throw new Error(`unsupported digest algorithm ${input.challenge.algorithm}`); // parseChallenge filters these
  const h = (text: string): string => createHash(algorithm.hash).update(text, 'utf8').digest('hex');
  const { realm, nonce } = input.challenge;
  let ha1 = h(`${input.username}:${realm}:${input.password}`);
  if (algorithm.sess) ha1 = h(`${ha1}:${nonce}:${input.cnonce}`);
  const ha2 =
    qop === 'auth-int' ? h(`${input.method}:${input.uri}:${h(input.body ?? '')}`) : h(`${input.method}:${input.uri}`);
  if (qop === undefined) return h(`${ha1}:${nonce}:${ha2}`);
  return h(`${ha1}:${nonce}:${nc}:${input.cnonce}:${qop}:${ha2}`);
}

/** The nonce count as the 8 hex digits the wire wants (RFC 7616 §3.4). */
export function formatNonceCount(nc: number): string {
  if (!Number.isInteger(nc) || nc < 1 || nc > 0xffffffff) throw new RangeError(`nonce count out of range: ${nc}`);
  return nc.toString(16).padStart(8, '0');
}

// auth is preferred because it needs no body; auth-int over an empty body still works when it is the only offer.
function chooseQop(offered: readonly string[]): string | undefined {
  if (offered.includes('auth')) return 'auth';
  if (offered.includes('auth-int')) return 'auth-int';
  return undefined;
}

function challengeFrom(params: Map<string, string>): ChallengeParse {
  const realm = params.get('realm');
  const nonce = params.get('nonce');
  if (realm === undefined) return { kind: 'malformed', reason: 'the challenge has no realm' };
  if (nonce === undefined) return { kind: 'malformed', reason: 'the challenge has no nonce' };
  const algorithm = ALGORITHMS.get((params.get('algorithm') ?? 'MD5').toLowerCase());
  if (!algorithm)
    return { kind: 'unsupported', reason: `digest algorithm ${params.get('algorithm')} is not supported` };
  const qopText = params.get('qop');
  const qop = qopText === undefined ? [] : qopText.split(',').map((option) => option.trim().toLowerCase());
  // A challenge that offers qop but none we know leaves nothing valid to answer with.
  if (qop.length > 0 && !qop.includes('auth') && !qop.includes('auth-int')) {
    return { kind: 'unsupported', reason: `qop ${qopText} is not supported` };
  }
  const stale = params.get('stale')?.toLowerCase() === 'true';
  return {
    kind: 'ok',
    challenge: { realm, nonce, opaque: params.get('opaque'), algorithm: algorithm.name, qop, stale },
  };
}

type Pair = { kind: 'ok'; name: string; value: string; rest: string } | { kind: 'malformed'; reason: string };

function readPair(text: string): Pair {
  const name = TOKEN.exec(text)?.[0];
  if (!name) return { kind: 'malformed', reason: `expected a parameter name at ${JSON.stringify(text.slice(0, 20))}` };
  const afterName = text.slice(name.length).replace(/^\s*/, '');
  if (!afterName.startsWith('=')) return { kind: 'malformed', reason: `parameter ${name} has no value` };
  const valueText = afterName.slice(1).replace(/^\s*/, '');
  const value = valueText.startsWith('"') ? readQuoted(valueText) : readToken(valueText);
  if (value.kind === 'malformed') return { kind: 'malformed', reason: `parameter ${name}: ${value.reason}` };
  if (value.rest !== '' && !/^\s*,/.test(value.rest)) {
    return { kind: 'malformed', reason: `parameter ${name} is not followed by a comma` };
  }
  return { kind: 'ok', name: name.toLowerCase(), value: value.value, rest: value.rest };
}

function readQuoted(text: string): { kind: 'ok'; value: string; rest: string } | { kind: 'malformed'; reason: string } {
  let value = '';
  for (let i = 1; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') return { kind: 'ok', value, rest: text.slice(i + 1) };
    if (ch === '\\' && i + 1 < text.length) i++;
    value += text[i];
  }
  return { kind: 'malformed', reason: 'unterminated quoted string' };
}

// Laxer than a token: real servers send unquoted base64 nonces with '/' and '='.
function readToken(text: string): { kind: 'ok'; value: string; rest: string } | { kind: 'malformed'; reason: string } {
  const token = /^[^\s,"]+/.exec(text)?.[0];
  if (!token) return { kind: 'malformed', reason: 'empty value' };
  return { kind: 'ok', value: token, rest: text.slice(token.length) };
}

// RFC 3261 quoted-string: backslash and double quote must be escaped.
function quote(value: string): string {
  return `"${value.replace(/[\\"]/g, (ch) => `\\${ch}`)}"`;
}
