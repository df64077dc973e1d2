/**
 * A real OpenID provider for the SSO tests: the certified `oidc-provider` package on a random
 * loopback port, with one confidential client (authorization code + PKCE, RP-initiated logout)
 * and accounts whose `roles` claim carries the eventscope roles. Its built-in development
 * interactions give a real login form (any password is accepted; the login name is the
 * account id). Consent is granted up front for the client so a sign-in is one form, as with a
 * first-party client at Keycloak or Entra ID.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type OidcContext } from 'oidc-provider';

/** Accounts by login name: their display name and the values of their `roles` claim. */
export const ACCOUNTS = new Map<string, { name: string; roles: string[] }>([
  ['alice', { name: 'Alice Operator', roles: ['eventscope-operator', 'staff'] }],
  ['bob', { name: 'Bob Viewer', roles: ['eventscope-viewer'] }],
  ['carol', { name: 'Carol Nobody', roles: ['staff'] }],
]);

export interface TestProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Sets the client's registered redirect and post-logout URIs (the collector's port is known later). */
  registerRedirects(publicUrl: string): void;
  close(): Promise<void>;
}

/** Starts the provider on `port` (0: a free one). */
export async function startTestProvider(port = 0): Promise<TestProvider> {
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const server: Server = createServer((req, res) => {
    if (handler) handler(req, res);
    else res.writeHead(503).end();
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clientId = 'eventscope-dashboard';
  const clientSecret = randomBytes(24).toString('base64url');
  // The client's URIs are read when a request comes; registerRedirects fills them in.
  const client = {
    client_id: clientId,
    client_secret: clientSecret,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    redirect_uris: [] as string[],
    post_logout_redirect_uris: [] as string[],
    token_endpoint_auth_method: 'client_secret_basic',
  };
  let provider: Provider | undefined;
  const build = (): Provider => {
    const p = new Provider(issuer, {
      clients: [client],
      // Fresh keys and cookie keys per run; nothing from a test survives it.
      cookies: { keys: [randomBytes(32).toString('base64url')] },
      claims: { openid: ['sub'], profile: ['name', 'preferred_username'], roles: ['roles'] },
      scopes: ['openid', 'profile', 'roles'],
      features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
      pkce: { required: () => true },
      findAccount: (_ctx: unknown, sub: string) => {
        const account = ACCOUNTS.get(sub);
        // Unknown logins are accounts too (as in the dev interactions), with no roles.
        return {
          accountId: sub,
          claims: () => ({
            sub,
            name: account?.name ?? sub,
            preferred_username: sub,
            roles: account?.roles ?? [],
          }),
        };
      },
      // First-party client: the grant (every scope and claim asked for) is given without a consent screen.
      loadExistingGrant: async (ctx: OidcContext) => {
        const { client: c, session } = ctx.oidc;
        if (!c || !session?.accountId) return undefined;
        const existing = ctx.oidc.result?.consent?.grantId ?? session.grantIdFor(c.clientId);
        if (existing) {
          const found = await ctx.oidc.provider.Grant.find(existing);
          if (found) return found;
        }
        const grant = new ctx.oidc.provider.Grant({ clientId: c.clientId, accountId: session.accountId });
        for (const scope of ['openid', 'profile', 'roles']) grant.addOIDCScope(scope);
        grant.addOIDCClaims(['sub', 'name', 'preferred_username', 'roles']);
        await grant.save();
        return grant;
      },
    });
    return p;
  };

  return {
    issuer,
    clientId,
    clientSecret,
    registerRedirects(publicUrl: string) {
      const base = publicUrl.replace(/\/$/, '');
      client.redirect_uris = [`${base}/auth/callback`];
      client.post_logout_redirect_uris = [`${base}/`];
      // Static clients are read when the provider is built: build it now, with the URIs known.
      provider = build();
      handler = provider.callback();
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}
