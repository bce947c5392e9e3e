// SIP client transactions over UDP and TCP (RFC 3261 §17.1.2 non-INVITE, §18 transport).
// One transport serves one registration check: one socket, one target, a few sequential transactions.
import dgram from 'node:dgram';
import net from 'node:net';
import { parseResponse, topViaBranch, type SipResponse } from './sip-message.ts';

export type TransportName = 'udp' | 'tcp';

/** Where requests go: an IP address (or a name the OS resolves), a port and a transport. */
export interface Target {
  readonly host: string;
  readonly port: number;
  readonly transport: TransportName;
}

/** What identifies a client transaction's responses (RFC 3261 §17.1.3). */
export interface TransactionKey {
  readonly branch: string;
  readonly cseq: number;
  readonly method: string;
}

/** RFC 3261 timers: T1 and T2 drive retransmission over UDP, timeoutMs is timer F (64*T1 by default). */
export interface TransactionTimers {
  readonly t1Ms: number;
  readonly t2Ms: number;
  readonly timeoutMs: number;
}

/** Why a transport could not be used; `code` is the OS error code or CLOSED when the peer hung up. */
export interface NetworkFailure {
  readonly kind: 'network';
  readonly code: string;
}

export type TransactionResult =
  | { kind: 'response'; response: SipResponse }
  | { kind: 'timeout'; waitedMs: number }
  | { kind: 'malformed'; reason: string }
  | NetworkFailure;

export interface SipTransport {
  readonly name: TransportName;
  /** The local address and port the socket uses, for Via and Contact. */
  readonly local: { readonly address: string; readonly port: number };
  /** Runs one non-INVITE client transaction to its final response, timeout or transport failure. */
  request(message: string, key: TransactionKey, timers: TransactionTimers): Promise<TransactionResult>;
  close(): void;
}

export type OpenResult =
  { kind: 'ok'; transport: SipTransport } | { kind: 'timeout'; waitedMs: number } | NetworkFailure;

export const DEFAULT_T1_MS = 500;
export const DEFAULT_T2_MS = 4000;

// A header section longer than this on a stream means the peer is not speaking SIP to us.
const MAX_HEADER_BYTES = 64 * 1024;
const MAX_BODY_BYTES = 1024 * 1024;

/** Opens a socket to the target: a connected UDP socket (so ICMP errors surface) or a TCP connection. */
export function openTransport(target: Target, connectTimeoutMs: number): Promise<OpenResult> {
  return target.transport === 'udp' ? openUdp(target) : openTcp(target, connectTimeoutMs);
}

interface Pending {
  readonly key: TransactionKey;
  onProvisional(): void;
  settle(result: TransactionResult): void;
  malformed: string | undefined;
}

// The transaction layer shared by both transports: matches responses and fails everything on a dead socket.
class Transactions {
  private readonly pending = new Map<string, Pending>();
  private dead: TransactionResult | undefined;

  deadResult(): TransactionResult | undefined {
    return this.dead;
  }

  add(entry: Pending): void {
    this.pending.set(entry.key.branch, entry);
  }

  remove(branch: string): void {
    this.pending.delete(branch);
  }

  // Returns the parse failure so a stream transport can give up on the connection.
  receive(bytes: Buffer): string | undefined {
    if (isNoise(bytes)) return undefined;
    const parsed = parseResponse(bytes);
    if (parsed.kind === 'malformed') {
      for (const entry of this.pending.values()) entry.malformed = parsed.reason;
      return parsed.reason;
    }
    const { response } = parsed;
    const entry = this.pending.get(topViaBranch(response) ?? '');
    // Late copies of answers to earlier transactions (UDP retransmissions) land here and are dropped.
    if (!entry || entry.key.cseq !== response.cseq.seq || entry.key.method !== response.cseq.method) return undefined;
    if (response.statusCode < 200) entry.onProvisional();
    else entry.settle({ kind: 'response', response });
    return undefined;
  }

  failAll(result: TransactionResult): void {
    this.dead ??= result;
    for (const entry of [...this.pending.values()]) entry.settle(result);
  }
}

interface Wire {
  readonly reliable: boolean;
  send(message: string): void;
}

// RFC 3261 §17.1.2.2: timer E retransmits over UDP (T1, doubling to T2; T2 once a 1xx came), timer F ends it.
function runTransaction(
  table: Transactions,
  wire: Wire,
  message: string,
  key: TransactionKey,
  timers: TransactionTimers,
): Promise<TransactionResult> {
  const dead = table.deadResult();
  if (dead) return Promise.resolve(dead);
  return new Promise((resolve) => {
    const started = performance.now();
    let interval = timers.t1Ms;
    let proceeding = false;
    let retransmit: NodeJS.Timeout | undefined;
    const entry: Pending = {
      key,
      malformed: undefined,
      onProvisional: () => {
        proceeding = true;
      },
      settle: (result) => {
        clearTimeout(retransmit);
        clearTimeout(timerF);
        table.remove(key.branch);
        resolve(result);
      },
    };
    const fireE = (): void => {
      wire.send(message);
      interval = proceeding ? timers.t2Ms : Math.min(interval * 2, timers.t2Ms);
      retransmit = setTimeout(fireE, interval);
    };
    const timerF = setTimeout(() => {
      const waitedMs = Math.round(performance.now() - started);
      // Only garbage came back: say so rather than "no answer", which would send the user the wrong way.
      entry.settle(entry.malformed ? { kind: 'malformed', reason: entry.malformed } : { kind: 'timeout', waitedMs });
    }, timers.timeoutMs);
    table.add(entry);
    wire.send(message);
    if (!wire.reliable) retransmit = setTimeout(fireE, interval);
  });
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'EIO';
}

