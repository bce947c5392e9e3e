import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logInApi, type ApiClient } from './support/api-client.ts';
import { launchChromium, screenshot } from './support/browser.ts';
import { startServer, type RunningServer } from './support/sipcreds-server.ts';

// SIP Credentials in Chromium against the real server: create, rename, tag, clone and delete,
// with the data seeded and checked through the API.

interface CredentialSet {
  id: number;
  name: string;
  tags: string[];
  entry_count: number;
}

interface CredentialEntry {
  id: number;
  username: string;
  domain: string;
  display_name: string;
  auth_username: string;
  has_totp: boolean;
}

interface Page_<T> {
  total: number;
  items: T[];
}

const SEED_PASSWORD = 'seed pw "one", ü';
const NEW_PASSWORD = 'Fresh-SIP-pass 42';
const TOTP = 'JBSWY3DPEHPK3PXP';

describe('SIP Credentials in Chromium', () => {
  let server: RunningServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let api: ApiClient;
  let berlin: CredentialSet;
  let inUse: CredentialSet;

  beforeAll(async () => {
    server = await startServer();
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, reducedMotion: 'reduce' });
    context.setDefaultTimeout(10_000);
    page = await context.newPage();
    api = await logInApi(server.baseUrl, server.email, server.password);

    const entry = (username: string, domain: string) => ({
      username,
      domain,
      display_name: `Desk ${username}`,
      auth_username: username,
      auth_password: SEED_PASSWORD,
    });
    berlin = await api.json<CredentialSet>('/api/credential-sets', {
      method: 'POST',
      body: {
        name: 'Berlin office',
        tags: ['prod', 'EU'],
        entries: [entry('1001', 'berlin.example.test'), entry('1002', 'berlin.example.test')],
      },
    });
    await api.json('/api/credential-sets', {
      method: 'POST',
      body: { name: 'Munich lab', tags: ['staging'], entries: [entry('2001', 'lab.example.test')] },
    });
    inUse = await api.json<CredentialSet>('/api/credential-sets', {
      method: 'POST',
      body: { name: 'Carrier trunk', tags: ['prod'], entries: [entry('3001', 'trunk.example.test')] },
    });
    const project = await api.json<{ id: number }>('/api/projects', {
      method: 'POST',
      body: { name: 'Carrier A' },
    });
    await api.json(`/api/projects/${project.id}/tests`, {
      method: 'POST',
      body: { name: 'Nightly register', credential_set_id: inUse.id },
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  const main = () => page.getByRole('main');
  const setsTable = () => main().getByRole('table', { name: 'Credential sets' });
  const rowOf = (table: Locator, text: string) => table.locator('tbody').getByRole('row').filter({ hasText: text });

  async function sets(query = ''): Promise<CredentialSet[]> {
    return (await api.json<Page_<CredentialSet>>(`/api/credential-sets?page_size=100${query}`)).items;
  }

  async function setByName(name: string): Promise<CredentialSet | undefined> {
    return (await sets()).find((s) => s.name === name);
  }

  /** Waits until the focused element is inside the open dialog, then tabs through it. */
  async function expectFocusTrapped(dialog: Locator): Promise<void> {
    for (let i = 0; i < 25; i++) {
      await page.keyboard.press('Tab');
      const inside = await dialog.evaluate((el) => el.contains(document.activeElement));
      expect(inside, `focus left the dialog after ${i + 1} tabs`).toBe(true);
    }
  }

  it('logs in and lists the credential sets with tags and entry counts', async () => {
    await page.goto(`${server.baseUrl}/sip-credentials`);
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    await page.getByLabel('Email').fill(server.email);
    await page.getByRole('textbox', { name: 'Password', exact: true }).fill(server.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'SIP Credentials', level: 2 }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/sip-credentials');

    const berlinRow = rowOf(setsTable(), 'Berlin office');
    await berlinRow.waitFor();
    const cells = await berlinRow.getByRole('cell').allInnerTexts();
    expect(cells[0]).toBe('Berlin office');
    expect(cells[1]).toContain('EU');
    expect(cells[1]).toContain('prod');
    expect(cells[2]).toBe('2');
    expect(await setsTable().locator('tbody').getByRole('row').count()).toBe(3);

    const bulk = main().getByRole('link', { name: 'Account → Credential Passwords' });
    expect(await bulk.getAttribute('href')).toBe('/account/credential-passwords');
    await screenshot(page, 'sip-01-list');
  });

  it('searches across set name, tag, username and domain, and filters by tag', async () => {
    const search = main().getByRole('searchbox', { name: 'Search' });
    for (const [q, expected] of [
      ['munich', ['Munich lab']],
      ['3001', ['Carrier trunk']],
      ['berlin.example', ['Berlin office']],
      ['staging', ['Munich lab']],
    ] as const) {
      await search.fill(q);
      await page.waitForFunction(
        (want) => {
          const rows = [...document.querySelectorAll('table[aria-label="Credential sets"] tbody tr')];
          const names = rows.map((r) => r.querySelector('td')?.textContent ?? '');
          return JSON.stringify(names) === JSON.stringify(want);
        },
        [...expected],
      );
    }
    await search.fill('');
    await rowOf(setsTable(), 'Berlin office').waitFor();

    await main().getByLabel('Tag', { exact: true }).click();
    await page.getByRole('option', { name: /^prod/ }).click();
    await page.waitForFunction(
      () => document.querySelectorAll('table[aria-label="Credential sets"] tbody tr').length === 2,
    );
    expect(new URL(page.url()).searchParams.get('tag')).toBe('prod');
    const names = await setsTable().locator('tbody tr td:first-child').allInnerTexts();
    expect(names).toEqual(['Berlin office', 'Carrier trunk']);
    await screenshot(page, 'sip-02-filtered-by-tag');
    await main().getByRole('button', { name: 'Clear filters' }).click();
    await page.waitForFunction(
      () => document.querySelectorAll('table[aria-label="Credential sets"] tbody tr').length === 3,
    );
  });

  it('creates one extension with Create Credentials: set and entry from one form, no secret shown', async () => {
    await main().getByRole('button', { name: 'Create Credentials' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create Credentials' });
    await dialog.waitFor();

    // Submitting empty says what is missing, at the fields.
    await dialog.getByRole('button', { name: 'Create credentials' }).click();
    await dialog.getByText('Enter the SIP username or extension.').waitFor();

    await dialog.getByRole('textbox', { name: 'Username', exact: true }).fill('4711');
    await dialog.getByRole('textbox', { name: 'Domain', exact: true }).fill('hamburg.example.test');
    expect(await dialog.getByRole('textbox', { name: 'Auth username', exact: true }).inputValue()).toBe('4711');
    expect(await dialog.getByRole('textbox', { name: 'Credential set name', exact: true }).inputValue()).toBe(
      '4711@hamburg.example.test',
    );
    await dialog.getByRole('textbox', { name: 'Display name', exact: true }).fill('Hamburg reception');
    // A message goes once its field is filled.
    expect(await dialog.getByText('Enter the SIP username or extension.').count()).toBe(0);
    expect(await dialog.getByText('Enter the SIP password.').count()).toBe(1);
    const password = dialog.getByRole('textbox', { name: 'Password', exact: true });
    expect(await password.getAttribute('type')).toBe('password');
    expect(await password.getAttribute('autocomplete')).toBe('new-password');
    expect(await password.getAttribute('data-1p-ignore')).not.toBeNull();
    expect(await password.getAttribute('data-lpignore')).toBe('true');
    await password.fill(NEW_PASSWORD);
    await dialog.getByRole('textbox', { name: 'TOTP secret (optional)', exact: true }).fill('jbsw y3dp ehpk 3pxp');
    await dialog.getByRole('combobox', { name: 'Tags', exact: true }).fill('hamburg');
    await dialog.getByRole('combobox', { name: 'Tags', exact: true }).press('Enter');
    await screenshot(page, 'sip-03-create-credentials');
    await dialog.getByRole('button', { name: 'Create credentials' }).click();

    await page.getByRole('heading', { name: '4711@hamburg.example.test', level: 2 }).waitFor();
    const created = await setByName('4711@hamburg.example.test');
    expect(created).toMatchObject({ tags: ['hamburg'], entry_count: 1 });
    expect(new URL(page.url()).pathname).toBe(`/sip-credentials/${created!.id}`);
    const entries = main().getByRole('table', { name: 'Entries of 4711@hamburg.example.test' });
    const row = rowOf(entries, '4711');
    await row.waitFor();
    expect(await row.innerText()).toContain('Hamburg reception');
    expect(await row.getByRole('cell').nth(4).innerText()).toBe('Set');
    const html = await page.content();
    expect(html).not.toContain(NEW_PASSWORD);
    expect(html).not.toContain(TOTP);
    await screenshot(page, 'sip-04-set-page');
  });

  it('adds an entry to a set and edits it with a new password, never showing the current one', async () => {
    await page.goto(`${server.baseUrl}/sip-credentials/${berlin.id}`);
    await page.getByRole('heading', { name: 'Berlin office', level: 2 }).waitFor();

    await main().getByRole('button', { name: 'Add entry' }).click();
    const add = page.getByRole('dialog', { name: 'Add entry to Berlin office' });
    await add.getByRole('textbox', { name: 'Username', exact: true }).fill('1003');
    await add.getByRole('textbox', { name: 'Domain', exact: true }).fill('berlin example');
    await add.getByRole('textbox', { name: 'Password', exact: true }).fill('another one');
    await add.getByRole('button', { name: 'Add entry' }).click();
    // The server's own sentence (the import's rule) appears at the field.
    await add.getByText(/contains a space/).waitFor();
    await add.getByRole('textbox', { name: 'Domain', exact: true }).fill('berlin.example.test');
    await add.getByRole('button', { name: 'Add entry' }).click();
    await add.waitFor({ state: 'hidden' });
    const table = main().getByRole('table', { name: 'Entries of Berlin office' });
    await rowOf(table, '1003').waitFor();

    await table.getByRole('button', { name: 'Edit entry 1001@berlin.example.test' }).click();
    const edit = page.getByRole('dialog', { name: 'Edit entry 1001' });
    await edit.waitFor();
    const newPassword = edit.getByRole('textbox', { name: 'New password', exact: true });
    expect(await newPassword.inputValue()).toBe('');
    expect(await newPassword.getAttribute('autocomplete')).toBe('new-password');
    await edit.getByText('No TOTP secret', { exact: true }).waitFor();
    expect(await edit.innerHTML()).not.toContain(SEED_PASSWORD);
    await expectFocusTrapped(edit);
    await edit.getByRole('textbox', { name: 'Display name', exact: true }).fill('Front desk');
    await newPassword.fill(NEW_PASSWORD);
    await edit.getByRole('textbox', { name: 'TOTP secret', exact: true }).fill(TOTP);
    await screenshot(page, 'sip-05-edit-entry');
    await edit.getByRole('button', { name: 'Save entry' }).click();
    await edit.waitFor({ state: 'hidden' });
    await rowOf(table, 'Front desk').waitFor();

    const entries = await api.json<Page_<CredentialEntry>>(`/api/credential-sets/${berlin.id}/entries`);
    expect(entries.items.find((e) => e.username === '1001')).toMatchObject({
      display_name: 'Front desk',
      has_totp: true,
    });
    expect(entries.total).toBe(3);
  });

  it('renames a set', async () => {
    await main().getByRole('button', { name: 'Rename' }).click();
    const dialog = page.getByRole('dialog', { name: 'Rename credential set' });
    const name = dialog.getByRole('textbox', { name: 'New name', exact: true });
    expect(await name.inputValue()).toBe('Berlin office');
    await name.fill('Berlin HQ');
    await dialog.getByRole('button', { name: 'Rename' }).click();
    await page.getByRole('heading', { name: 'Berlin HQ', level: 2 }).waitFor();
    expect((await api.json<CredentialSet>(`/api/credential-sets/${berlin.id}`)).name).toBe('Berlin HQ');
  });

  it('edits the tags of a set', async () => {
    await main().getByRole('button', { name: 'Edit tags' }).click();
    const dialog = page.getByRole('dialog', { name: 'Tags of Berlin HQ' });
    await dialog.waitFor();
    const input = dialog.getByRole('combobox', { name: 'Tags', exact: true });
    await input.fill('carrier-a');
    await input.press('Enter');
    await input.fill('PROD');
    await input.press('Enter'); // a duplicate of "prod" in another case: not added
    // Remove "EU" with its pill's remove button.
    await dialog.locator('.mantine-Pill-root', { hasText: 'EU' }).locator('button').click();
    await screenshot(page, 'sip-06-edit-tags');
    await dialog.getByRole('button', { name: 'Save tags' }).click();
    await dialog.waitFor({ state: 'hidden' });
    const tags = main().getByRole('group', { name: 'Tags' });
    await tags.getByText('carrier-a').waitFor();
    expect((await api.json<CredentialSet>(`/api/credential-sets/${berlin.id}`)).tags).toEqual(['carrier-a', 'prod']);
  });

  it('clones a set with its entries under a new name', async () => {
    await main().getByRole('button', { name: 'Clone' }).click();
    const dialog = page.getByRole('dialog', { name: 'Clone credential set' });
    const name = dialog.getByRole('textbox', { name: 'Name of the copy', exact: true });
    expect(await name.inputValue()).toBe('Berlin HQ (copy)');
    await dialog.getByText(/with its tags and 3 entries/).waitFor();
    await name.fill('Berlin staging');
    await dialog.getByRole('button', { name: 'Clone' }).click();
    await page.getByRole('heading', { name: 'Berlin staging', level: 2 }).waitFor();
    const clone = await setByName('Berlin staging');
    expect(clone).toMatchObject({ entry_count: 3, tags: ['carrier-a', 'prod'] });
    expect(new URL(page.url()).pathname).toBe(`/sip-credentials/${clone!.id}`);
    const table = main().getByRole('table', { name: 'Entries of Berlin staging' });
    await rowOf(table, '1003').waitFor();
    expect(await table.locator('tbody').getByRole('row').count()).toBe(3);
    await screenshot(page, 'sip-07-clone');
  });

  it('deletes a set after a confirmation that says how many entries go with it', async () => {
    await main().getByRole('button', { name: 'Delete set' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete credential set' });
    await dialog.getByText('Its 3 entries will be deleted with it.').waitFor();
    await screenshot(page, 'sip-08-delete-confirm');
    await dialog.getByRole('button', { name: 'Delete set and 3 entries' }).click();
    await page.getByRole('heading', { name: 'SIP Credentials', level: 2 }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/sip-credentials');
    await page.getByText('Deleted Berlin staging and its 3 entries.').waitFor();
    await rowOf(setsTable(), 'Berlin HQ').waitFor();
    expect(await rowOf(setsTable(), 'Berlin staging').count()).toBe(0);
    expect(await setByName('Berlin staging')).toBeUndefined();
  });

  it('refuses to delete a set a test uses, naming the test; Escape closes the dialog', async () => {
    await setsTable().getByRole('button', { name: 'Actions for Carrier trunk' }).click();
    await page.getByRole('menuitem', { name: 'Delete' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete credential set' });
    await dialog.getByText('Its 1 entry will be deleted with it.').waitFor();
    await dialog.getByRole('button', { name: 'Delete set and 1 entry' }).click();
    const alert = dialog.getByRole('alert');
    await alert.waitFor();
    expect(await alert.innerText()).toContain('"Nightly register" in project "Carrier A"');
    expect(await dialog.getByRole('button', { name: 'Delete set and 1 entry' }).isDisabled()).toBe(true);
    await screenshot(page, 'sip-09-delete-in-use');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    expect(await setByName('Carrier trunk')).toMatchObject({ entry_count: 1 });
  });

  it('renames, tags and clones from the list too', async () => {
    await setsTable().getByRole('button', { name: 'Actions for Munich lab' }).click();
    await page.getByRole('menuitem', { name: 'Rename' }).click();
    const rename = page.getByRole('dialog', { name: 'Rename credential set' });
    await rename.getByRole('textbox', { name: 'New name', exact: true }).fill('Munich test lab');
    await rename.getByRole('textbox', { name: 'New name', exact: true }).press('Enter');
    await rowOf(setsTable(), 'Munich test lab').waitFor();

    await setsTable().getByRole('button', { name: 'Actions for Munich test lab' }).click();
    await page.getByRole('menuitem', { name: 'Edit tags' }).click();
    const tags = page.getByRole('dialog', { name: 'Tags of Munich test lab' });
    await tags.getByRole('combobox', { name: 'Tags', exact: true }).pressSequentially('lab,munich,');
    await tags.getByRole('button', { name: 'Save tags' }).click();
    await tags.waitFor({ state: 'hidden' });
    await rowOf(setsTable(), 'Munich test lab').getByRole('button', { name: 'Show sets tagged munich' }).waitFor();

    await setsTable().getByRole('button', { name: 'Actions for Munich test lab' }).click();
    await page.getByRole('menuitem', { name: 'Clone' }).click();
    const clone = page.getByRole('dialog', { name: 'Clone credential set' });
    await clone.getByRole('button', { name: 'Clone' }).click();
    await page.getByRole('heading', { name: 'Munich test lab (copy)', level: 2 }).waitFor();
    expect(await setByName('Munich test lab (copy)')).toMatchObject({
      entry_count: 1,
      tags: ['lab', 'munich', 'staging'],
    });
    await page.goto(`${server.baseUrl}/sip-credentials`);
    await rowOf(setsTable(), 'Munich test lab (copy)').waitFor();
    await screenshot(page, 'sip-10-list-after', { fullPage: true });
  });
});
