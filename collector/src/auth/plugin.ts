/**
 * The auth plugin: decides per matched route what it needs, finds the principal (bearer token
 * or a resolver), and refuses what it may not do. See index.ts for the interface.
 */
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { CollectorError } from '../errors.ts';
import type { Access, AuditInput, AuthApi, Principal, PrincipalResolver, Role } from './types.ts';

declare module 'fastify' {
  interface FastifyInstance {
    auth: AuthApi;
  }
  interface FastifyRequest {
    /** Who is calling; null when nobody is authenticated or auth is off. */
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** What the route needs; see auth/index.ts. Undeclared: read for GET/HEAD, write otherwise. */
    access?: Access;
  }
}

/** Route options declaring what a route needs: `app.get(url, { ...routeAccess('public'), schema }, h)`. */
export const routeAccess = (access: Access): { config: { access: Access } } => ({ config: { access } });

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** What the matched route of this request needs (read/write by method when it declares nothing). */
export function accessOf(req: FastifyRequest): Access {
  const declared = req.routeOptions.config.access;
  if (declared !== undefined) return declared;
  return SAFE_METHODS.has(req.method) ? 'read' : 'write';
}

const RANK: Record<Role, number> = { viewer: 1, operator: 2 };

/** Throws 401 (nobody) or 403 (role too low) when auth is on and the principal may not do this. */
export function requireRole(req: FastifyRequest, role: Role): void {
  if (!req.server.auth.enabled) return;
  const p = req.principal;
  if (p === null) throw new CollectorError('UNAUTHORIZED', 'sign in or send Authorization: Bearer <token>');
  if (RANK[p.role] < RANK[role]) {
    throw new CollectorError('FORBIDDEN', `role ${p.role} may not do this; it needs ${role}`);
  }
}

export const authPlugin = fp(
  (app, _opts, done) => {
    const resolvers: PrincipalResolver[] = [];
    const api: AuthApi = {
      get enabled() {
        return resolvers.length > 0;
      },
      addResolver(resolver) {
        resolvers.push(resolver);
      },
      async recordAudit(_req: FastifyRequest, _entry: AuditInput) {},
    };
    app.decorate('auth', api);
    app.decorateRequest('principal', null);
    done();
  },
  { name: 'auth' },
);
