import { ApiError, apiJson } from './http-client.ts';

/** The header that carries proof of a fresh password confirmation to a plaintext export. */
export const REAUTH_HEADER = 'X-Reauth-Token';

/**
 * Confirms the signed-in user's password again (POST /api/session/reauth) and returns the
 * short-lived, single-use token a plaintext export asks for. A wrong password is a 403 with the
 * server's sentence; the session stays.
 */
export async function confirmPassword(password: string): Promise<string> {
  const answer = await apiJson<{ reauth_token: string; expires_in: number }>('/api/session/reauth', {
    method: 'POST',
    json: { password },
  });
  return answer.reauth_token;
}

/** True when the server refused a download until the user confirms their password. */
export function isReauthRequired(error: unknown): boolean {
  return error instanceof ApiError && error.status === 403 && error.extra.reauth_required === true;
}
