// The one place the browser talks to the API: it adds the CSRF header to cookie-authenticated writes,
// turns problem+json answers into ApiError with the server's sentence, and reports a 401 anywhere so
// the shell can send the user back to the login page.

export interface Problem {
  title: string;
  status: number;
  detail: string;
  /** Members the server adds beyond the standard ones (RFC 9457 extensions), e.g. reauth_required. */
  extra?: Record<string, unknown>;
}

export class ApiError extends Error {
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly extra: Record<string, unknown>;

  constructor(problem: Problem) {
    super(problem.detail);
    this.name = 'ApiError';
    this.status = problem.status;
    this.title = problem.title;
    this.detail = problem.detail;
    this.extra = problem.extra ?? {};
  }
}

let csrfToken: string | null = null;
let unauthorizedHandler: (() => void) | null = null;

/** Remembers the token the session answer carried; every later write sends it back. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Registers what happens on a 401 from any request that is not the login itself. */
export function onUnauthorized(handler: (() => void) | null): void {
  unauthorizedHandler = handler;
}

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface RequestOptions {
  method?: string;
  /** A JSON body (serialised here) or a raw body sent as it is with its own content type. */
  json?: unknown;
  body?: BodyInit;
  contentType?: string;
  headers?: Record<string, string>;
  /** False for the login and session check, whose 401 is an answer, not an expired session. */
  redirectOnUnauthorized?: boolean;
  signal?: AbortSignal;
}

/** Sends a request to the API and returns the response when it is a success; throws ApiError otherwise. */
export async function apiRequest(path: string, options: RequestOptions = {}): Promise<Response> {
  const method = (options.method ?? 'GET').toUpperCase();
  const headers: Record<string, string> = { Accept: 'application/json, text/csv, application/problem+json' };
  let body: BodyInit | undefined = options.body;
  if (options.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.json);
  } else if (options.contentType) {
    headers['Content-Type'] = options.contentType;
  }
  if (WRITE_METHODS.has(method) && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  Object.assign(headers, options.headers);

  let response: Response;
  try {
    response = await fetch(path, { method, headers, body, credentials: 'same-origin', signal: options.signal });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError({
      title: 'Network error',
      status: 0,
      detail: 'The server could not be reached. Check your connection and try again.',
    });
  }
  if (response.ok) return response;

  const problem = await readProblem(response);
  if (response.status === 401 && options.redirectOnUnauthorized !== false) {
    setCsrfToken(null);
    unauthorizedHandler?.();
  }
  throw new ApiError(problem);
}

/** Sends a request and parses the JSON answer (null for 204). */
export async function apiJson<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const response = await apiRequest(path, options);
  if (response.status === 204) return null as T;
  return (await response.json()) as T;
}

async function readProblem(response: Response): Promise<Problem> {
  const fallback = fallbackProblem(response.status);
  const type = response.headers.get('Content-Type') ?? '';
  if (!/json/i.test(type)) return fallback;
  try {
    const data = (await response.json()) as Record<string, unknown>;
    const { title, detail, message, status: _status, type: _type, ...extra } = data;
    const sentence =
      typeof detail === 'string' && detail
        ? detail
        : typeof message === 'string' && message
          ? message
          : fallback.detail;
    return {
      title: typeof title === 'string' ? title : fallback.title,
      status: response.status,
      detail: sentence,
      extra,
    };
  } catch {
    return fallback;
  }
}

// Used only when the server's answer carries no sentence of its own (a proxy error page, say).
function fallbackProblem(status: number): Problem {
  if (status === 401) return { title: 'Unauthorized', status, detail: 'Your session has ended. Log in again.' };
  if (status === 403) return { title: 'Forbidden', status, detail: 'You are not allowed to do this.' };
  if (status === 404) return { title: 'Not found', status, detail: 'This item no longer exists.' };
  if (status === 413) return { title: 'Too large', status, detail: 'The file is too large to import.' };
  if (status === 429)
    return { title: 'Too many requests', status, detail: 'Too many attempts. Wait a minute and try again.' };
  if (status >= 500)
    return { title: 'Server error', status, detail: 'Something went wrong on the server. Try again in a moment.' };
  return { title: 'Request failed', status, detail: 'The request could not be completed.' };
}

/** What to show a person for any error: the server's sentence, never a code. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.detail;
  if (error instanceof Error && error.message) return error.message;
  return 'Something went wrong. Try again.';
}
