/**
 * The single sign-on settings as one value, checked across keys at startup: either no OIDC
 * key is set (SSO off) or every key SSO needs is, so a half-configured SSO never starts.
 */
import type { Config } from '../config.ts';
import { CollectorError } from '../errors.ts';

export interface OidcSettings {
  issuer: URL;
  clientId: string;
  clientSecret: string | undefined;
  /** Base URL without a trailing slash, e.g. https://eventscope.example.com */
  publicUrl: string;
  redirectUri: string;
  scopes: readonly string[];
  roleClaim: string;
  operatorValues: ReadonlySet<string>;
  viewerValues: ReadonlySet<string>;
  sessionSecret: string;
  sessionLifetimeMs: number;
  /** Cookies get `Secure` (and the `__Host-` prefix) when the public URL is https. */
  secureCookies: boolean;
}

/** Keys that only mean something with SSO; setting any of them without the rest is refused. */
const SSO_ONLY_KEYS = ['oidcIssuerUrl', 'oidcClientId', 'oidcClientSecret'] as const;
/** What SSO needs, with the environment variable to name in the error. */
const REQUIRED = [
  ['oidcIssuerUrl', 'EVENTSCOPE_OIDC_ISSUER_URL'],
  ['oidcClientId', 'EVENTSCOPE_OIDC_CLIENT_ID'],
  ['publicUrl', 'EVENTSCOPE_PUBLIC_URL'],
  ['sessionSecret', 'EVENTSCOPE_SESSION_SECRET'],
] as const;

/** Throws CONFIG_INVALID naming the missing keys when OIDC is partly configured. */
export function checkOidcConfig(config: Config): void {
  const set = SSO_ONLY_KEYS.filter((k) => config[k] !== undefined);
  if (set.length === 0) return;
  const missing = REQUIRED.filter(([k]) => config[k] === undefined);
  if (missing.length > 0) {
    throw new CollectorError(
      'CONFIG_INVALID',
      `single sign-on is partly configured (${set.join(', ')} set) but ${missing
        .map(([k, env]) => `${k} (${env})`)
        .join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing` +
        (missing.some(([k]) => k === 'sessionSecret')
          ? '; make a session secret with `openssl rand -base64 48` and give every collector behind this URL the same one'
          : ''),
    );
  }
  let issuer: URL;
  try {
    issuer = new URL(config.oidcIssuerUrl as string);
  } catch {
    throw new CollectorError(
      'CONFIG_INVALID',
      `config oidcIssuerUrl (EVENTSCOPE_OIDC_ISSUER_URL): not a URL: ${JSON.stringify(config.oidcIssuerUrl)}`,
    );
  }
  if (issuer.protocol !== 'https:' && issuer.protocol !== 'http:') {
    throw new CollectorError(
      'CONFIG_INVALID',
      'config oidcIssuerUrl (EVENTSCOPE_OIDC_ISSUER_URL): expected an http(s) URL',
    );
  }
}

/** The SSO settings, or undefined when SSO is off. Call after loadConfig (which ran checkOidcConfig). */
export function oidcSettings(config: Config): OidcSettings | undefined {
  if (config.oidcIssuerUrl === undefined) return undefined;
  checkOidcConfig(config);
  const publicUrl = (config.publicUrl as string).replace(/\/$/, '');
  return {
    issuer: new URL(config.oidcIssuerUrl),
    clientId: config.oidcClientId as string,
    clientSecret: config.oidcClientSecret,
    publicUrl,
    redirectUri: `${publicUrl}/auth/callback`,
    scopes: config.oidcScopes,
    roleClaim: config.oidcRoleClaim,
    operatorValues: new Set(config.oidcOperatorValues),
    viewerValues: new Set(config.oidcViewerValues),
    sessionSecret: config.sessionSecret as string,
    sessionLifetimeMs: config.sessionLifetimeSeconds * 1000,
    secureCookies: publicUrl.startsWith('https://'),
  };
}