// Keepalives (RFC 5626 CRLFs) and requests the registrar may send us are not answers, and not garbage either.
function isNoise(bytes: Buffer): boolean {
  const text = bytes.toString('latin1');
  return /^\s*$/.test(text) || /^\s*[A-Za-z]+ \S+ SIP\/2\.0\r?\n/i.test(text);
}

function openUdp(target: Target): Promise<OpenResult> {
  const socket = dgram.createSocket(net.isIPv6(target.host) ? 'udp6' : 'udp4');
  const table = new Transactions();
  let connected = false;
  return new Promise((resolve) => {
    const fail = (error: unknown): void => {
      const failure: NetworkFailure = { kind: 'network', code: errorCode(error) };
      table.failAll(failure);
      if (connected) return; // the transport's owner closes it
      socket.close();
      resolve(failure);
    };
    socket.on('error', fail);
    socket.on('message', (bytes) => table.receive(bytes));
    socket.connect(target.port, target.host, () => {
      connected = true;
      const wire: Wire = {
        reliable: false,
        send: (message) => socket.send(message, (error) => error && fail(error)),
      };
      resolve({ kind: 'ok', transport: makeTransport('udp', socket.address(), table, wire, () => socket.close()) });
    });
  });
}

function openTcp(target: Target, connectTimeoutMs: number): Promise<OpenResult> {
  const socket = net.connect({ host: target.host, port: target.port, noDelay: true });
  const table = new Transactions();
  const giveUp = (result: TransactionResult): void => {
    table.failAll(result);
    socket.destroy();
  };
  const framer = createStreamFramer(
    (frame) => {
      const reason = table.receive(frame);
      if (reason) giveUp({ kind: 'malformed', reason });
    },
    (reason) => giveUp({ kind: 'malformed', reason }),
  );
  return new Promise((resolve) => {
    const connectTimer = setTimeout(() => {
      resolve({ kind: 'timeout', waitedMs: connectTimeoutMs });
      socket.destroy();
    }, connectTimeoutMs);
    socket.on('error', (error) => {
      const failure: NetworkFailure = { kind: 'network', code: errorCode(error) };
      clearTimeout(connectTimer);
      giveUp(failure);
      resolve(failure); // no-op once connected
    });
    socket.on('close', () => table.failAll({ kind: 'network', code: 'CLOSED' }));
    socket.on('data', (chunk) => framer.push(chunk));
    socket.once('connect', () => {
      clearTimeout(connectTimer);
      const local = { address: socket.localAddress ?? '', port: socket.localPort ?? 0 };
      const wire: Wire = { reliable: true, send: (message) => socket.write(message) };
      resolve({ kind: 'ok', transport: makeTransport('tcp', local, table, wire, () => socket.destroy()) });
    });
  });
}

function makeTransport(
  name: TransportName,
  local: { address: string; port: number },
  table: Transactions,
  wire: Wire,
  closeSocket: () => void,
): SipTransport {
  let closed = false;
  return {
    name,
    local: { address: local.address, port: local.port },
    request: (message, key, timers) => runTransaction(table, wire, message, key, timers),
    close: () => {
      if (closed) return;
      closed = true;
      table.failAll({ kind: 'network', code: 'CLOSED' });
      closeSocket();
    },
  };
}

export interface StreamFramer {
  push(chunk: Uint8Array): void;
}

/** Cuts a byte stream into SIP messages by Content-Length (RFC 3261 §18.3); any framing error is final. */
export function createStreamFramer(onFrame: (frame: Buffer) => void, onError: (reason: string) => void): StreamFramer {
  let buffer: Buffer = Buffer.alloc(0);
  let failed = false;
  const fail = (reason: string): void => {
    failed = true;
    buffer = Buffer.alloc(0);
    onError(reason);
  };
  const next = (): boolean => {
    // CRLFs between messages are keepalives (RFC 5626 §3.5.1).
    const text = buffer.toString('latin1');
    const start = text.search(/[^\r\n]/);
    if (start < 0) {
      buffer = Buffer.alloc(0);
      return false;
    }
    const end = /\r?\n\r?\n/.exec(text.slice(start));
    if (!end) {
      if (text.length - start > MAX_HEADER_BYTES) fail('the header section is too long');
      return false;
    }
    const bodyStart = start + end.index + end[0].length;
    const length = streamContentLength(text.slice(start, start + end.index));
    if (typeof length === 'string') {
      fail(length);
      return false;
    }
    if (buffer.length < bodyStart + length) return false;
    const frame = buffer.subarray(start, bodyStart + length);
    buffer = buffer.subarray(bodyStart + length);
    onFrame(Buffer.from(frame));
    return !failed;
  };
  return {
    push(chunk) {
      if (failed) return;
      buffer = Buffer.concat([buffer, chunk]);
      while (buffer.length > 0 && next());
    },
  };
}

// On a stream Content-Length is mandatory: without it the next message cannot be found.
function streamContentLength(header: string): number | string {
  const match = /^(?:content-length|l)[ \t]*:[ \t]*(\S*)[ \t]*$/im.exec(header);
  if (!match) return 'a message on the TCP stream has no Content-Length';
  const value = match[1] ?? '';
  if (!/^\d{1,9}$/.test(value)) return `Content-Length is not a number: ${JSON.stringify(value.slice(0, 20))}`;
  const length = Number(value);
  return length > MAX_BODY_BYTES ? `Content-Length ${length} is too large` : length;
}
