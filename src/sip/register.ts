// The registration check: REGISTER with digest authentication, then remove the binding again
// (RFC 3261 §10.2, §22). The password stays inside this module: it is only hashed into digest
// answers and never appears in a request, a message, an error or an outcome.
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { buildAuthorization, parseChallenge, type DigestChallenge } from './digest.ts';
import { parseHostPort } from './resolve.ts';
import { headerValue, headerValues, serializeRequest, type SipResponse } from './sip-message.ts';
import {
  DEFAULT_T1_MS,
  DEFAULT_T2_MS,
  openTransport,
  type SipTransport,
  type Target,
  type TransactionResult,
  type TransactionTimers,
} from './transport.ts';

export interface RegisterCheckOptions {
  readonly username: string;
  readonly domain: string;
  /** The digest username; a blank one means the username. */
  readonly authUsername: string;
  readonly password: string;
  readonly target: Target;
  /** How long to wait for the answer to any one request; RFC 3261 timer F (64*T1) by default. */
  readonly timeoutMs?: number;
  /** RFC 3261 T1, the first UDP retransmission interval; 500 ms by default. */
  readonly t1Ms?: number;
  /** Seconds asked for in the REGISTER; 60 by default. */
  readonly expires?: number;
  /** The host to put in Via and Contact; the socket's local address by default. */
  readonly localHost?: string;
}

/** `invalid`: the entry cannot be put into a SIP request (say, a domain with a space); nothing was sent. */
export type RegistrationKind = 'registered' | 'rejected' | 'timeout' | 'network' | 'malformed' | 'invalid';

export interface RegistrationOutcome {
  /** The final SIP status of the REGISTER, or null when none came. */
  readonly statusCode: number | null;
  /** The SIP reason phrase, or a short label when no response came. */
  readonly reason: string;
  /** From the start of the check to the REGISTER's final answer; the unregister is not counted. */
  readonly durationMs: number;
  /** A sentence a user can act on. */
  readonly message: string;
  readonly kind: RegistrationKind;
}

const MAX_REQUESTS_PER_EXCHANGE = 8;
const MAX_STALE_RETRIES = 2;

/** Registers the credential once, unregisters after a success, and says what happened; never throws on peer data. */
export async function registerCheck(options: RegisterCheckOptions): Promise<RegistrationOutcome> {
  const started = performance.now();
  const elapsed = (): number => Math.round(performance.now() - started);
  const problem = findInvalidInput(options);
  if (problem) return { statusCode: null, reason: 'Invalid entry', durationMs: 0, message: problem, kind: 'invalid' };
  const timers = timersFor(options);
  const opened = await openTransport(options.target, timers.timeoutMs);
  if (opened.kind !== 'ok') return describeFailure(options, { result: opened, sentCredentials: false }, elapsed());
  const session = newSession(options, opened.transport);
  try {
    const registered = await exchange(session, options.expires ?? 60, timers);
    const durationMs = elapsed();
    const response = registered.result.kind === 'response' ? registered.result.response : undefined;
    if (!response || !isSuccess(response)) return describeFailure(options, registered, durationMs);
    const removed = await exchange(session, 0, timers);
    return describeSuccess(response, removed, registered.expires, durationMs);
  } finally {
    opened.transport.close();
  }
}

/** The `user` part of a SIP URI with everything RFC 3261 §25.1 does not allow there %-escaped. */
export function escapeUriUser(user: string): string {
  // encodeURIComponent leaves exactly RFC 3261's unreserved set; user-unreserved marks may stay literal.
  return encodeURIComponent(user).replace(/%(26|3D|2B|24|2C|3B|3F|2F)/gi, (escaped) => decodeURIComponent(escaped));
}

function timersFor(options: RegisterCheckOptions): TransactionTimers {
  const t1Ms = options.t1Ms ?? DEFAULT_T1_MS;
  const timeoutMs = options.timeoutMs ?? 64 * t1Ms;
  if (!(t1Ms > 0) || !(timeoutMs > 0)) throw new RangeError('t1Ms and timeoutMs must be positive');
  return { t1Ms, t2Ms: Math.max(DEFAULT_T2_MS, t1Ms), timeoutMs };
}

