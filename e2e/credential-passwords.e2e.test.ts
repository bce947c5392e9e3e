import { parse } from 'csv-parse/sync';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { apiWithToken, type ApiClient } from './support/api-client.ts';
import { launchChromium, screenshot } from './support/browser.ts';
import { captureDownload } from './support/downloads.ts';
import { startServer, type RunningServer } from './support/sipcreds-server.ts';

const HEADER = 'multi_credential_pool_id,entry_id,username,domain,display_name,auth_username,auth_password,totp_secret';

interface SmallEntry {
  multi_credential_pool_id: number;
  set_name: string;
  entry_id: number;
  username: string;
  domain: string;
}

interface BulkSet {
  multi_credential_pool_id: number;
  name: string;
  entry_count: number;
}

// Seeded through the API: a set of 7 entries (a bulk set), and two small sets made by rows that
// share an unknown pool id (import groups them into one new set per id).
const SEED = [
  HEADER,
  ...Array.from(
    { length: 7 },
    (_, i) => `,,bulk-100${i + 1},bulk.example.test,Bulk ${i + 1},bulk-100${i + 1},seed-bulk-${i},`,
  ),
  '900001,,alice-2001,a.example.test,Alice One,alice-2001,seed-a1,',
  '900001,,alice-2002,a.example.test,Alice Two,alice-2002,seed-a2,',
  '900001,,alice-2003,a.example.test,Alice Three,alice-2003,seed-a3,',
  '900002,,bob-3001,b.example.test,Bob One,bob-3001,seed-b1,JBSWY3DPEHPK3PXP',
  '900002,,bob-3002,b.example.test,Bob Two,bob-3002,seed-b2,',
].join('\r\n');

function records(csv: string): string[][] {
  return parse(csv, { bom: true, relax_column_count: true });
}

function byUsername(csv: string, username: string): string[] | undefined {
  return records(csv).find((record) => record[2] === username);
}

