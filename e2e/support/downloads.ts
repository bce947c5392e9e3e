import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';

export interface Downloaded {
  filename: string;
  /** The file as UTF-8 text; a byte-order mark stays in it as \uFEFF. */
  text: string;
  bytes: Buffer;
}

/** Runs the action that starts a download and returns the file the browser saved. */
export async function captureDownload(page: Page, action: () => Promise<void>): Promise<Downloaded> {
  const [download] = await Promise.all([page.waitForEvent('download'), action()]);
  const path = await download.path();
  const failure = await download.failure();
  if (failure) throw new Error(`The download failed: ${failure}`);
  const bytes = await readFile(path);
  return { filename: download.suggestedFilename(), text: bytes.toString('utf8'), bytes };
}