// Entry data comes from users, so a bad value is an answer, not an exception. Bad wiring (ports) throws.
function findInvalidInput(options: RegisterCheckOptions): string | undefined {
  const { port } = options.target;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`bad target port ${port}`);
  const expires = options.expires ?? 60;
  if (!Number.isInteger(expires) || expires < 1) throw new RangeError(`expires must be a positive integer`);
  if (options.username === '') return 'The entry has no username: fill in the username.';
  if (parseHostPort(options.domain).kind !== 'ok') {
    return `The domain ${JSON.stringify(options.domain)} is not a valid SIP domain: use a host name or IP address.`;
  }
  if (hasControlCharacter(options.username) || hasControlCharacter(options.authUsername)) {
    return 'The username or auth username contains a control character (tab, newline…): remove it.';
  }
  if (LONE_SURROGATE.test(options.username)) return 'The username is not valid Unicode text: type it again.';
  return undefined;
}

// encodeURIComponent throws on these, and no registrar could match them anyway.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function hasControlCharacter(text: string): boolean {
  return [...text].some((ch) => ch < ' ' || ch === '\u007f');
}

function uriHost(host: string): string {
  return net.isIPv6(host) ? `[${host}]` : host;
}

function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

function isSuccess(response: SipResponse): boolean {
  return response.statusCode >= 200 && response.statusCode < 300;
}

// --- the REGISTER dialog state shared by the register and the unregister ----------------------------

interface CachedCredential {
  readonly header: 'Authorization' | 'Proxy-Authorization';
  readonly challenge: DigestChallenge;
  nc: number;
}

interface Session {
  readonly transport: SipTransport;
  readonly requestUri: string;
  readonly aor: string;
  readonly contact: string;
  readonly via: string;
  readonly callId: string;
  readonly fromTag: string;
  readonly authUsername: string;
  readonly password: string;
  cseq: number;
  /** Keyed by header and realm, reused with a growing nc so the unregister needs no new challenge. */
  readonly credentials: Map<string, CachedCredential>;
}

function newSession(options: RegisterCheckOptions, transport: SipTransport): Session {
  const domain = uriHost(options.domain);
  const local = `${uriHost(options.localHost ?? transport.local.address)}:${transport.local.port}`;
  const user = escapeUriUser(options.username);
  return {
    transport,
    requestUri: `sip:${domain}`,
    aor: `<sip:${user}@${domain}>`,
    contact: `<sip:${user}@${local};transport=${transport.name}>`,
    via: `SIP/2.0/${transport.name.toUpperCase()} ${local};rport`,
    callId: randomHex(16),
    fromTag: randomHex(8),
    authUsername: options.authUsername === '' ? options.username : options.authUsername,
    password: options.password,
    cseq: 0,
    credentials: new Map(),
  };
}

function buildRegister(session: Session, expires: number): { text: string; branch: string; cseq: number } {
  session.cseq += 1;
  const branch = `z9hG4bK${randomHex(12)}`; // RFC 3261 §8.1.1.7 magic cookie: a new transaction each time
  const authorization = [...session.credentials.values()].map((credential): [string, string] => {
    credential.nc += 1;
    const value = buildAuthorization({
      challenge: credential.challenge,
      method: 'REGISTER',
      uri: session.requestUri,
      username: session.authUsername,
      password: session.password,
      cnonce: randomHex(8),
      nc: credential.nc,
    });
    return [credential.header, value];
  });
  const text = serializeRequest({
    method: 'REGISTER',
    uri: session.requestUri,
    headers: [
      ['Via', `${session.via};branch=${branch}`],
      ['Max-Forwards', '70'],
      ['From', `${session.aor};tag=${session.fromTag}`],
      ['To', session.aor],
      ['Call-ID', session.callId],
      ['CSeq', `${session.cseq} REGISTER`],
      ['Contact', session.contact],
      ['Expires', String(expires)],
      ...authorization,
      ['User-Agent', 'sipcreds'],
    ],
  });
  return { text, branch, cseq: session.cseq };
}

// --- one REGISTER exchange: the request, its challenges, and one 423 retry --------------------------

type ChallengeProblem = { kind: 'refused' } | { kind: 'unanswerable'; reason: string };

interface Exchange {
  readonly result: TransactionResult;
  readonly sentCredentials: boolean;
  readonly challengeProblem?: ChallengeProblem;
  /** The Expires finally asked for (raised to Min-Expires after a 423). */
  readonly expires?: number;
}

