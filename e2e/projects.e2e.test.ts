import dgram from 'node:dgram';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRegistrar, type Registrar } from '../test/projects/support.ts';
import { logInApi, type ApiClient } from './support/api-client.ts';
import { launchChromium, screenshot } from './support/browser.ts';
import { startServer, type RunningServer } from './support/sipcreds-server.ts';

// Projects in Chromium against the real server and a real registrar (Kamailio on loopback):
// create a project and a registration test, run it, watch each entry's result arrive, see earlier
// runs; and Verify registration from the Import results dialog.

const PORT = 15092;
const PROXY = `127.0.0.1:${PORT}`;
const SILENT_PORT = 15096; // a UDP socket that never answers: a registrar that stays silent
const ALICE_PW = 'Alice-rotated-2026';
const BOB_PW = 'Bob-rotated-2026';
const HEADER = 'multi_credential_pool_id,entry_id,username,domain,display_name,auth_username,auth_password,totp_secret';

interface ImportJob {
  status: string;
  rows: Array<{ action: string; multi_credential_pool_id: number | null; entry_id: number | null; username: string }>;
}

describe('Projects in Chromium', () => {
  let registrar: Registrar;
  let server: RunningServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let api: ApiClient;
  let setName: string;
  let setId: number;
  let aliceEntry: number;
  let slowSetName: string;
  let silent: dgram.Socket;

  beforeAll(async () => {
    registrar = startRegistrar(PORT, [
      ['alice', '127.0.0.1', ALICE_PW],
      ['bob', '127.0.0.1', BOB_PW],
    ]);
    server = await startServer();
    api = await logInApi(server.baseUrl, server.email, server.password);
    // The credentials come in by CSV import, as after a rotation: alice's new password is right,
    // bob's is not the one the registrar knows.
    const job = await api.json<ImportJob>('/api/credential-passwords/imports?wait=true', {
      method: 'POST',
      body: {
        csv: [HEADER, `,,alice,127.0.0.1,Alice,alice,${ALICE_PW},`, ',,bob,127.0.0.1,Bob,bob,bob-typo,'].join('\r\n'),
      },
    });
    expect(job.rows.map((r) => r.action)).toEqual(['created', 'created']);
    setId = job.rows[0]!.multi_credential_pool_id!;
    aliceEntry = job.rows[0]!.entry_id!;
    // Imports name new sets after the date; users rename them under SIP Credentials.
    setName = 'Rotated extensions';
    await api.json(`/api/credential-sets/${setId}`, { method: 'PATCH', body: { name: setName } });
    // A second set whose entries name their registrar in the domain (an IP literal with a port, used
    // as it is under RFC 3263): one answers, the other stays silent until the timeout.
    const slow = await api.json<ImportJob>('/api/credential-passwords/imports?wait=true', {
      method: 'POST',
      body: {
        csv: [
          HEADER,
          `,,alice,${PROXY},Alice,alice,${ALICE_PW},`,
          `,,carol,127.0.0.1:${SILENT_PORT},Carol,carol,carol-pw,`,
        ].join('\r\n'),
      },
    });
    const slowSet = slow.rows[0]!.multi_credential_pool_id!;
    slowSetName = 'Extensions by domain';
    await api.json(`/api/credential-sets/${slowSet}`, { method: 'PATCH', body: { name: slowSetName } });
    silent = dgram.createSocket('udp4');
    await new Promise<void>((done) => silent.bind(SILENT_PORT, '127.0.0.1', done));

    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, reducedMotion: 'reduce' });
    page = await context.newPage();
  }, 180_000); // a fresh web build, the CLI set-up and a registrar: slow on a busy machine

  afterAll(async () => {
    // The registrar goes first: whatever else fails, no daemon is left holding the port.
    registrar?.stop();
    silent?.close();
    await browser?.close();
    await server?.stop();
  });

  const main = () => page.getByRole('main');
  const bodyRows = (table: Locator) => table.locator('tbody').getByRole('row');
  // A segmented control's radios are visually hidden under their labels: a click is what a person does.

  it('logs in and opens Projects from the main menu', async () => {
    await page.goto(`${server.baseUrl}/projects`);
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    await page.getByLabel('Email').fill(server.email);
    await page.getByRole('textbox', { name: 'Password', exact: true }).fill(server.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await main().getByRole('heading', { name: 'Projects', level: 2 }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/projects');
    await main().getByText('There are no projects yet').waitFor();
    const nav = page.getByRole('navigation', { name: 'Main menu' });
    expect(await nav.getByRole('link', { name: 'Projects' }).getAttribute('aria-current')).toBe('page');
  });

  it('creates a project and a registration test that uses the imported credential set', async () => {
    await main().getByRole('button', { name: 'New project' }).click();
    const newProject = page.getByRole('dialog', { name: 'New project' });
    await newProject.getByLabel('Project name').fill('Carrier A after rotation');
    await newProject.getByLabel('Description').fill('Checks that rotated passwords still register.');
    await newProject.getByRole('button', { name: 'Create project' }).click();
    await main().getByRole('heading', { name: 'Carrier A after rotation', level: 2 }).waitFor();
    await main().getByText('This project has no tests yet').waitFor();

    await main().getByRole('button', { name: 'New test' }).click();
    const dialog = page.getByRole('dialog', { name: 'New registration test' });
    await dialog.getByLabel('Test name').fill('Register rotated extensions');
    await dialog.getByRole('combobox', { name: 'Credential set' }).click();
    await page.getByRole('option', { name: setName }).click();
    await dialog.getByRole('radio', { name: 'Explicit proxy' }).dispatchEvent('click');
    await dialog.getByRole('textbox', { name: 'Proxy' }).fill(PROXY);
    await dialog.getByRole('radio', { name: 'TCP' }).dispatchEvent('click');
    await dialog.getByRole('textbox', { name: 'Entries to try' }).fill('2');
    await screenshot(page, 'projects-01-new-test');
    await dialog.getByRole('button', { name: 'Create test' }).click();

    await main().getByRole('heading', { name: 'Register rotated extensions', level: 2 }).waitFor();
    expect(new URL(page.url()).pathname).toMatch(/^\/projects\/\d+\/tests\/\d+$/);
    await main().getByText('This test has not run yet').waitFor();
    const saved = await api.json<{ items: Array<Record<string, unknown>> }>(
      `/api/projects/${new URL(page.url()).pathname.split('/')[2]}/tests`,
    );
    expect(saved.items[0]).toMatchObject({
      name: 'Register rotated extensions',
      credential_set_id: setId,
      registrar: { mode: 'proxy', proxy: PROXY },
      transport: 'tcp',
      entries_to_try: 2,
    });
  });

  it('runs the test against the registrar and shows each entry’s result as it arrives', async () => {
    await main().getByRole('button', { name: 'Run test' }).click();
    const results = main().getByRole('table', { name: 'Run results' });
    await results.waitFor();
    await main().getByRole('status').filter({ hasText: 'Checked 2 of 2 entries: 1 registered, 1 failed.' }).waitFor();
    expect(await bodyRows(results).count()).toBe(2);
    const alice = bodyRows(results).filter({ hasText: 'alice' });
    const bob = bodyRows(results).filter({ hasText: 'bob' });
    expect(await alice.innerText()).toContain('200 OK');
    expect(await alice.innerText()).toContain('Registration succeeded');
    expect(await bob.innerText()).toContain('403 Forbidden');
    expect(await bob.innerText()).toContain('check the password and auth username');
    await main().getByText('1 of 2 failed').first().waitFor();
    await results.scrollIntoViewIfNeeded();
    await screenshot(page, 'projects-02-run-results');
  });

  it('edits the test, runs it again, and shows earlier runs', async () => {
    const config = main().getByRole('region', { name: 'Test configuration' });
    await config.getByRole('radio', { name: 'UDP' }).dispatchEvent('click');
    await config.getByRole('button', { name: 'Save changes' }).click();
    await config.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();

    await main().getByRole('button', { name: 'Run test' }).click();
    const runs = main().getByRole('table', { name: 'Runs of this test' });
    await runs.waitFor();
    await expect.poll(() => bodyRows(runs).count(), { timeout: 20_000 }).toBe(2);
    // The new run is the one on show, newest first in the list.
    const newest = (await bodyRows(runs).first().getByRole('cell').first().innerText()).trim();
    const runPanel = main().getByRole('region', { name: `Run ${newest}` });
    await runPanel.getByRole('status').filter({ hasText: 'Checked 2 of 2 entries: 1 registered, 1 failed.' }).waitFor();
    await runPanel.getByText('Proxy 127.0.0.1:15092 · UDP').waitFor();

    // The earlier run, over TCP, is still there with its own results.
    const earlier = bodyRows(runs).nth(1);
    const earlierId = (await earlier.getByRole('cell').first().innerText()).trim();
    expect(earlierId).not.toBe(newest);
    await earlier.getByRole('button', { name: `Show run ${earlierId}` }).click();
    await main()
      .getByRole('heading', { name: `Run ${earlierId}` })
      .waitFor();
    await main().getByText('Proxy 127.0.0.1:15092 · TCP').waitFor();
    expect(await bodyRows(main().getByRole('table', { name: 'Run results' })).count()).toBe(2);
    await runs.scrollIntoViewIfNeeded();
    await screenshot(page, 'projects-03-earlier-runs');

    // The project's list of tests shows the last run.
    await page.getByRole('link', { name: 'Carrier A after rotation' }).click();
    const tests = main().getByRole('table', { name: 'Registration tests' });
    await tests.waitFor();
    expect(await bodyRows(tests).first().innerText()).toContain('1 of 2 failed');
    await screenshot(page, 'projects-04-project');
  });

  it('shows results as they arrive while a slow registrar keeps the run going', async () => {
    await main().getByRole('button', { name: 'New test' }).click();
    const dialog = page.getByRole('dialog', { name: 'New registration test' });
    await dialog.getByLabel('Test name').fill('Register by domain');
    await dialog.getByRole('combobox', { name: 'Credential set' }).click();
    await page.getByRole('option', { name: slowSetName }).click();
    await dialog.getByRole('textbox', { name: 'Entries to try' }).fill('2');
    await dialog.getByRole('textbox', { name: 'Timeout (seconds)' }).fill('4');
    await dialog.getByRole('button', { name: 'Create test' }).click();
    await main().getByRole('heading', { name: 'Register by domain', level: 2 }).waitFor();

    await main().getByRole('button', { name: 'Run test' }).click();
    const results = main().getByRole('table', { name: 'Run results' });
    // alice answers at once; carol's registrar is silent, so the run is still going.
    await bodyRows(results).filter({ hasText: '200 OK' }).waitFor();
    await results.getByText('1 entry still registering…').waitFor();
    const panel = main().getByRole('region', { name: /^Run #\d+$/ });
    await panel.getByText('Running', { exact: true }).waitFor();
    await panel.getByRole('status').filter({ hasText: 'Checked 1 of 2 entries…' }).waitFor();
    await screenshot(page, 'projects-05-run-in-progress');

    // The page polls until the timeout ends the run.
    const carol = bodyRows(results).filter({ hasText: 'carol' });
    await carol.waitFor({ timeout: 20_000 });
    expect(await carol.innerText()).toContain('Timeout');
    expect(await carol.innerText()).toContain(`No answer from 127.0.0.1:${SILENT_PORT} over UDP`);
    await panel.getByRole('status').filter({ hasText: 'Checked 2 of 2 entries: 1 registered, 1 failed.' }).waitFor();
    await screenshot(page, 'projects-06-run-timeout');
  });

  it('Verify registration in the Import results dialog checks an updated entry', async () => {
    await page
      .getByRole('navigation', { name: 'Main menu' })
      .getByRole('link', { name: 'Credential Passwords' })
      .click();
    await main().getByRole('heading', { name: 'Credential Passwords', level: 2 }).waitFor();
    await main().getByRole('button', { name: 'Import CSV' }).click();
    const dialog = page.getByRole('dialog', { name: 'Import CSV' });
    await dialog.getByLabel('CSV file').setInputFiles({
      name: 'rotation.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from([HEADER, `${setId},${aliceEntry},alice,127.0.0.1,Alice,alice,${ALICE_PW},`].join('\r\n')),
    });
    await dialog.getByText('rotation.csv').waitFor();
    await dialog.getByRole('button', { name: 'Import', exact: true }).click();

    const results = page.getByRole('dialog', { name: 'Import results' });
    const table = results.getByRole('table', { name: 'Import results' });
    await table.waitFor();
    const row = bodyRows(table).filter({ hasText: 'alice' });
    expect(await row.innerText()).toContain('updated');
    await row.getByRole('button', { name: 'Verify registration of alice' }).click();
    const verify = page.getByRole('dialog', { name: 'Verify registration of alice' });
    await verify.getByRole('radio', { name: 'Proxy' }).dispatchEvent('click');
    await verify.getByRole('textbox', { name: 'Proxy' }).fill(PROXY);
    await verify.getByRole('button', { name: 'Verify' }).click();
    const outcome = row.getByRole('status', { name: 'Registration check of alice' });
    await outcome.waitFor();
    expect(await outcome.innerText()).toContain('200 OK');
    expect(await outcome.innerText()).toContain('Registration succeeded');
    await screenshot(page, 'projects-07-verify-registration');
  });
});
