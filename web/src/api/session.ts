import { useQuery } from '@tanstack/react-query';
import { ApiError, apiJson, setCsrfToken } from './http-client.ts';

export interface Session {
  user: { id: number; email: string };
  account: { id: number; name: string };
  csrf_token: string;
}

export const SESSION_QUERY_KEY = ['session'] as const;

/** The current session, or null when nobody is logged in. */
export async function fetchSession(): Promise<Session | null> {
  try {
    const session = await apiJson<Session>('/api/session', { redirectOnUnauthorized: false });
    setCsrfToken(session.csrf_token);
    return session;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      setCsrfToken(null);
      return null;
    }
    throw error;
  }
}

export async function logIn(email: string, password: string): Promise<Session> {
  const session = await apiJson<Session>('/api/session', {
    method: 'POST',
    json: { email, password },
    redirectOnUnauthorized: false,
  });
  setCsrfToken(session.csrf_token);
  return session;
}

export async function logOut(): Promise<void> {
  try {
    await apiJson<null>('/api/session', { method: 'DELETE', redirectOnUnauthorized: false });
  } finally {
    setCsrfToken(null);
  }
}

export function useSession() {
  return useQuery({ queryKey: SESSION_QUERY_KEY, queryFn: fetchSession, staleTime: Infinity });
}