async function exchange(session: Session, initialExpires: number, timers: TransactionTimers): Promise<Exchange> {
  const answered = new Set<string>();
  let expires = initialExpires;
  let staleRetries = 0;
  let intervalRetried = false;
  let sentCredentials = false;
  let result: TransactionResult = { kind: 'timeout', waitedMs: 0 };
  for (let sent = 0; sent < MAX_REQUESTS_PER_EXCHANGE; sent++) {
    sentCredentials ||= session.credentials.size > 0;
    const request = buildRegister(session, expires);
    const key = { branch: request.branch, cseq: request.cseq, method: 'REGISTER' };
    result = await session.transport.request(request.text, key, timers);
    if (result.kind !== 'response') return { result, sentCredentials, expires };
    const { response } = result;
    if (response.statusCode === 401 || response.statusCode === 407) {
      const taken = takeChallenges(session, response, answered);
      if (taken.kind !== 'retry') return { result, sentCredentials, expires, challengeProblem: taken };
      if (taken.stale && ++staleRetries > MAX_STALE_RETRIES) {
        return { result, sentCredentials, expires, challengeProblem: { kind: 'refused' } };
      }
      continue;
    }
    const minExpires = parseDeltaSeconds(headerValue(response, 'min-expires'));
    if (
      response.statusCode === 423 &&
      expires > 0 &&
      !intervalRetried &&
      minExpires !== undefined &&
      minExpires > expires
    ) {
      expires = minExpires;
      intervalRetried = true;
      continue;
    }
    return { result, sentCredentials, expires };
  }
  return { result, sentCredentials, expires, challengeProblem: { kind: 'refused' } };
}

// RFC 3261 §25.1 delta-seconds, kept to what an Expires header can carry.
function parseDeltaSeconds(value: string | undefined): number | undefined {
  return value !== undefined && /^\d{1,10}$/.test(value) && Number(value) <= 2 ** 32 - 1 ? Number(value) : undefined;
}

// RFC 3261 §22.3: answer each realm's challenge once. The same realm again without stale=true
// means the credentials were wrong; stale=true only means the nonce expired.
function takeChallenges(
  session: Session,
  response: SipResponse,
  answered: Set<string>,
): { kind: 'retry'; stale: boolean } | ChallengeProblem {
  const proxy = response.statusCode === 407;
  const header = proxy ? 'Proxy-Authorization' : 'Authorization';
  const parsed = headerValues(response, proxy ? 'proxy-authenticate' : 'www-authenticate').map(parseChallenge);
  const challenges = topmostPerRealm(parsed.flatMap((p) => (p.kind === 'ok' ? [p.challenge] : [])));
  if (challenges.length === 0) {
    const reasons = parsed.flatMap((p) => (p.kind === 'ok' ? [] : [p.reason]));
    return { kind: 'unanswerable', reason: reasons[0] ?? 'no challenge came with it' };
  }
  let stale = false;
  for (const challenge of challenges) {
    const key = `${header}:${challenge.realm}`;
    if (answered.has(key) && !challenge.stale) return { kind: 'refused' };
    stale ||= answered.has(key);
    answered.add(key);
    session.credentials.set(key, { header, challenge, nc: 0 });
  }
  return { kind: 'retry', stale };
}

// RFC 8760 §2.4: with several challenges for one realm, use the topmost one we support.
function topmostPerRealm(challenges: DigestChallenge[]): DigestChallenge[] {
  const byRealm = new Map<string, DigestChallenge>();
  for (const challenge of challenges) if (!byRealm.has(challenge.realm)) byRealm.set(challenge.realm, challenge);
  return [...byRealm.values()];
}

// --- outcomes: what a user reads ----------------------------------------------------------------------

function describeSuccess(
  response: SipResponse,
  removed: Exchange,
  expires: number | undefined,
  durationMs: number,
): RegistrationOutcome {
  const status = `${response.statusCode} ${response.reason}`.trim();
  const base = { statusCode: response.statusCode, reason: response.reason, durationMs, kind: 'registered' as const };
  const result = removed.result;
  if (result.kind === 'response' && isSuccess(result.response)) {
    return { ...base, message: `Registration succeeded (${status}) and the binding was removed again.` };
  }
  const why =
    result.kind === 'response'
      ? `was refused (${result.response.statusCode} ${result.response.reason})`
      : result.kind === 'timeout'
        ? 'got no answer'
        : result.kind === 'malformed'
          ? 'got a malformed answer'
          : `failed (${result.code})`;
  return {
    ...base,
    message: `Registration succeeded (${status}), but removing the binding again ${why}: it expires by itself within ${expires ?? 60} s.`,
  };
}

