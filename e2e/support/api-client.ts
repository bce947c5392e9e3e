/** A logged-in API client for seeding data and for checking what the browser shows against the API. */
export interface ApiClient {
  request: (path: string, init?: { method?: string; body?: string; contentType?: string }) => Promise<Response>;
  json: <T>(path: string, init?: { method?: string; body?: unknown }) => Promise<T>;
  text: (path: string) => Promise<string>;
  /** The body exactly as sent (fetch's text() would drop a byte-order mark). */
  bytes: (path: string) => Promise<Buffer>;
}

export async function logInApi(baseUrl: string, email: string, password: string): Promise<ApiClient> {
  const login = await fetch(`${baseUrl}/api/session`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  if (!login.ok) throw new Error(`API login failed: ${login.status} ${await login.text()}`);
  const { csrf_token: csrf } = (await login.json()) as { csrf_token: string };
  const cookie = (login.headers.getSetCookie()[0] ?? '').split(';')[0] ?? '';

  return clientWith(baseUrl, { Cookie: cookie, 'X-CSRF-Token': csrf });
}

/** An API client that authenticates as scripts do, with `Authorization: Bearer TOKEN`. */
export function apiWithToken(baseUrl: string, token: string): ApiClient {
  return clientWith(baseUrl, { Authorization: `Bearer ${token}` });
}

function clientWith(baseUrl: string, auth: Record<string, string>): ApiClient {
  const request: ApiClient['request'] = async (path, init = {}) => {
    const headers: Record<string, string> = { ...auth };
    if (init.contentType) headers['Content-Type'] = init.contentType;
    return fetch(`${baseUrl}${path}`, { method: init.method ?? 'GET', headers, body: init.body });
  };
  return {
    request,
    json: async <T>(path: string, init: { method?: string; body?: unknown } = {}) => {
      const response = await request(path, {
        method: init.method,
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        contentType: init.body === undefined ? undefined : 'application/json',
      });
      if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${response.status} ${await response.text()}`);
      return (await response.json()) as T;
    },
    text: async (path) => {
      const response = await request(path);
      if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
      return response.text();
    },
    bytes: async (path) => {
      const response = await request(path);
      if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
      return Buffer.from(await response.arrayBuffer());
    },
  };
}