describe('Account → Credential Passwords in Chromium', () => {
  let server: RunningServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let api: ApiClient;
  let seedError: Error | null = null;

  beforeAll(async () => {
    server = await startServer();
    browser = await launchChromium();
    context = await browser.newContext({
      viewport: { width: 1280, height: 900 },
      acceptDownloads: true,
      reducedMotion: 'reduce',
    });
    page = await context.newPage();
    // Checks go through the API as a script would (Bearer token): what the browser shows is compared with it.
    api = apiWithToken(server.baseUrl, server.apiToken);
    const seeded = await api.request('/api/credential-passwords/imports?wait=true', {
      method: 'POST',
      body: SEED,
      contentType: 'text/csv',
    });
    if (!seeded.ok)
      seedError = new Error(`Seeding through the import API failed: ${seeded.status} ${await seeded.text()}`);
  });

  // A test that failed half-way may leave a dialog open; the next one starts on the bare page.
  beforeEach(async () => {
    if (!page) return;
    const dialogs = page.getByRole('dialog');
    for (let i = 0; i < 3 && (await dialogs.count()) > 0; i++) {
      await page.keyboard.press('Escape');
      await dialogs
        .first()
        .waitFor({ state: 'detached', timeout: 5_000 })
        .catch(() => undefined);
    }
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  function requireSeed(): void {
    if (seedError) throw seedError;
  }

  async function smallEntries(query = ''): Promise<SmallEntry[]> {
    const items: SmallEntry[] = [];
    for (let p = 1; ; p++) {
      const data = await api.json<{ total: number; page_size: number; items: SmallEntry[] }>(
        `/api/credential-passwords/small-set-entries?page=${p}${query}`,
      );
      items.push(...data.items);
      if (p * data.page_size >= data.total) return items;
    }
  }

  const main = () => page.getByRole('main');
  const smallTable = () => page.getByRole('table', { name: 'Smaller credential sets' });
  const dataRows = (table: Locator) => table.locator('tbody').getByRole('row');

  it('sends a visitor to the login page, shows why a login failed, then opens the page', async () => {
    await page.goto(`${server.baseUrl}/account/credential-passwords`);
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/login');

    await page.getByLabel('Email').fill(server.email);
    await page.getByRole('textbox', { name: 'Password', exact: true }).fill('not-the-password');
    await page.getByRole('button', { name: 'Log in' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    const wrong = await fetch(`${server.baseUrl}/api/session`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: 'nobody@example.test', password: 'x' }),
    });
    const { detail } = (await wrong.json()) as { detail: string };
    expect(await alert.innerText()).toContain(detail);
    await screenshot(page, '01-login-failed');

    await page.getByRole('textbox', { name: 'Password', exact: true }).fill(server.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Credential Passwords', level: 2 }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/account/credential-passwords');

    const nav = page.getByRole('navigation', { name: 'Main menu' });
    for (const item of ['Credential Passwords', 'Audit log', 'SIP Credentials', 'Projects']) {
      await nav.getByRole('link', { name: item }).waitFor();
    }
    await main().getByText('Current passwords are never displayed on this page').waitFor();
    await main().getByRole('columnheader', { name: 'IDs in CSV' }).waitFor();
    await main().getByText('Import never deletes.').waitFor();
    await main().getByText('Up to 20,000 data rows per import.').waitFor();
    const notHere = page.getByRole('complementary', { name: 'What this page does not do' });
    expect(await notHere.getByRole('link', { name: 'SIP Credentials' }).first().getAttribute('href')).toBe(
      '/sip-credentials',
    );
    expect(await notHere.getByRole('link', { name: 'Projects' }).first().getAttribute('href')).toBe('/projects');
    await page.getByRole('table', { name: 'Smaller credential sets' }).waitFor();
    await screenshot(page, '02-credential-passwords-page', { fullPage: true });
  });

  it('leads through the sidebar to the other pages and back', async () => {
    const nav = page.getByRole('navigation', { name: 'Main menu' });
    for (const [item, path] of [
      ['SIP Credentials', '/sip-credentials'],
      ['Projects', '/projects'],
      ['Audit log', '/account/audit-log'],
    ] as const) {
      await nav.getByRole('link', { name: item }).click();
      await page.waitForURL((url) => url.pathname === path);
      // Each page is its own (another part of the project builds it, or says it is not built yet).
      await main().getByRole('heading', { level: 2 }).first().waitFor();
      await screenshot(page, `03-sidebar${path.replaceAll('/', '-')}`);
    }
    await nav.getByRole('link', { name: 'Credential Passwords' }).click();
    await page.getByRole('heading', { name: 'Credential Passwords', level: 2 }).waitFor();
    expect(await nav.getByRole('link', { name: 'Credential Passwords' }).getAttribute('aria-current')).toBe('page');
  });

  it('labels every input, and its dialogs hold the focus and close on Escape', async () => {
    const unlabelled = await page.evaluate(() =>
      Array.from(document.querySelectorAll('input, textarea, select'))
        .filter((el) => (el as HTMLInputElement).type !== 'hidden' && !el.closest('[aria-hidden="true"]'))
        .filter((el) => {
          const input = el as HTMLInputElement;
          return !input.labels?.length && !input.getAttribute('aria-label') && !input.getAttribute('aria-labelledby');
        })
        .map((el) => el.outerHTML.slice(0, 120)),
    );
    expect(unlabelled).toEqual([]);

    const opener = main().getByRole('button', { name: 'Export All' });
    await opener.click();
    const dialog = page.getByRole('dialog', { name: 'Export all credentials' });
    await dialog.waitFor();
    const focusInDialog = () =>
      dialog.evaluate((el) => el.contains(document.activeElement) || el === document.activeElement);
    await expect.poll(focusInDialog).toBe(true);
    for (let i = 0; i < 8; i++) {
      await page.keyboard.press('Tab');
      expect(await focusInDialog()).toBe(true);
    }
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await expect.poll(() => opener.evaluate((el) => el === document.activeElement)).toBe(true);
  });

  it('downloads the Sample CSV with the exact import header', async () => {
    const sample = await captureDownload(page, () => main().getByRole('button', { name: 'Sample CSV' }).click());
    expect(sample.filename).toMatch(/\.csv$/);
    expect(records(sample.text)[0]?.join(',')).toBe(HEADER);
    expect(sample.bytes.equals(await api.bytes('/api/credential-passwords/sample.csv'))).toBe(true);
  });

  it('lists the sets with more than 5 entries and exports one of them', async () => {
    requireSeed();
    const { items } = await api.json<{ items: BulkSet[] }>('/api/credential-passwords/bulk-sets?page=1');
    const bulk = items.find((set) => set.entry_count === 7);
    expect(bulk).toBeDefined();
    const table = page.getByRole('table', { name: 'Bulk credential sets' });
    const row = dataRows(table).filter({ hasText: bulk!.name });
    await row.waitFor();
    expect(await row.innerText()).toContain('7');
    await screenshot(page, '04-bulk-sets');
    const file = await captureDownload(page, () =>
      row.getByRole('button', { name: `Export CSV of ${bulk!.name}` }).click(),
    );
    expect(
      file.bytes.equals(await api.bytes(`/api/credential-sets/${bulk!.multi_credential_pool_id}/export.csv`)),
    ).toBe(true);
    expect(records(file.text)).toHaveLength(8);
  });

  it('checks a file first, then imports it: updated, created and failed rows in the results', async () => {
    requireSeed();
    const alice = (await smallEntries('&username=alice-2001'))[0]!;
    const newPassword = 'rotated, "quoted" Pa55 ü';
    const file = [
      HEADER,
      `${alice.multi_credential_pool_id},${alice.entry_id},alice-2001,a.example.test,Alice One,alice-2001,"rotated, ""quoted"" Pa55 ü",`,
      ',,carol-4001,c.example.test,Carol,carol-4001,carol-pass,',
      ',,dave-5001,d.example.test,Dave,dave-5001,,',
    ].join('\r\n');

    await main().getByRole('button', { name: 'Import CSV' }).click();
    const dialog = page.getByRole('dialog', { name: 'Import CSV' });
    await dialog.waitFor();
    await dialog.getByLabel('CSV file').setInputFiles({
      name: 'rotation.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(file, 'utf8'),
    });
    await dialog.getByText('rotation.csv').waitFor();

    await dialog.getByRole('button', { name: 'Check file' }).click();
    const check = dialog.getByRole('table', { name: 'Check result' });
    await check.waitFor();
    expect(await dataRows(check).count()).toBe(3);
    expect(await dataRows(check).filter({ hasText: 'alice-2001' }).innerText()).toContain('updated');
    expect(await dataRows(check).filter({ hasText: 'carol-4001' }).innerText()).toContain('created');
    expect(await dataRows(check).filter({ hasText: 'dave-5001' }).innerText()).toContain('failed');
    await screenshot(page, '05-import-check-result');
    // A check applies nothing.
    expect(await smallEntries('&username=carol-4001')).toHaveLength(0);

    // A double click starts the import once: the dialog sends the same Idempotency-Key twice.
    await dialog.getByRole('button', { name: 'Import', exact: true }).dblclick();
    const results = page.getByRole('dialog', { name: 'Import results' });
    await results.waitFor();
    await results.getByRole('progressbar', { name: 'Import progress' }).waitFor();
    const table = results.getByRole('table', { name: 'Import results' });
    await table.waitFor();
    const counts = await results.getByRole('group', { name: 'Counts' }).innerText();
    expect(counts).toMatch(/Updated\s+1/);
    expect(counts).toMatch(/Created\s+1/);
    expect(counts).toMatch(/Failed\s+1/);
    const rowTexts = await dataRows(table).allInnerTexts();
    expect(rowTexts).toHaveLength(3);
    expect(rowTexts[0]).toMatch(/^2\s+updated\s+alice-2001/);
    expect(rowTexts[1]).toMatch(/^3\s+created\s+carol-4001/);
    expect(rowTexts[1]).toMatch(/New credential set and entry created/);
    expect(rowTexts[2]).toMatch(/^4\s+failed\s+dave-5001/);
    expect(rowTexts[2]).toContain('missing value for auth_password');
    await screenshot(page, '06-import-results');

    await results.getByRole('switch', { name: 'Show only failed rows' }).check();
    await expect.poll(() => dataRows(table).count()).toBe(1);
    expect(await dataRows(table).first().innerText()).toContain('dave-5001');
    await screenshot(page, '07-import-results-only-failed');

    const audit = await captureDownload(page, () =>
      results.getByRole('button', { name: 'Export results CSV' }).click(),
    );
    expect(audit.text).toContain('dave-5001');
    expect(audit.text).toContain('missing value for auth_password');
    expect(audit.text).not.toContain('carol-pass');
    expect(audit.text).not.toContain('Pa55');

    const failed = await captureDownload(page, () =>
      results.getByRole('button', { name: 'Download failed rows' }).click(),
    );
    expect(failed.filename).toBe('rotation-failed-rows.csv');
    expect(records(failed.text)).toEqual([
      HEADER.split(','),
      ['', '', 'dave-5001', 'd.example.test', 'Dave', 'dave-5001', '', ''],
    ]);

    await results.getByRole('button', { name: 'OK' }).click();
    await results.waitFor({ state: 'hidden' });

    const exported = await api.text('/api/credential-passwords/export.csv');
    expect(byUsername(exported, 'alice-2001')?.[6]).toBe(newPassword);
    expect(records(exported).filter((record) => record[2] === 'carol-4001')).toHaveLength(1);
    expect(byUsername(exported, 'dave-5001')).toBeUndefined();
  });

  it('takes a file dropped on the drop zone and checks it', async () => {
    requireSeed();
    const csv = `${HEADER}\r\n,,erin-6001,e.example.test,Erin,erin-6001,erin-pass,\r\n`;
    await main().getByRole('button', { name: 'Import CSV' }).click();
    const dialog = page.getByRole('dialog', { name: 'Import CSV' });
    await dialog.waitFor();
    await dialog.getByText('Drag a CSV file here, or click to choose one').waitFor();
    // The drop target has no role of its own (its text changes while a file is dragged over it).
    const zone = dialog.locator('.mantine-Dropzone-root');
    const dataTransfer = await page.evaluateHandle((text) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([text], 'dropped.csv', { type: 'text/csv' }));
      return transfer;
    }, csv);
    await zone.dispatchEvent('dragenter', { dataTransfer });
    await zone.dispatchEvent('dragover', { dataTransfer });
    await zone.dispatchEvent('drop', { dataTransfer });
    await dialog.getByText('dropped.csv').waitFor();
    await dialog.getByRole('button', { name: 'Check file' }).click();
    const check = dialog.getByRole('table', { name: 'Check result' });
    await check.waitFor();
    expect(await dataRows(check).allInnerTexts()).toEqual([expect.stringMatching(/^2\s+created\s+erin-6001/)]);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    // Only checked, never imported.
    expect(await smallEntries('&username=erin-6001')).toHaveLength(0);
  });

  it('shows the server’s sentence for a rejected file, and applies nothing', async () => {
    const bad = 'username,domain,auth_password\n1001,sip.example.test,secret\n';
    const before = await api.text('/api/credential-passwords/export.csv');
    const answer = await api.request('/api/credential-passwords/imports?dry_run=true', {
      method: 'POST',
      body: bad,
      contentType: 'text/csv',
    });
    expect(answer.status).toBe(422);
    const { detail } = (await answer.json()) as { detail: string };

    await main().getByRole('button', { name: 'Import CSV' }).click();
    const dialog = page.getByRole('dialog', { name: 'Import CSV' });
    await dialog.waitFor();
    await dialog.getByRole('tab', { name: 'Paste CSV' }).click();
    await dialog.getByLabel('CSV content').fill(bad);
    await dialog.getByRole('button', { name: 'Import', exact: true }).click();
    const alert = dialog.getByRole('alert');
    await alert.waitFor();
    expect(await alert.innerText()).toContain(detail);
    expect(await alert.innerText()).not.toMatch(/\b422\b/);
    await screenshot(page, '08-import-rejected-file');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    expect(await api.text('/api/credential-passwords/export.csv')).toBe(before);
  });

  it('exports all credentials only after a confirmation about plaintext secrets', async () => {
    requireSeed();
    await main().getByRole('button', { name: 'Export All' }).click();
    const dialog = page.getByRole('dialog', { name: 'Export all credentials' });
    await dialog.waitFor();
    expect(await dialog.innerText()).toMatch(/plaintext passwords and TOTP secrets/);
    const confirm = dialog.getByRole('button', { name: 'Download export' });
    expect(await confirm.isDisabled()).toBe(true);

    // The server asks for a fresh password confirmation before it hands out every secret.
    await dialog.getByRole('textbox', { name: 'Your sipcreds password', exact: true }).fill('not-my-password');
    await confirm.click();
    const refused = dialog.getByRole('alert');
    await refused.waitFor();
    expect(await refused.innerText()).not.toMatch(/\b40[13]\b/);
    await screenshot(page, '09-export-all-wrong-password');

    await dialog.getByRole('textbox', { name: 'Your sipcreds password', exact: true }).fill(server.password);
    await screenshot(page, '09-export-all-confirmation');
    const file = await captureDownload(page, () => confirm.click());
    await dialog.waitFor({ state: 'hidden' });
    expect(file.filename).toMatch(/\.csv$/);
    expect(file.bytes.equals(await api.bytes('/api/credential-passwords/export.csv'))).toBe(true);
    const rows = records(file.text);
    expect(rows[0]?.join(',')).toBe(HEADER);
    expect(byUsername(file.text, 'bob-3001')?.[7]).toBe('JBSWY3DPEHPK3PXP');
    expect(rows.length - 1).toBe(7 + 3 + 2 + 1);
  });

  it('filters the smaller sets with * wildcards, on Enter or with the Filter button', async () => {
    requireSeed();
    const filters = page.getByRole('group', { name: 'Filter entries' });
    const table = smallTable();

    await filters.getByLabel('Username', { exact: true }).fill('alice-*');
    await filters.getByLabel('Username', { exact: true }).press('Enter');
    await expect.poll(() => dataRows(table).allInnerTexts()).toHaveLength(3);
    for (const text of await dataRows(table).allInnerTexts()) expect(text).toMatch(/alice-200\d/);
    await table.scrollIntoViewIfNeeded();
    await screenshot(page, '10-small-sets-filtered');

    await filters.getByLabel('Username', { exact: true }).fill('*00*');
    await filters.getByLabel('Domain').fill('B.EXAMPLE.TEST');
    await filters.getByRole('button', { name: 'Filter', exact: true }).click();
    await expect.poll(() => dataRows(table).allInnerTexts()).toHaveLength(2);
    for (const text of await dataRows(table).allInnerTexts()) expect(text).toMatch(/bob-300\d/);

    // Without * a filter matches the whole value only.
    await filters.getByLabel('Domain').fill('');
    await filters.getByLabel('Username', { exact: true }).fill('alice');
    await filters.getByLabel('Username', { exact: true }).press('Enter');
    await table.getByText('No entry matches these filters.').waitFor();

    const [bob] = await smallEntries('&username=bob-3001');
    await filters.getByLabel('Username', { exact: true }).fill('');
    await filters.getByLabel('Credential set').fill(`${bob!.set_name.slice(0, 3)}*`);
    await filters.getByLabel('Credential set').press('Enter');
    const expected = await smallEntries(`&set_name=${encodeURIComponent(`${bob!.set_name.slice(0, 3)}*`)}`);
    await expect.poll(() => dataRows(table).count()).toBe(Math.min(10, expected.length));

    await filters.getByRole('button', { name: 'Clear filters' }).click();
    // alice (3), bob (2) and carol, created by the import above
    await expect.poll(() => dataRows(table).count()).toBe(6);
  });

  it('saves two new passwords through the confirmation, never showing a password', async () => {
    requireSeed();
    const filters = page.getByRole('group', { name: 'Filter entries' });
    const table = smallTable();
    await filters.getByLabel('Username', { exact: true }).fill('bob-*');
    await filters.getByLabel('Username', { exact: true }).press('Enter');
    await expect.poll(() => dataRows(table).count()).toBe(2);

    const bobs = await smallEntries('&username=bob-*');
    const inputs = bobs.map((bob) =>
      table.getByLabel(`New password for ${bob.username}@${bob.domain} in ${bob.set_name}`),
    );
    for (const input of inputs) {
      expect(await input.getAttribute('type')).toBe('password');
      expect(await input.getAttribute('autocomplete')).toBe('new-password');
      expect(await input.getAttribute('data-1p-ignore')).not.toBeNull();
      expect(await input.getAttribute('data-lpignore')).toBe('true');
      expect(await input.getAttribute('data-form-type')).toBe('other');
      expect(await input.inputValue()).toBe('');
    }
    const passwords = ['new-bob-one-Secret', 'new-bob-two-Secret'];
    await inputs[0]!.fill(passwords[0]!);
    await inputs[1]!.fill(passwords[1]!);

    await main().getByRole('button', { name: 'Save passwords' }).click();
    const dialog = page.getByRole('dialog', { name: 'Update passwords' });
    await dialog.waitFor();
    const listed = await dialog.getByRole('table', { name: 'Entries that will change' }).innerText();
    for (const bob of bobs) expect(listed).toContain(`${bob.username}@${bob.domain}`);
    const dialogText = await dialog.innerText();
    for (const password of passwords) expect(dialogText).not.toContain(password);
    expect(await page.content()).not.toContain('seed-b1');
    await screenshot(page, '11-save-passwords-confirmation');

    await dialog.getByRole('button', { name: 'Update passwords' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.getByText('2 passwords were updated.', { exact: false }).waitFor();
    await screenshot(page, '12-passwords-saved');
    for (const input of inputs) expect(await input.inputValue()).toBe('');

    const exported = await api.text('/api/credential-passwords/export.csv');
    expect(byUsername(exported, bobs[0]!.username)?.[6]).toBe(passwords[0]);
    expect(byUsername(exported, bobs[1]!.username)?.[6]).toBe(passwords[1]);
    // Inline save changes the password only: the TOTP secret stays.
    expect(byUsername(exported, 'bob-3001')?.[7]).toBe('JBSWY3DPEHPK3PXP');
  });

  it('sends the user back to the login page when the session ends, and back again after logging in', async () => {
    await context.clearCookies();
    await page
      .getByRole('group', { name: 'Filter entries' })
      .getByRole('button', { name: 'Filter', exact: true })
      .click();
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.getByLabel('Email').fill(server.email);
    await page.getByRole('textbox', { name: 'Password', exact: true }).fill(server.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Credential Passwords', level: 2 }).waitFor();

    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    await page.goto(`${server.baseUrl}/account/credential-passwords`);
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/login');
  });
});
