// SIP message text: a tolerant-but-honest response parser and a request serializer (RFC 3261 §7, §20).
// The parser never throws: anything a peer sends is data, and bad data is a tagged result.

/** A parsed SIP response. Header names are lower-case long forms (`v` is stored as `via`). */
export interface SipResponse {
  readonly statusCode: number;
  readonly reason: string;
  /** Values in message order; list headers such as Via and Contact are split at top-level commas. */
  readonly headers: ReadonlyMap<string, readonly string[]>;
  readonly cseq: { readonly seq: number; readonly method: string };
  readonly body: string;
}

export type ResponseParse = { kind: 'ok'; response: SipResponse } | { kind: 'malformed'; reason: string };

/** A request to put on the wire; the serializer adds Content-Length itself. */
export interface SipRequest {
  readonly method: string;
  readonly uri: string;
  readonly headers: ReadonlyArray<readonly [name: string, value: string]>;
  readonly body?: string;
}

// RFC 3261 §7.3.3 plus the compact forms later RFCs registered with IANA.
const COMPACT_FORMS: Readonly<Record<string, string>> = {
  a: 'accept-contact',
  b: 'referred-by',
  c: 'content-type',
  d: 'request-disposition',
  e: 'content-encoding',
  f: 'from',
  i: 'call-id',
  j: 'reject-contact',
  k: 'supported',
  l: 'content-length',
  m: 'contact',
  n: 'identity-info',
  o: 'event',
  r: 'refer-to',
  s: 'subject',
  t: 'to',
  u: 'allow-events',
  v: 'via',
  x: 'session-expires',
  y: 'identity',
};

// Only these may be split at commas (RFC 3261 §7.3.1): others, such as WWW-Authenticate or Date,
// carry commas inside one value.
const LIST_HEADERS = new Set([
  'via',
  'contact',
  'route',
  'record-route',
  'path',
  'service-route',
  'allow',
  'allow-events',
  'supported',
  'require',
  'proxy-require',
  'unsupported',
  'accept',
  'accept-encoding',
  'accept-language',
  'content-encoding',
  'warning',
  'error-info',
  'alert-info',
  'call-info',
  'in-reply-to',
]);

