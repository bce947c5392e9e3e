import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, json, type TestApp } from '../support/app.ts';
import { DIALECTS } from '../support/databases.ts';

describe.each(DIALECTS)('bad input gets a problem+json sentence and writes nothing, on %s', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(dialect);
  });
  afterAll(async () => t?.close());

  const post = (payload: string, contentType = 'application/json') =>
    t.app.inject({ method: 'POST', url: '/api/session', payload, headers: { 'content-type': contentType } });

  it('malformed JSON', async () => {
    const res = await post('{"email": "a@b.c", ');
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/problem\+json/);
    expect(json(res).detail).toMatch(/not valid JSON/);
  });

  it('unknown fields', async () => {
    const res = await post(JSON.stringify({ email: 'a@b.c', password: 'x', admin: true }));
    expect(res.statusCode).toBe(400);
    expect(json(res).detail).toMatch(/Remove the unknown field\(s\) "admin"/);
  });

  it('missing fields', async () => {
    const res = await post(JSON.stringify({ email: 'a@b.c' }));
    expect(res.statusCode).toBe(400);
    expect(json(res).detail).toMatch(/"password"/);
  });

  it('a body too large', async () => {
    const res = await post(JSON.stringify({ email: 'a@b.c', password: 'x'.repeat(40_000) }));
    expect(res.statusCode).toBe(413);
    expect(json(res).detail).toMatch(/smaller body/);
  });

  it('a wrong content type', async () => {
    const res = await post('email=a', 'application/x-www-form-urlencoded');
    expect(res.statusCode).toBe(415);
    expect(json(res).detail).toMatch(/application\/json/);
  });

  it('an unknown API path', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/nothing-here' });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(/problem\+json/);
  });

  it('none of these created a session', async () => {
    const { n } = await t.ctx.db.kysely
      .selectFrom('sessions')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(n)).toBe(0);
  });
});

describe('problem sentences', () => {
  it('tell a wrong type from a missing field', async () => {
    const t = await createTestApp('sqlite');
    try {
      const res = await t.app.inject({ method: 'POST', url: '/api/session', payload: { email: 7, password: 'x' } });
      expect(res.statusCode).toBe(400);
      expect(json(res).detail).toMatch(/Fix "email": give the email as a string/);
      expect(json(res).detail).not.toMatch(/Add the field/);
    } finally {
      await t.close();
    }
  });
});
