import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logInApi, type ApiClient } from './support/api-client.ts';
import { launchChromium, screenshot } from './support/browser.ts';
import { startServer, type RunningServer } from './support/sipcreds-server.ts';

const HEADER = 'multi_credential_pool_id,entry_id,username,domain,display_name,auth_username,auth_password,totp_secret';
const SEED_PASSWORD = 'audit-e2e-Secret-1';
const ROTATED_PASSWORD = 'audit-e2e-Rotated-2';

interface JobRow {
  action: string;
  multi_credential_pool_id: number | null;
  entry_id: number | null;
}

describe('Account → Audit log in Chromium', () => {
  let server: RunningServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let api: ApiClient;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    server = await startServer();
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, reducedMotion: 'reduce' });
    // Every CSP violation the page meets, whether or not Chromium also logs it.
    await context.addInitScript(() => {
      const seen: string[] = [];
      (window as unknown as { __csp: string[] }).__csp = seen;
      document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
    page = await context.newPage();
    page.on('console', (msg) => {
      if (msg.type() === 'error') consoleErrors.push(msg.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(error.message));
    api = await logInApi(server.baseUrl, server.email, server.password);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  const main = () => page.getByRole('main');
  const rows = () => page.getByRole('table', { name: 'Audit log' }).locator('tbody').getByRole('row');
  const cspViolations = () => page.evaluate(() => (window as unknown as { __csp: string[] }).__csp);

  it('renders the login page under the Content-Security-Policy with no violation', async () => {
    const response = await page.goto(`${server.baseUrl}/login`);
    const csp = response?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    await page.getByLabel('Email').waitFor();
    expect(await cspViolations()).toEqual([]);
    expect(consoleErrors.filter((e) => /Content Security Policy|Refused to/i.test(e))).toEqual([]);
  });

  it('seeds a history through the API: imports, sets, a password confirmation', async () => {
    // 24 credential sets made under SIP Credentials, one renamed, one cloned, one deleted.
    const ids: number[] = [];
    for (let i = 1; i <= 24; i += 1) {
      const set = await api.json<{ id: number }>('/api/credential-sets', {
        method: 'POST',
        body: { name: `Lab ${String(i).padStart(2, '0')}` },
      });
      ids.push(set.id);
    }
    await api.json(`/api/credential-sets/${ids[0]}`, { method: 'PATCH', body: { name: 'Lab renamed' } });
    await api.json(`/api/credential-sets/${ids[1]}/clone`, { method: 'POST', body: { name: 'Lab copy' } });
    await api.json(`/api/credential-sets/${ids[2]}`, { method: 'DELETE' });

    // 100 new entries, then a rotation of those 100 with 20 more: "100 updated, 20 created".
    const first = [HEADER];
    for (let i = 0; i < 100; i += 1) {
      first.push(
        `,,70${String(i).padStart(3, '0')},pbx.example.test,Desk ${i},70${String(i).padStart(3, '0')},${SEED_PASSWORD},`,
      );
    }
    const created = await api.json<{ rows: JobRow[] }>('/api/credential-passwords/imports?wait=true', {
      method: 'POST',
      body: { csv: first.join('\r\n') },
    });
    const second = [HEADER];
    const pool = created.rows[0]!.multi_credential_pool_id!;
    for (const [i, row] of created.rows.entries()) {
      const user = `70${String(i).padStart(3, '0')}`;
      second.push(`${pool},${row.entry_id},${user},pbx.example.test,Desk ${i},${user},${ROTATED_PASSWORD},`);
    }
    for (let i = 0; i < 20; i += 1) {
      second.push(
        `${pool},,71${String(i).padStart(3, '0')},pbx.example.test,New ${i},71${String(i).padStart(3, '0')},${ROTATED_PASSWORD},`,
      );
    }
    const rotated = await api.json<{ counts: Record<string, number> }>('/api/credential-passwords/imports?wait=true', {
      method: 'POST',
      body: { csv: second.join('\r\n') },
    });
    expect(rotated.counts).toEqual({ updated: 100, created: 20, failed: 0 });

    const reauth = await api.json<{ reauth_token: string }>('/api/session/reauth', {
      method: 'POST',
      body: { password: server.password },
    });
    expect(reauth.reauth_token).toBeTruthy();
  });

  it('shows who did what, newest first, as sentences, and never a password', async () => {
    await page.getByLabel('Email').fill(server.email);
    await page.getByRole('textbox', { name: 'Password', exact: true }).fill(server.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Credential Passwords', level: 2 }).waitFor();

    await page.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('heading', { name: 'Audit log', level: 2 }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/account/audit-log');
    expect(await page.title()).toBe('Audit log · sipcreds');
    await rows().first().waitFor();
    expect(await rows().count()).toBe(25);

    const first = await rows().nth(0).innerText();
    expect(first).toContain(`${server.email} re-entered their password to confirm a plaintext export`);
    const import120 = rows().filter({ hasText: 'imported 120 rows' });
    expect(await import120.innerText()).toContain(`${server.email} imported 120 rows: 100 updated, 20 created`);
    await main().getByText(`${server.email} deleted credential set “Lab 03”`).waitFor();
    await main().getByText(`${server.email} cloned credential set`).waitFor();
    await main().getByText(`${server.email} renamed credential set “Lab 01” to “Lab renamed”`).waitFor();

    const text = await page.content();
    expect(text).not.toContain(SEED_PASSWORD);
    expect(text).not.toContain(ROTATED_PASSWORD);
    expect(text).not.toContain(server.password);
    await screenshot(page, 'audit-log-01-newest-first', { fullPage: true });
  });

  it('pages through older events', async () => {
    const total = (await api.json<{ total: number }>('/api/audit-events')).total;
    await main()
      .getByText(`${total} events · page 1 of ${Math.ceil(total / 25)}`)
      .waitFor();
    const topOfFirst = await rows().nth(0).innerText();
    await page.getByRole('navigation', { name: 'Audit log pages' }).getByRole('button', { name: 'Page 2' }).click();
    await main()
      .getByText(`page 2 of ${Math.ceil(total / 25)}`)
      .waitFor();
    expect(await rows().count()).toBe(total - 25);
    expect(await rows().nth(0).innerText()).not.toBe(topOfFirst);
    await main().getByText(`${server.email} created credential set “Lab 01”`).waitFor();
    expect(new URL(page.url()).searchParams.get('page')).toBe('2');
    await screenshot(page, 'audit-log-02-page-2');
  });

  it('filters by action and by user, and clears the filters', async () => {
    await page.getByRole('combobox', { name: 'Action' }).click();
    await page.getByRole('option', { name: 'Credential set deleted' }).click();
    await main().getByText('1 event').waitFor();
    expect(await rows().count()).toBe(1);
    expect(await rows().nth(0).innerText()).toContain('deleted credential set “Lab 03”');
    expect(new URL(page.url()).searchParams.get('page')).toBeNull();
    await screenshot(page, 'audit-log-03-filtered-by-action');

    await main().getByRole('button', { name: 'Clear filters' }).click();
    await main()
      .getByText(/events · page 1 of/)
      .waitFor();

    await page.getByRole('combobox', { name: 'User' }).click();
    await page.getByRole('option', { name: server.email }).click();
    await main()
      .getByText(/events · page 1 of/)
      .waitFor();
    expect(new URL(page.url()).searchParams.get('actor')).toBe(server.email);
    expect(await rows().count()).toBe(25);

    // A day with nothing in it.
    await main().getByLabel('To', { exact: true }).fill('2001-01-01');
    await main().getByText('No event matches these filters.').waitFor();
    await main().getByRole('button', { name: 'Clear filters' }).click();
    await rows().first().waitFor();
  });

  it('met no Content-Security-Policy violation and no script error on the way', async () => {
    expect(await cspViolations()).toEqual([]);
    // The one expected error: the session check of the login page, answered 401 before logging in.
    const unexpected = consoleErrors.filter((e) => !/status of 401/.test(e));
    expect(unexpected).toEqual([]);
  });
});
