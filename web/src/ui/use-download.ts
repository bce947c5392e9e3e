import { notifications } from '@mantine/notifications';
import { useCallback, useState } from 'react';
import { downloadFromApi } from '../api/download.ts';
import { errorMessage } from '../api/http-client.ts';

/**
 * Runs an API download and tracks it, so the button can show it is busy; a failure shows the
 * server's sentence as a notification unless the caller handles it (onError).
 */
export function useDownload() {
  const [pending, setPending] = useState<string | null>(null);
  const download = useCallback(
    async (path: string, fallbackFilename: string, options: { onError?: (message: string) => void } = {}) => {
      setPending(path);
      try {
        await downloadFromApi(path, fallbackFilename);
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
    [],
  );
  return { download, pending };
}
