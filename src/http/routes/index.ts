import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.ts';
import { accountRoutes } from './account.routes.ts';
import { credentialPasswordRoutes } from './credential-passwords.routes.ts';
import { auditRoutes } from './audit.routes.ts';
import { credentialSetRoutes } from './credential-sets.routes.ts';
import { projectRoutes } from './projects.routes.ts';
import { reauthRoutes } from './reauth.routes.ts';

// Authenticated API routes. Each feature adds its module here; every route in this list
// runs behind the auth hook and is scoped to the caller's account.
export const authenticatedRoutes: Array<(app: FastifyInstance, ctx: AppContext) => Promise<void>> = [
  accountRoutes,
  credentialSetRoutes,
  projectRoutes,
  credentialPasswordRoutes,
  auditRoutes,
  reauthRoutes,
];
