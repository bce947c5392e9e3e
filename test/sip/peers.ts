// Scripted SIP peers for tests: a UDP socket or TCP server on loopback that records what it gets
// and answers as the test's script says.
import dgram from 'node:dgram';
import net from 'node:net';
import { createHash } from 'node:crypto';

export interface ReceivedRequest {
  readonly text: string;
  readonly at: number;
  readonly requestLine: string;
  readonly headers: ReadonlyMap<string, string>;
}

export type Reply = (text: string | Buffer) => void;
export type Script = (request: ReceivedRequest, reply: Reply, index: number) => void;

export interface ScriptedPeer {
  readonly port: number;
  /** Every packet, retransmissions included. */
  readonly received: ReceivedRequest[];
  /** The first packet of each transaction (by Via branch). */
  transactions(): ReceivedRequest[];
  close(): Promise<void>;
}

/** Reads a request the simple way (the code under test wrote it; the parser under test is not used). */
export function readRequest(text: string, at = performance.now()): ReceivedRequest {
  const [head = ''] = text.split('\r\n\r\n');
  const [requestLine = '', ...lines] = head.split('\r\n');
  const headers = new Map<string, string>();
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { text, at, requestLine, headers };
}

/** A response to `request` that echoes Via, From, To, Call-ID and CSeq as a registrar does. */
export function respond(request: ReceivedRequest, status: string, extra: string[] = []): string {
  const h = (name: string) => request.headers.get(name) ?? '';
  return [
    `SIP/2.0 ${status}`,
    `Via: ${h('via')};received=127.0.0.1`,
    `From: ${h('from')}`,
    `To: ${h('to')};tag=peer`,
    `Call-ID: ${h('call-id')}`,
    `CSeq: ${h('cseq')}`,
    ...extra,
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
}

const branchOf = (request: ReceivedRequest) => /branch=([^;]+)/.exec(request.headers.get('via') ?? '')?.[1] ?? '';

/**
 * A UDP peer. Like a server transaction (RFC 3261 §17.2.2) it answers a retransmission by repeating
 * what it sent for that transaction, so scripts count transactions however slow the machine is;
 * a packet it never answered goes to the script again.
 */
export async function udpPeer(script: Script): Promise<ScriptedPeer> {
  const socket = dgram.createSocket('udp4');
  const received: ReceivedRequest[] = [];
  const answers = new Map<string, Array<string | Buffer>>();
  let scripted = 0;
  socket.on('message', (bytes, from) => {
    const request = readRequest(bytes.toString('utf8'));
    received.push(request);
    const send = (text: string | Buffer) => socket.send(text, from.port, from.address);
    const earlier = answers.get(branchOf(request));
    if (earlier?.length) return earlier.forEach(send);
    const sent: Array<string | Buffer> = [];
    answers.set(branchOf(request), sent);
    const reply = (text: string | Buffer) => {
      sent.push(text);
      send(text);
    };
    script(request, reply, scripted++);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    port: socket.address().port,
    received,
    transactions: () => uniqueByBranch(received),
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

function uniqueByBranch(requests: ReceivedRequest[]): ReceivedRequest[] {
  const first = new Map<string, ReceivedRequest>();
  for (const request of requests) if (!first.has(branchOf(request))) first.set(branchOf(request), request);
  return [...first.values()];
}

/** A TCP peer; requests are cut by the blank line (the client sends no bodies). */
export async function tcpPeer(
  script: (request: ReceivedRequest, socket: net.Socket, index: number) => void,
): Promise<ScriptedPeer> {
  const received: ReceivedRequest[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    let buffer = '';
    socket.on('data', (chunk) => {
      buffer += chunk.toString('utf8');
      for (let end = buffer.indexOf('\r\n\r\n'); end >= 0; end = buffer.indexOf('\r\n\r\n')) {
        const request = readRequest(buffer.slice(0, end + 4));
        buffer = buffer.slice(end + 4);
        received.push(request);
        script(request, socket, received.length - 1);
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    received,
    transactions: () => uniqueByBranch(received),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** RFC 2617 qop=auth response, written out independently of src/sip/digest.ts. */
export function expectedDigest(p: {
  username: string;
  realm: string;
  password: string;
  nonce: string;
  uri: string;
  nc: string;
  cnonce: string;
  hash?: 'md5' | 'sha256';
}): string {
  const h = (s: string) =>
    createHash(p.hash ?? 'md5')
      .update(s)
      .digest('hex');
  const ha1 = h(`${p.username}:${p.realm}:${p.password}`);
  const ha2 = h(`REGISTER:${p.uri}`);
  return h(`${ha1}:${p.nonce}:${p.nc}:${p.cnonce}:auth:${ha2}`);
}

/** Digest parameters of an Authorization header value, unquoted. */
export function digestParams(header: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of header.matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]+))/g)) out[m[1] as string] = m[2] ?? m[3] ?? '';
  return out;
}