function describeFailure(options: RegisterCheckOptions, failed: Exchange, durationMs: number): RegistrationOutcome {
  const { result } = failed;
  const target = options.target;
  const where = `${uriHost(target.host)}:${target.port}`;
  const over = target.transport.toUpperCase();
  if (result.kind === 'timeout') {
    const seconds = Number((result.waitedMs / 1000).toFixed(1));
    return {
      statusCode: null,
      reason: 'Timeout',
      durationMs,
      kind: 'timeout',
      message: `No answer from ${where} over ${over} within ${seconds} s: check the registrar address, port and transport.`,
    };
  }
  if (result.kind === 'malformed') {
    return {
      statusCode: null,
      reason: 'Malformed response',
      durationMs,
      kind: 'malformed',
      message: `${where} answered over ${over} with something that is not a valid SIP response (${result.reason}): check that the address and port are those of a SIP registrar.`,
    };
  }
  if (result.kind === 'network') return { ...describeNetwork(result.code, target, where, over), durationMs };
  const { response } = result;
  const message = rejectionMessage(response, failed);
  return { statusCode: response.statusCode, reason: response.reason, durationMs, kind: 'rejected', message };
}

function rejectionMessage(response: SipResponse, failed: Exchange): string {
  const code = response.statusCode;
  const status = `${code} ${response.reason}`.trim();
  const problem = failed.challengeProblem;
  if (problem?.kind === 'unanswerable') {
    return `The registrar asks for authentication this checker cannot answer (${status}: ${problem.reason}): ask the provider for Digest MD5 or SHA-256 credentials.`;
  }
  if (problem?.kind === 'refused' || (code === 403 && failed.sentCredentials)) {
    return `The registrar refused the credentials (${status}): check the password and auth username.`;
  }
  if (code === 403) {
    return `The registrar refused the registration (${status}) without asking for credentials: check the username and domain, and that this server may register there.`;
  }
  if (code === 404)
    return `The registrar does not know this user or domain (${status}): check the username and domain.`;
  if (code === 423) {
    const min = headerValue(response, 'min-expires');
    return `The registrar wants a longer registration interval (${status}${min ? `, Min-Expires ${min}` : ''}) even after a retry: ask its operator which interval it accepts.`;
  }
  if (code >= 300 && code < 400) {
    const contact = headerValue(response, 'contact') ?? 'another address';
    return `The registrar redirected the registration (${status}) to ${contact}: use that address as the proxy.`;
  }
  if (code >= 500 && code < 600) {
    return `The registrar could not handle the registration (${status}): try again later or ask its operator.`;
  }
  return `The registrar rejected the registration (${status}): check the username, domain and registrar address.`;
}

function describeNetwork(
  code: string,
  target: Target,
  where: string,
  over: string,
): Omit<RegistrationOutcome, 'durationMs'> {
  const fix = 'check the registrar address, port and transport.';
  const base = { statusCode: null, kind: 'network' as const };
  if (code === 'ECONNREFUSED') {
    const message =
      target.transport === 'tcp'
        ? `${where} refused the TCP connection: ${fix}`
        : `${where} reports that nothing listens on UDP port ${target.port} (ICMP port unreachable): ${fix}`;
    return { ...base, reason: 'Connection refused', message };
  }
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') {
    const message = `${uriHost(target.host)} cannot be reached from this server (${code}): check the registrar address and the network.`;
    return { ...base, reason: 'Unreachable', message };
  }
  if (code === 'CLOSED' || code === 'ECONNRESET' || code === 'EPIPE') {
    const message = `${where} closed the ${over} connection before answering: check that it is a SIP registrar and that the transport is right.`;
    return { ...base, reason: 'Connection closed', message };
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    const message = `The registrar host ${target.host} could not be resolved (${code}): check the registrar address.`;
    return { ...base, reason: 'Host not found', message };
  }
  return { ...base, reason: 'Network error', message: `Could not talk to ${where} over ${over} (${code}): ${fix}` };
}
