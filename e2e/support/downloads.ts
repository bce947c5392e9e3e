import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';

export interface Downloaded {
  filename: string;
  text: string;
}

/** Runs the action that starts a download and returns the file the browser saved. */
export async function captureDownload(page: Page, action: () => Promise<void>): Promise<Downloaded> {
  const [download] = await Promise.all([page.waitForEvent('download'), action()]);
  const path = await download.path();
  const failure = await download.failure();
  if (failure) throw new Error(`The download failed: ${failure}`);
  return { filename: download.suggestedFilename(), text: await readFile(path, 'utf8') };
}
