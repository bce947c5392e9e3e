import { notifications } from '@mantine/notifications';
import { useCallback, useState } from 'react';
import { downloadFromApi } from '../api/download.ts';
import { errorMessage } from '../api/http-client.ts';
import { isReauthRequired, REAUTH_HEADER } from '../api/reauth.ts';
import { useReauthPrompt } from './reauth-prompt.tsx';

interface DownloadOptions {
  /** Shows a failure where the caller wants it; a notification otherwise. */
  onError?: (message: string) => void;
  headers?: Record<string, string>;
}

/**
 * Runs an API download and tracks it, so the button can show it is busy. When the server wants
 * the password confirmed first (a plaintext export), it asks for it and tries once more.
 */
export function useDownload() {
  const [pending, setPending] = useState<string | null>(null);
  const requestReauth = useReauthPrompt();
  const download = useCallback(
    async (path: string, fallbackFilename: string, options: DownloadOptions = {}) => {
      setPending(path);
      try {
        try {
          await downloadFromApi(path, fallbackFilename, options.headers);
        } catch (error) {
          if (!isReauthRequired(error)) throw error;
          const token = await requestReauth(
            'This file holds passwords in plain text. Type your password to confirm it is you.',
          );
          if (!token) return false;
          await downloadFromApi(path, fallbackFilename, { ...options.headers, [REAUTH_HEADER]: token });
        }
        return true;
      } catch (error) {
        const message = errorMessage(error);
        if (options.onError) options.onError(message);
        else notifications.show({ color: 'red', title: 'Download failed', message });
        return false;
      } finally {
        setPending(null);
      }
    },
    [requestReauth],
  );
  return { download, pending };
}