const MANDATORY = ['via', 'from', 'to', 'call-id', 'cseq'] as const;
const TOKEN = /^[A-Za-z0-9\-.!%*_+`'~]+$/;
const STATUS_LINE = /^SIP\/2\.0 ([1-6]\d\d)(?: (.*))?$/i;

/** Parses one SIP response (a datagram, or one frame cut from a stream); never throws. */
export function parseResponse(input: string | Uint8Array): ResponseParse {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : Buffer.from(input);
  // latin1 maps each byte to one char, so string offsets are byte offsets (Content-Length counts bytes).
  const raw = bytes.toString('latin1');
  const start = raw.search(/[^\r\n]/); // RFC 3261 §7.5: ignore CRLFs before the start line
  if (start < 0) return malformed('empty message');
  const end = findHeaderEnd(raw, start);
  if (!end) return malformed('the header section does not end with an empty line');
  const lines = unfold(bytes.subarray(start, end.at).toString('utf8').split(/\r?\n/));
  if (lines.kind === 'malformed') return lines;
  const [statusLine = '', ...headerLines] = lines.lines;
  const status = STATUS_LINE.exec(statusLine);
  if (!status) return malformed(`not a SIP/2.0 status line: ${preview(statusLine)}`);
  const headers = parseHeaders(headerLines);
  if (headers.kind === 'malformed') return headers;
  return finish(Number(status[1]), (status[2] ?? '').trim(), headers.map, bytes.subarray(end.at + end.length));
}

/** All values of a header (by long or compact name, any case); empty when absent. */
export function headerValues(response: SipResponse, name: string): readonly string[] {
  return response.headers.get(canonicalName(name)) ?? [];
}

/** The first value of a header, or undefined. */
export function headerValue(response: SipResponse, name: string): string | undefined {
  return headerValues(response, name)[0];
}

/** The branch parameter of the topmost Via, which names the client transaction (RFC 3261 §17.1.3). */
export function topViaBranch(response: SipResponse): string | undefined {
  const via = headerValue(response, 'via');
  if (via === undefined) return undefined;
  for (const param of via.split(';').slice(1)) {
    const [name = '', value] = param.split('=', 2);
    if (name.trim().toLowerCase() === 'branch') return value?.trim();
  }
  return undefined;
}

/** Serializes a request with CRLF line ends and a computed Content-Length; throws on CR/LF inside a field. */
export function serializeRequest(request: SipRequest): string {
  const body = request.body ?? '';
  const fields = [request.method, request.uri, ...request.headers.flat(), body];
  // A CR or LF from user data would let it inject headers: that is a bug upstream, not peer data.
  if (fields.slice(0, -1).some((field) => /[\r\n\0]/.test(field))) {
    throw new Error('SIP request field contains CR, LF or NUL');
  }
  const lines = [`${request.method} ${request.uri} SIP/2.0`];
  for (const [name, value] of request.headers) {
    if (canonicalName(name) !== 'content-length') lines.push(`${name}: ${value}`);
  }
  lines.push(`Content-Length: ${Buffer.byteLength(body, 'utf8')}`, '', body);
  return lines.join('\r\n');
}

/** Maps a header name to the key used in SipResponse.headers (lower case, compact forms expanded). */
export function canonicalName(name: string): string {
  const lower = name.trim().toLowerCase();
  return COMPACT_FORMS[lower] ?? lower;
}

/** Splits a header value at commas that are outside quotes and angle brackets. */
export function splitTopLevelCommas(value: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  let angle = 0;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i] as string;
    if (quoted && ch === '\\') {
      current += ch + (value[i + 1] ?? '');
      i++;
      continue;
    }
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === '<') angle++;
    else if (!quoted && ch === '>' && angle > 0) angle--;
    else if (!quoted && angle === 0 && ch === ',') {
      parts.push(current);
      current = '';
      continue;
    }
    current += ch;
  }
  parts.push(current);
  return parts.map((part) => part.trim()).filter((part) => part !== '');
}

function malformed(reason: string): { kind: 'malformed'; reason: string } {
  return { kind: 'malformed', reason };
}

function preview(text: string): string {
  const printable = text.replace(/[^\x20-\x7e]/g, '?');
  return JSON.stringify(printable.length > 40 ? `${printable.slice(0, 40)}…` : printable);
}

// Returns where the empty line starts and how long it is; bare LF is accepted as a line end.
function findHeaderEnd(raw: string, from: number): { at: number; length: number } | undefined {
  const match = /\r?\n\r?\n/.exec(raw.slice(from));
  return match ? { at: from + match.index, length: match[0].length } : undefined;
}

// RFC 3261 §7.3.1: a line starting with whitespace continues the previous header.
function unfold(lines: string[]): { kind: 'ok'; lines: string[] } | { kind: 'malformed'; reason: string } {
  const out: string[] = [];
  for (const line of lines) {
    if (!/^[ \t]/.test(line)) out.push(line);
    else if (out.length < 2) return malformed('a continuation line comes before any header');
    else out[out.length - 1] = `${out[out.length - 1]} ${line.trim()}`;
  }
  return { kind: 'ok', lines: out };
}

function parseHeaders(
  lines: string[],
): { kind: 'ok'; map: Map<string, string[]> } | { kind: 'malformed'; reason: string } {
  const map = new Map<string, string[]>();
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = colon < 0 ? '' : line.slice(0, colon).trimEnd();
    if (!TOKEN.test(name)) return malformed(`not a header line: ${preview(line)}`);
    const key = canonicalName(name);
    const value = line.slice(colon + 1).trim();
    const values = LIST_HEADERS.has(key) ? splitTopLevelCommas(value) : [value];
    map.set(key, [...(map.get(key) ?? []), ...values]);
  }
  return { kind: 'ok', map };
}

function finish(statusCode: number, reason: string, headers: Map<string, string[]>, rest: Buffer): ResponseParse {
  const missing = MANDATORY.find((name) => !headers.get(name)?.length);
  if (missing) return malformed(`the ${missing} header is missing`);
  const cseq = /^(\d{1,10})\s+([A-Za-z0-9\-.!%*_+`'~]+)$/.exec(headers.get('cseq')?.[0] ?? '');
  if (!cseq) return malformed('the CSeq header is not "number method"');
  const body = cutBody(headers.get('content-length'), rest);
  if (body.kind === 'malformed') return body;
  const response = {
    statusCode,
    reason,
    headers,
    cseq: { seq: Number(cseq[1]), method: cseq[2] as string },
    body: body.text,
  };
  return { kind: 'ok', response };
}

// RFC 3261 §18.3: bytes past Content-Length are dropped; fewer bytes than it promises is an error.
// Without Content-Length (allowed over UDP) the body is the rest of the datagram.
function cutBody(
  lengths: string[] | undefined,
  rest: Buffer,
): { kind: 'ok'; text: string } | { kind: 'malformed'; reason: string } {
  if (lengths === undefined) return { kind: 'ok', text: rest.toString('utf8') };
  const value = lengths[0] ?? '';
  if (!/^\d{1,9}$/.test(value)) return malformed(`Content-Length is not a number: ${preview(value)}`);
  const length = Number(value);
  if (rest.length < length) return malformed(`the body is shorter than Content-Length (${rest.length} < ${length})`);
  return { kind: 'ok', text: rest.subarray(0, length).toString('utf8') };
}
