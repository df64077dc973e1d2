/**
 * The OpenID Connect flow of oidc.ts's plugin, loaded only when SSO is configured (openid-client
 * and its crypto stay out of a collector without it): the /auth/login, /auth/callback,
 * /auth/logout and /auth/me routes, the session resolver and the CSRF check.
 */
import { randomBytes } from 'node:crypto';
import type { CookieSerializeOptions } from '@fastify/cookie';
import { type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import * as client from 'openid-client';
import { Type } from 'typebox';
import { CollectorError } from '../errors.ts';
import { routeAccess } from './index.ts';
import { CSRF_HEADER, LogoutSchema, MeSchema, MeUnauthorizedSchema } from './schemas.ts';
import type { OidcSettings } from './oidc-config.ts';
import {
  claimValues,
  CookieSealer,
  isSession,
  MAX_COOKIE_VALUE,
  roleFrom,
  safeReturnTo,
  type LoginTransaction,
  type Session,
} from './oidc-session.ts';
import type { Principal } from './types.ts';

/** How long a started sign-in may take at the provider. */
const LOGIN_TTL_MS = 10 * 60_000;
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Signed-out session ids remembered until their expiry, at most this many (about 100 bytes each). */
const MAX_SIGNED_OUT = 100_000;

declare module 'fastify' {
  interface FastifyRequest {
    /** The SSO session behind `principal` when it came from the session cookie. */
    ssoSession?: Session;
  }
}

export interface CookieNames {
  session: string;
  csrf: string;
  login: string;
}

/** `__Host-` cookies (Secure, Path=/, no Domain) when the public URL is https. */
function cookieNames(secure: boolean): CookieNames {
  return secure
    ? { session: '__Host-eventscope_session', csrf: '__Host-eventscope_csrf', login: '__Secure-eventscope_oidc' }
    : { session: 'eventscope_session', csrf: 'eventscope_csrf', login: 'eventscope_oidc' };
}

const ErrorBody = Type.Object({
  error: Type.String(),
  message: Type.String(),
  retryable: Type.Optional(Type.Boolean()),
});

export function registerSso(appBase: FastifyInstance, settings: OidcSettings): void {
  const app = appBase.withTypeProvider<TypeBoxTypeProvider>();
  const sealer = new CookieSealer(settings.sessionSecret);
  const names = cookieNames(settings.secureCookies);
  const base: CookieSerializeOptions = { httpOnly: true, sameSite: 'lax', secure: settings.secureCookies, path: '/' };
  const insecureIssuer = settings.issuer.protocol === 'http:';
  if (insecureIssuer && !['127.0.0.1', 'localhost', '[::1]'].includes(settings.issuer.hostname)) {
    app.log.warn(
      { issuer: settings.issuer.href },
      'the OpenID issuer is plain http: tokens cross the network unencrypted',
    );
  }
  if (!settings.secureCookies) {
    app.log.warn(
      { publicUrl: settings.publicUrl },
      'publicUrl is http: session cookies are sent without Secure; use https outside a local machine',
    );
  }

  // Discovery on first use (and again after a failure), so a provider that is down when the
  // collector starts costs a sign-in, not the collector.
  let discovered: Promise<client.Configuration> | undefined;
  const oidc = (): Promise<client.Configuration> => {
    if (!discovered) {
      const p = client.discovery(
        settings.issuer,
        settings.clientId,
        settings.clientSecret,
        settings.clientSecret ? client.ClientSecretBasic(settings.clientSecret) : client.None(),
        { execute: insecureIssuer ? [client.allowInsecureRequests] : [], timeout: 10 },
      );
      discovered = p;
      p.catch((err: unknown) => {
        if (discovered === p) discovered = undefined;
        app.log.error({ err, issuer: settings.issuer.href }, 'OpenID Connect discovery failed');
      });
    }
    return discovered;
  };
  const provider = async (): Promise<client.Configuration> => {
    try {
      return await oidc();
    } catch (err) {
      throw new CollectorError(
        'SSO_UNAVAILABLE',
        `the OpenID provider at ${settings.issuer.href} did not give its discovery document (${describeError(err)}); try again shortly`,
        { cause: err },
      );
    }
  };

  // Sessions signed out here, until their expiry: a copy of the cookie (another tab, a stolen
  // one) is refused after sign-out. Per process and not persisted; see the README.
  const signedOut = new Map<string, number>();
  const revoke = (session: Session): void => {
    const now = Date.now();
    if (signedOut.size >= MAX_SIGNED_OUT) {
      for (const [sid, exp] of signedOut) if (exp <= now) signedOut.delete(sid);
      // Still full: forget the oldest entries (Map keeps insertion order).
      for (const sid of signedOut.keys()) {
        if (signedOut.size < MAX_SIGNED_OUT) break;
        signedOut.delete(sid);
      }
    }
    signedOut.set(session.sid, session.exp);
  };

  const readSession = (req: FastifyRequest): Session | undefined => {
    const cookies = app.parseCookie(req.headers.cookie ?? '');
    const value = sealer.open<Session>('session', cookies[names.session]);
    return isSession(value) && !signedOut.has(value.sid) ? value : undefined;
  };

  app.auth.addResolver((req): Principal | null => {
    const session = readSession(req);
    if (!session) return null;
    if (!SAFE_METHODS.has(req.method)) {
      const given = req.headers[CSRF_HEADER];
      if (!sealer.csrfMatches(session.sid, typeof given === 'string' ? given : undefined)) {
        throw new CollectorError(
          'FORBIDDEN',
          `a state change with a session cookie needs the ${CSRF_HEADER} header (the ${names.csrf} cookie's value); reload the dashboard`,
        );
      }
    }
    req.ssoSession = session;
    return { subject: session.sub, role: session.role, via: 'session' };
  });

  const clearSession = (reply: FastifyReply): void => {
    void reply.clearCookie(names.session, base);
    void reply.clearCookie(names.csrf, { ...base, httpOnly: false });
  };

  app.get(
    '/auth/me',
    { ...routeAccess('public'), schema: { tags: ['auth'], response: { 200: MeSchema, 401: MeUnauthorizedSchema } } },
    (req, reply) => {
      // It carries the CSRF token: never kept by a shared cache.
      void reply.header('cache-control', 'no-store');
      const p = req.principal;
      if (!p) {
        void reply.code(401);
        return {
          error: 'UNAUTHORIZED',
          message: 'not signed in; sign in at /auth/login',
          sso: true,
          loginUrl: '/auth/login',
        };
      }
      const s = p.via === 'session' ? req.ssoSession : undefined;
      return {
        sso: true,
        authEnabled: true,
        principal: { ...p, name: s?.name ?? p.subject },
        csrfToken: s ? sealer.csrfToken(s.sid) : null,
      };
    },
  );

  app.get(
    '/auth/login',
    {
      ...routeAccess('public'),
      schema: {
        tags: ['auth'],
        querystring: Type.Object({ returnTo: Type.Optional(Type.String({ maxLength: 2000 })) }),
        response: { 503: ErrorBody },
      },
    },
    async (req, reply) => {
      const config = await provider();
      const tx: LoginTransaction = {
        state: client.randomState(),
        nonce: client.randomNonce(),
        verifier: client.randomPKCECodeVerifier(),
        returnTo: safeReturnTo(req.query.returnTo),
        exp: Date.now() + LOGIN_TTL_MS,
      };
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: settings.redirectUri,
        scope: settings.scopes.join(' '),
        state: tx.state,
        nonce: tx.nonce,
        code_challenge: await client.calculatePKCECodeChallenge(tx.verifier),
        code_challenge_method: 'S256',
      });
      void reply.setCookie(names.login, sealer.seal('login', tx), {
        ...base,
        path: '/auth/callback',
        maxAge: LOGIN_TTL_MS / 1000,
      });
      return reply.header('cache-control', 'no-store').redirect(url.href, 303);
    },
  );

  app.get(
    '/auth/callback',
    {
      ...routeAccess('public'),
      schema: { tags: ['auth'], response: { 400: ErrorBody, 403: ErrorBody, 503: ErrorBody } },
    },
    async (req, reply) => {
      const tx = sealer.open<LoginTransaction>('login', req.cookies[names.login]);
      // One use only, whatever happens next.
      void reply.clearCookie(names.login, { ...base, path: '/auth/callback' });
      void reply.header('cache-control', 'no-store');
      if (!tx) {
        throw new CollectorError(
          'BAD_REQUEST',
          'this sign-in expired or was started in another browser (no sign-in cookie); start again at /auth/login',
        );
      }
      const config = await provider();
      const currentUrl = new URL(req.url, settings.publicUrl);
      let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
      try {
        tokens = await client.authorizationCodeGrant(config, currentUrl, {
          pkceCodeVerifier: tx.verifier,
          expectedState: tx.state,
          expectedNonce: tx.nonce,
          idTokenExpected: true,
        });
      } catch (err) {
        await app.auth.recordAudit(req, {
          action: 'auth.login',
          target: settings.issuer.href,
          result: 'failed',
          detail: describeError(err).slice(0, 200),
        });
        if (err instanceof client.AuthorizationResponseError) {
          throw new CollectorError(
            err.error === 'access_denied' ? 'FORBIDDEN' : 'BAD_REQUEST',
            `the OpenID provider refused the sign-in: ${err.error}${err.error_description ? ` (${err.error_description})` : ''}`,
          );
        }
        const message = describeError(err);
        // Network failures towards the provider may pass; a bad response (state, nonce, code) will not.
        if (isNetworkError(err)) {
          throw new CollectorError('SSO_UNAVAILABLE', `the OpenID provider did not answer: ${message}`, { cause: err });
        }
        throw new CollectorError('BAD_REQUEST', `sign-in response refused: ${message}; start again at /auth/login`, {
          cause: err,
        });
      }
      const idClaims = tokens.claims();
      if (!idClaims) throw new CollectorError('BAD_REQUEST', 'the OpenID provider returned no ID token');
      let claims: Record<string, unknown> = { ...idClaims };
      // Providers that follow OIDC Core 5.4 strictly release scope claims only at UserInfo.
      if (!Object.hasOwn(claims, settings.roleClaim.split('.')[0] ?? '') && config.serverMetadata().userinfo_endpoint) {
        try {
          // The ID token's claims win; UserInfo adds what it lacks (its `sub` is checked to match).
          claims = { ...(await client.fetchUserInfo(config, tokens.access_token, idClaims.sub)), ...idClaims };
        } catch (err) {
          throw new CollectorError('SSO_UNAVAILABLE', `reading UserInfo failed: ${describeError(err)}`, {
            cause: err,
          });
        }
      }
      const name = firstString(claims, ['name', 'preferred_username', 'email']) ?? idClaims.sub;
      const values = claimValues(claims, settings.roleClaim);
      const role = roleFrom(values, settings.operatorValues, settings.viewerValues);
      if (!role) {
        await app.auth.recordAudit(req, {
          action: 'auth.login',
          target: idClaims.sub,
          result: 'forbidden',
          detail: `no role: ${settings.roleClaim}=${JSON.stringify(values).slice(0, 150)}`,
        });
        throw new CollectorError(
          'FORBIDDEN',
          `signed in at the provider as ${name}, but the ${settings.roleClaim} claim holds none of ` +
            `${[...settings.operatorValues, ...settings.viewerValues].join(', ')}; ask an administrator for the ` +
            'eventscope viewer or operator role',
        );
      }
      const session: Session = {
        sid: randomBytes(16).toString('base64url'),
        sub: idClaims.sub,
        name: name.slice(0, 200),
        role,
        exp: Date.now() + settings.sessionLifetimeMs,
        idToken: tokens.id_token,
      };
      let sealed = sealer.seal('session', session);
      if (sealed.length > MAX_COOKIE_VALUE) {
        // A large ID token (many groups) does not fit in a cookie: log out by client_id instead.
        delete session.idToken;
        sealed = sealer.seal('session', session);
      }
      const maxAge = Math.floor(settings.sessionLifetimeMs / 1000);
      void reply.setCookie(names.session, sealed, { ...base, maxAge });
      void reply.setCookie(names.csrf, sealer.csrfToken(session.sid), { ...base, httpOnly: false, maxAge });
      await app.auth.recordAudit(req, {
        action: 'auth.login',
        target: session.sub,
        result: 'ok',
        detail: `name=${session.name} role=${role}`,
      });
      return reply.redirect(tx.returnTo, 303);
    },
  );

  app.post(
    '/auth/logout',
    { ...routeAccess('public'), schema: { tags: ['auth'], response: { 200: LogoutSchema } } },
    async (req, reply) => {
      // The resolver has checked the CSRF token when a session came with this request.
      const session = req.ssoSession;
      clearSession(reply);
      if (session) revoke(session);
      void reply.header('cache-control', 'no-store');
      let redirectTo = '/';
      if (session) {
        await app.auth.recordAudit(req, { action: 'auth.logout', target: session.sub, result: 'ok' });
        const config = await oidc().catch(() => undefined);
        if (config?.serverMetadata().end_session_endpoint) {
          const params: Record<string, string> = {
            post_logout_redirect_uri: `${settings.publicUrl}/`,
            client_id: settings.clientId,
          };
          if (session.idToken) params.id_token_hint = session.idToken;
          redirectTo = client.buildEndSessionUrl(config, params).href;
        }
      }
      return { redirectTo };
    },
  );
}

function firstString(claims: Record<string, unknown>, keys: readonly string[]): string | undefined {
  for (const k of keys) {
    const v = Object.hasOwn(claims, k) ? claims[k] : undefined;
    if (typeof v === 'string' && v !== '') return v;
  }
  return undefined;
}

/** An error's message with its causes' ("invalid response encountered: unexpected "state" ..."). */
function describeError(err: unknown): string {
  const parts: string[] = [];
  for (let e = err, depth = 0; e instanceof Error && depth < 3; e = e.cause, depth++) {
    if (!parts.includes(e.message)) parts.push(e.message);
  }
  return parts.join(': ') || String(err);
}

/** A failure to reach the provider (refused, reset, timed out), as opposed to a response it refused. */
function isNetworkError(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    if (e instanceof TypeError && e.message === 'fetch failed') return true;
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return true;
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && /^(ECONN|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|UND_ERR)/.test(code)) return true;
  }
  return false;
}
