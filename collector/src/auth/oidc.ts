/**
 * Single sign-on for the dashboard: OpenID Connect authorization code flow with PKCE
 * (openid-client), roles from a configurable claim, sessions in sealed cookies, and a CSRF
 * token for state changes made with a session.
 *
 * Routes (all `public`: they decide themselves):
 * - GET  /auth/login     redirect to the provider; state, nonce and PKCE verifier go into a
 *                        sealed cookie valid for 10 minutes, scoped to /auth/callback;
 * - GET  /auth/callback  code exchange and ID token checks (state, nonce, PKCE, issuer,
 *                        audience, signature), role mapping, session cookie, back to the page;
 * - POST /auth/logout    clears the session; answers where to go next (the provider's
 *                        end_session_endpoint when it has one, else /);
 * - GET  /auth/me        the principal (200) or 401, and whether SSO is configured.
 *
 * The session is resolved for every request by a resolver added to the auth capability
 * (app.auth.addResolver). A request other than GET/HEAD/OPTIONS that a session authenticates
 * must carry `x-csrf-token`: an HMAC of the session id, readable by the dashboard from the
 * `eventscope_csrf` cookie (double submit) or /auth/me. The auth capability also checks Origin.
 *
 * This plugin only decides: the flow is in sso.ts, loaded where SSO is configured.
 */
import cookie from '@fastify/cookie';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { CollectorError } from '../errors.ts';
import { routeAccess } from './index.ts';
import { MeSchema, MeUnauthorizedSchema } from './schemas.ts';
import { oidcSettings } from './oidc-config.ts';

export const oidcPlugin = fp(
  async (app: FastifyInstance) => {
    const settings = oidcSettings(app.config);
    if (!app.hasDecorator('parseCookie')) await app.register(cookie);

    if (!settings) {
      app.get(
        '/auth/me',
        {
          ...routeAccess('public'),
          schema: { tags: ['auth'], response: { 200: MeSchema, 401: MeUnauthorizedSchema } },
        },
        (req, reply) => {
          const p = req.principal;
          if (!p && app.auth.enabled) {
            return reply.code(401).send({
              error: 'UNAUTHORIZED',
              message: 'not signed in; this collector takes a bearer token (single sign-on is not configured)',
              sso: false,
              loginUrl: null,
            });
          }
          return {
            sso: false,
            authEnabled: app.auth.enabled,
            principal: p ? { ...p, name: p.subject } : null,
            csrfToken: null,
          };
        },
      );
      // A bookmark or a dashboard built for SSO: say why there is no sign-in here.
      app.get('/auth/login', { ...routeAccess('public'), schema: { tags: ['auth'], hide: true } }, () => {
        throw new CollectorError(
          'NOT_FOUND',
          'single sign-on is not configured on this collector (EVENTSCOPE_OIDC_ISSUER_URL and the other oidc* keys)',
        );
      });
      return;
    }
    // openid-client and the flow are loaded only where SSO is configured.
    const { registerSso } = await import('./sso.ts');
    registerSso(app, settings);
  },
  { name: 'oidc', dependencies: ['auth'] },
);
