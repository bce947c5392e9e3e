import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  cloneCredentialSet,
  createCredentialEntry,
  createCredentialSet,
  deleteCredentialEntry,
  deleteCredentialSet,
  entryNotFound,
  getCredentialEntry,
  getCredentialSet,
  listCredentialEntries,
  listCredentialSets,
  listCredentialSetTags,
  setNotFound,
  updateCredentialEntry,
  updateCredentialSet,
  type Actor,
  type CredentialEntryRecord,
  type CredentialSetRecord,
  type PageOf,
} from '../../app/credential-sets.ts';
import { principalOf } from '../auth.ts';
import type { AppContext } from '../context.ts';
import { parseWith } from '../problem.ts';

// SIP Credentials over HTTP: /api/credential-sets and their entries (docs/api-credential-sets.md).
// The JSON shapes below have no secret fields at all, and the response schemas make Fastify drop
// any field they do not name, so a password cannot reach a response even by mistake.

// ---------------------------------------------------------------------------------------------
// JSON shapes

export interface CredentialSetJson {
  id: number;
  name: string;
  tags: string[];
  entry_count: number;
  created_at: string;
  updated_at: string;
}

export interface CredentialEntryJson {
  id: number;
  multi_credential_pool_id: number;
  username: string;
  domain: string;
  display_name: string;
  auth_username: string;
  has_totp: boolean;
  created_at: string;
  updated_at: string;
}

export interface PageJson<T> {
  page: number;
  page_size: number;
  total: number;
  items: T[];
}

function setJson(s: CredentialSetRecord): CredentialSetJson {
  return {
    id: s.id,
    name: s.name,
    tags: s.tags,
    entry_count: s.entryCount,
    created_at: s.createdAt,
    updated_at: s.updatedAt,
  };
}

function entryJson(e: CredentialEntryRecord): CredentialEntryJson {
  return {
    id: e.id,
    multi_credential_pool_id: e.setId,
    username: e.username,
    domain: e.domain,
    display_name: e.displayName,
    auth_username: e.authUsername,
    has_totp: e.hasTotp,
    created_at: e.createdAt,
    updated_at: e.updatedAt,
  };
}

function pageJson<T, J>(p: PageOf<T>, map: (item: T) => J): PageJson<J> {
  return { page: p.page, page_size: p.pageSize, total: p.total, items: p.items.map(map) };
}

// Response schemas (fast-json-stringify writes only the properties named here).
const setSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'name', 'tags', 'entry_count', 'created_at', 'updated_at'],
  properties: {
    id: { type: 'integer' },
    name: { type: 'string' },
    tags: { type: 'array', items: { type: 'string' } },
    entry_count: { type: 'integer' },
    created_at: { type: 'string' },
    updated_at: { type: 'string' },
  },
} as const;

const entrySchema = {
  type: 'object',
  additionalProperties: false,
  required: [
    'id',
    'multi_credential_pool_id',
    'username',
    'domain',
    'display_name',
    'auth_username',
    'has_totp',
    'created_at',
    'updated_at',
  ],
  properties: {
    id: { type: 'integer' },
    multi_credential_pool_id: { type: 'integer' },
    username: { type: 'string' },
    domain: { type: 'string' },
    display_name: { type: 'string' },
    auth_username: { type: 'string' },
    has_totp: { type: 'boolean' },
    created_at: { type: 'string' },
    updated_at: { type: 'string' },
  },
} as const;

const pageSchema = (item: object) =>
  ({
    type: 'object',
    additionalProperties: false,
    required: ['page', 'page_size', 'total', 'items'],
    properties: {
      page: { type: 'integer' },
      page_size: { type: 'integer' },
      total: { type: 'integer' },
      items: { type: 'array', items: item },
    },
  }) as const;

const tagsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['items'],
  properties: {
    items: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['tag', 'set_count'],
        properties: { tag: { type: 'string' }, set_count: { type: 'integer' } },
      },
    },
  },
} as const;

const deletedSetSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'deleted_entries'],
  properties: { id: { type: 'integer' }, deleted_entries: { type: 'integer' } },
} as const;

// ---------------------------------------------------------------------------------------------
// Request shapes

const text = (what: string) => z.string({ error: `give ${what} as a string` });

const pageParam = z
  .string()
  .regex(/^[1-9]\d{0,6}$/, { error: 'give a whole number of 1 or more' })
  .transform(Number)
  .optional();
const pageSizeParam = z
  .string()
  .regex(/^\d{1,3}$/, { error: 'give a whole number from 1 to 100' })
  .transform(Number)
  .pipe(
    z
      .number()
      .min(1, { error: 'give a whole number from 1 to 100' })
      .max(100, { error: 'give a whole number from 1 to 100' }),
  )
  .optional();

export const DEFAULT_PAGE_SIZE = 25;

const listSetsQuery = z.strictObject({
  page: pageParam,
  page_size: pageSizeParam,
  q: text('the search text').max(200, { error: 'search for at most 200 characters' }).optional(),
  tag: z.union([text('the tag'), z.array(text('each tag'))]).optional(),
});

const listEntriesQuery = z.strictObject({
  page: pageParam,
  page_size: pageSizeParam,
  q: text('the search text').max(200, { error: 'search for at most 200 characters' }).optional(),
});

const newEntryBody = z.strictObject({
  username: text('the username'),
  domain: text('the domain'),
  display_name: text('the display name'),
  auth_username: text('the auth username'),
  auth_password: text('the password'),
  totp_secret: text('the TOTP secret').nullable().optional(),
});

const newSetBody = z.strictObject({
  name: text('the name'),
  tags: z.array(text('each tag'), { error: 'give the tags as a list of strings' }).optional(),
  entries: z.array(newEntryBody, { error: 'give the entries as a list of objects' }).optional(),
});

const setChangeBody = z
  .strictObject({
    name: text('the name').optional(),
    tags: z.array(text('each tag'), { error: 'give the tags as a list of strings' }).optional(),
  })
  .refine((b) => b.name !== undefined || b.tags !== undefined, { error: 'give a new name, new tags, or both' });

const cloneBody = z.strictObject({ name: text('the name').optional() });

const entryChangeBody = z
  .strictObject({
    username: text('the username').optional(),
    domain: text('the domain').optional(),
    display_name: text('the display name').optional(),
    auth_username: text('the auth username').optional(),
    auth_password: text('the new password').optional(),
    totp_secret: text('the TOTP secret').nullable().optional(),
  })
  .refine((b) => Object.keys(b).length > 0, { error: 'give at least one field to change' });

/** Ids are positive integers that fit an integer column; anything else names nothing. */
function parseId(raw: string): number | null {
  if (!/^[1-9]\d{0,9}$/.test(raw)) return null;
  const id = Number(raw);
  return id <= 2147483647 ? id : null;
}

function shown(raw: string): string {
  return raw.length > 24 ? `${raw.slice(0, 24)}…` : raw;
}

function setIdOf(request: FastifyRequest): number {
  const raw = (request.params as { id: string }).id;
  const id = parseId(raw);
  if (id === null) throw setNotFound(shown(raw));
  return id;
}

function entryIdOf(request: FastifyRequest, setId: number): number {
  const raw = (request.params as { entry: string }).entry;
  const id = parseId(raw);
  if (id === null) throw entryNotFound(setId, shown(raw));
  return id;
}

function actorOf(request: FastifyRequest): Actor {
  const p = principalOf(request);
  return { accountId: p.accountId, userId: p.userId, email: p.email };
}

function tagList(tag: string | string[] | undefined): string[] {
  if (tag === undefined) return [];
  return Array.isArray(tag) ? tag : [tag];
}

// ---------------------------------------------------------------------------------------------

