import { apiRequest } from './http-client.ts';

/** Reads the file name out of a Content-Disposition header (RFC 6266: filename* wins over filename). */
export function filenameFromContentDisposition(header: string | null): string | null {
  if (!header) return null;
  const extended = /filename\*\s*=\s*([^']*)'[^']*'([^;]+)/i.exec(header);
  if (extended?.[2]) {
    try {
      return sanitizeFilename(decodeURIComponent(extended[2].trim().replace(/^"|"$/g, '')));
    } catch {
      // a malformed percent-encoding: fall back to the plain filename parameter
    }
  }
  const quoted = /filename\s*=\s*"((?:[^"\\]|\\.)*)"/i.exec(header);
  if (quoted?.[1] !== undefined) return sanitizeFilename(quoted[1].replace(/\\(.)/g, '$1'));
  const bare = /filename\s*=\s*([^;\s]+)/i.exec(header);
  if (bare?.[1]) return sanitizeFilename(bare[1]);
  return null;
}

function sanitizeFilename(name: string): string | null {
  const cleaned = name.replace(/[/\\]/g, '_').trim();
  return cleaned ? cleaned : null;
}

/** Hands a blob to the browser as a download with the given file name. */
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.rel = 'noopener';
  link.style.display = 'none';
  document.body.appendChild(link);
  link.click();
  link.remove();
  // Some browsers read the object URL after click() returns; release it on the next turn.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

/**
 * Downloads an API file through fetch rather than a plain link, so errors come back as the server's
 * sentence (and a 401 as a trip to the login page) instead of a browser error page.
 */
export async function downloadFromApi(
  path: string,
  fallbackFilename: string,
  headers: Record<string, string> = {},
): Promise<string> {
  const response = await apiRequest(path, { headers: { Accept: 'text/csv, application/problem+json', ...headers } });
  const blob = await response.blob();
  const filename = filenameFromContentDisposition(response.headers.get('Content-Disposition')) ?? fallbackFilename;
  saveBlob(blob, filename);
  return filename;
}
