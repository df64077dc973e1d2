/**
 * Sealed cookies for single sign-on: the session (subject, name, role, expiry) and the short
 * sign-in transaction (state, nonce, PKCE verifier). Sealed = AES-256-GCM with a key derived
 * from the session secret per purpose (HKDF), so a cookie can be neither read nor changed by
 * the browser, and a sign-in cookie cannot be replayed as a session. Expiry is inside the
 * sealed value and checked here, whatever the browser does with Max-Age.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Role } from './types.ts';

export type Purpose = 'session' | 'login';

export interface Session {
  /** Random id of this sign-in; the CSRF token is derived from it. */
  sid: string;
  /** OpenID Connect `sub`. */
  sub: string;
  /** Shown in the dashboard: `name`, `preferred_username`, `email` or the subject. */
  name: string;
  role: Role;
  /** Expiry, ms since the epoch. */
  exp: number;
  /** The ID token, kept for RP-initiated logout (`id_token_hint`) when it fits in the cookie. */
  idToken?: string;
}

export interface LoginTransaction {
  state: string;
  nonce: string;
  verifier: string;
  /** Dashboard path to come back to (validated relative path). */
  returnTo: string;
  exp: number;
}

/** Browsers keep cookies up to 4096 bytes (name, value and attributes). */
export const MAX_COOKIE_VALUE = 3800;

export class CookieSealer {
  readonly #keys: Map<Purpose, Buffer>;
  readonly #csrfKey: Buffer;

  constructor(secret: string) {
    const derive = (info: string): Buffer => Buffer.from(hkdfSync('sha256', secret, 'eventscope-sso', info, 32));
    this.#keys = new Map<Purpose, Buffer>([
      ['session', derive('session cookie v1')],
      ['login', derive('login cookie v1')],
    ]);
    this.#csrfKey = derive('csrf token v1');
  }

  seal(purpose: Purpose, value: object): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key(purpose), iv);
    cipher.setAAD(Buffer.from(purpose));
    const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
  }

  /** The sealed value, or undefined when it is missing, changed, sealed for another purpose or expired. */
  open<T extends { exp: number }>(purpose: Purpose, sealed: string | undefined, now = Date.now()): T | undefined {
    if (!sealed || sealed.length > MAX_COOKIE_VALUE * 2 || !/^[A-Za-z0-9_-]+$/.test(sealed)) return undefined;
    const raw = Buffer.from(sealed, 'base64url');
    if (raw.length < 12 + 16 + 2) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key(purpose), raw.subarray(0, 12));
      decipher.setAAD(Buffer.from(purpose));
      decipher.setAuthTag(raw.subarray(12, 28));
      const text = Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
      const value = JSON.parse(text) as T;
      if (typeof value !== 'object' || value === null || typeof value.exp !== 'number' || value.exp <= now) {
        return undefined;
      }
      return value;
    } catch {
      return undefined;
    }
  }

  /** The CSRF token of a session: derived from its id, so the server stores nothing. */
  csrfToken(sid: string): string {
    return createHmac('sha256', this.#csrfKey).update(sid).digest('base64url');
  }

  csrfMatches(sid: string, given: string | undefined): boolean {
    if (!given) return false;
    const expected = Buffer.from(this.csrfToken(sid));
    const got = Buffer.from(given);
    return got.length === expected.length && timingSafeEqual(got, expected);
  }

  #key(purpose: Purpose): Buffer {
    const key = this.#keys.get(purpose);
    if (!key) throw new Error(`no key for ${purpose}`);
    return key;
  }
}

/** A session as the resolver accepts it: every field of the right type. */
export function isSession(value: unknown): value is Session {
  const s = value as Partial<Session> | undefined;
  return (
    typeof s === 'object' &&
    s !== null &&
    typeof s.sid === 'string' &&
    typeof s.sub === 'string' &&
    typeof s.name === 'string' &&
    (s.role === 'viewer' || s.role === 'operator') &&
    typeof s.exp === 'number'
  );
}

/**
 * The values of a claim at a dotted path (`roles`, `groups`, `realm_access.roles`) as strings:
 * a string claim is one value, a list keeps its strings. Walks own properties of plain objects
 * only, so a path like `constructor.name` finds nothing.
 */
export function claimValues(claims: Readonly<Record<string, unknown>>, path: string): string[] {
  let cur: unknown = claims;
  for (const part of path.split('.')) {
    if (typeof cur !== 'object' || cur === null || Array.isArray(cur) || !Object.hasOwn(cur, part)) return [];
    cur = (cur as Record<string, unknown>)[part];
  }
  if (typeof cur === 'string') return [cur];
  if (Array.isArray(cur)) return cur.filter((v): v is string => typeof v === 'string');
  return [];
}

/** operator when any value is an operator value, else viewer when any is a viewer value, else none. */
export function roleFrom(
  values: readonly string[],
  operatorValues: ReadonlySet<string>,
  viewerValues: ReadonlySet<string>,
): Role | undefined {
  if (values.some((v) => operatorValues.has(v))) return 'operator';
  if (values.some((v) => viewerValues.has(v))) return 'viewer';
  return undefined;
}

/**
 * A dashboard path to return to after sign-in: same-origin relative paths only (`/x`, not
 * `//host`, `/\host` or a URL), so the callback cannot be made to redirect elsewhere.
 */
export function safeReturnTo(value: unknown): string {
  if (typeof value !== 'string' || value.length > 2000) return '/';
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return '/';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) return '/';
  if (value.startsWith('/auth/')) return '/';
  return value;
}