export async function credentialSetRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const deps = { db: ctx.db, cipher: ctx.cipher };
  const base = '/api/credential-sets';

  app.get(base, { schema: { response: { 200: pageSchema(setSchema) } } }, async (request) => {
    const query = parseWith(listSetsQuery, request.query, 'query');
    const page = await listCredentialSets(deps, actorOf(request), {
      page: query.page ?? 1,
      pageSize: query.page_size ?? DEFAULT_PAGE_SIZE,
      q: query.q,
      tags: tagList(query.tag),
    });
    return pageJson(page, setJson);
  });

  app.post(base, { schema: { response: { 201: setSchema } } }, async (request, reply) => {
    const body = parseWith(newSetBody, request.body);
    const set = await createCredentialSet(deps, actorOf(request), body);
    return reply.code(201).header('Location', `${base}/${set.id}`).send(setJson(set));
  });

  app.get('/api/credential-set-tags', { schema: { response: { 200: tagsSchema } } }, async (request) => {
    const tags = await listCredentialSetTags(deps, actorOf(request));
    return { items: tags.map((t) => ({ tag: t.tag, set_count: t.setCount })) };
  });

  app.get(`${base}/:id`, { schema: { response: { 200: setSchema } } }, async (request) => {
    return setJson(await getCredentialSet(deps, actorOf(request), setIdOf(request)));
  });

  app.patch(`${base}/:id`, { schema: { response: { 200: setSchema } } }, async (request) => {
    const setId = setIdOf(request);
    const body = parseWith(setChangeBody, request.body);
    return setJson(await updateCredentialSet(deps, actorOf(request), setId, body));
  });

  app.delete(`${base}/:id`, { schema: { response: { 200: deletedSetSchema } } }, async (request) => {
    const setId = setIdOf(request);
    const { deletedEntries } = await deleteCredentialSet(deps, actorOf(request), setId);
    return { id: setId, deleted_entries: deletedEntries };
  });

  app.post(`${base}/:id/clone`, { schema: { response: { 201: setSchema } } }, async (request, reply) => {
    const setId = setIdOf(request);
    const body = parseWith(cloneBody, request.body ?? {});
    const set = await cloneCredentialSet(deps, actorOf(request), setId, body.name);
    return reply.code(201).header('Location', `${base}/${set.id}`).send(setJson(set));
  });

  app.get(`${base}/:id/entries`, { schema: { response: { 200: pageSchema(entrySchema) } } }, async (request) => {
    const setId = setIdOf(request);
    const query = parseWith(listEntriesQuery, request.query, 'query');
    const page = await listCredentialEntries(deps, actorOf(request), setId, {
      page: query.page ?? 1,
      pageSize: query.page_size ?? DEFAULT_PAGE_SIZE,
      q: query.q,
    });
    return pageJson(page, entryJson);
  });

  app.post(`${base}/:id/entries`, { schema: { response: { 201: entrySchema } } }, async (request, reply) => {
    const setId = setIdOf(request);
    const body = parseWith(newEntryBody, request.body);
    const entry = await createCredentialEntry(deps, actorOf(request), setId, body);
    return reply.code(201).header('Location', `${base}/${setId}/entries/${entry.id}`).send(entryJson(entry));
  });

  app.get(`${base}/:id/entries/:entry`, { schema: { response: { 200: entrySchema } } }, async (request) => {
    const setId = setIdOf(request);
    const entryId = entryIdOf(request, setId);
    return entryJson(await getCredentialEntry(deps, actorOf(request), setId, entryId));
  });

  app.patch(`${base}/:id/entries/:entry`, { schema: { response: { 200: entrySchema } } }, async (request) => {
    const setId = setIdOf(request);
    const entryId = entryIdOf(request, setId);
    const body = parseWith(entryChangeBody, request.body);
    return entryJson(await updateCredentialEntry(deps, actorOf(request), setId, entryId, body));
  });

  app.delete(`${base}/:id/entries/:entry`, async (request, reply) => {
    const setId = setIdOf(request);
    const entryId = entryIdOf(request, setId);
    await deleteCredentialEntry(deps, actorOf(request), setId, entryId);
    return reply.code(204).send();
  });
}
