/**
 * Bearer tokens from the config: checked when the config is parsed, hashed once at start, and
 * compared in constant time (SHA-256 of both sides, then timingSafeEqual over equal lengths, so
 * neither a token's length nor its first differing byte shows in the time taken). Messages
 * never echo a token.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Role } from './types.ts';

/** What a token lets through: a role's routes, or only OTLP intake, or only GET /metrics. */
export type TokenKind = Role | 'ingest' | 'metrics';

export interface TokenEntry {
  name: string;
  kind: TokenKind;
  hash: Buffer;
}

const MIN_LENGTH = 16;
const NAME = /^[A-Za-z0-9_.@-]{1,64}$/;

/** What is wrong with a token value, or undefined. */
export function checkTokenValue(token: string): string | undefined {
  if (token.length < MIN_LENGTH) return `a token must be at least ${MIN_LENGTH} characters`;
  if (/[\s,]/.test(token)) return 'a token may not hold spaces or commas';
  return undefined;
}

/** Checks `name:role:token` entries; what is wrong (naming the entry by its name or position), or undefined. */
export function checkTokenEntries(entries: readonly string[]): string | undefined {
  const names = new Set<string>();
  for (const [i, entry] of entries.entries()) {
    const parts = splitEntry(entry);
    if (parts === undefined) return `entry ${i + 1} is not name:role:token`;
    const [name, role, token] = parts;
    if (!NAME.test(name)) return `entry ${i + 1}: the name may hold only letters, digits, _ . @ - (1 to 64)`;
    if (role !== 'viewer' && role !== 'operator') {
      return `entry ${i + 1} (${name}): role must be viewer or operator`;
    }
    const problem = checkTokenValue(token);
    if (problem !== undefined) return `entry ${i + 1} (${name}): ${problem}`;
    if (names.has(name)) return `entry ${i + 1}: the name ${name} is used twice`;
    names.add(name);
  }
  return undefined;
}

function splitEntry(entry: string): [string, string, string] | undefined {
  const a = entry.indexOf(':');
  const b = a < 0 ? -1 : entry.indexOf(':', a + 1);
  if (a <= 0 || b < 0) return undefined;
  return [entry.slice(0, a), entry.slice(a + 1, b), entry.slice(b + 1)];
}

const sha256 = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

export interface TokenConfig {
  apiToken: string | undefined;
  tokens: readonly string[];
  ingestToken: string | undefined;
  metricsToken: string | undefined;
}

/** The configured tokens, hashed. The config has validated the entries. */
export function tokenTable(config: TokenConfig): TokenEntry[] {
  const out: TokenEntry[] = [];
  for (const entry of config.tokens) {
    const parts = splitEntry(entry);
    if (parts === undefined) continue;
    out.push({ name: parts[0], kind: parts[1] as Role, hash: sha256(parts[2]) });
  }
  if (config.apiToken) out.push({ name: 'api-token', kind: 'operator', hash: sha256(config.apiToken) });
  if (config.ingestToken) out.push({ name: 'ingest-token', kind: 'ingest', hash: sha256(config.ingestToken) });
  if (config.metricsToken) out.push({ name: 'metrics-token', kind: 'metrics', hash: sha256(config.metricsToken) });
  return out;
}

/**
 * The entry whose token this is, or undefined. Compares against every entry (no early exit),
 * so the time taken does not say which entry, if any, matched.
 */
export function matchToken(table: readonly TokenEntry[], presented: string): TokenEntry | undefined {
  const hash = sha256(presented);
  let found: TokenEntry | undefined;
  for (const entry of table) {
    if (timingSafeEqual(hash, entry.hash) && found === undefined) found = entry;
  }
  return found;
}

/** The token of an `Authorization: Bearer <token>` header; undefined when there is no such header. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const m = /^\s*bearer\s+(.*?)\s*$/i.exec(header);
  return m ? (m[1] ?? '') : undefined;
}
