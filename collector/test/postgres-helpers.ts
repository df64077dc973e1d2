/**
 * PostgreSQL for tests: the server of EVENTSCOPE_TEST_POSTGRES_URL (default: the one on
 * 127.0.0.1:5432, user postgres; devstack starts one there from Debian's packages when none
 * answers), a database of its own per test file, dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import { ensurePostgres } from '@eventscope/devstack';
import pg from 'pg';

/** The server's administrative URL (its `postgres` database). */
export const ADMIN_URL = process.env.EVENTSCOPE_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** `url` with its database replaced. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** A random lowercase identifier with `prefix`. */
export const randomName = (prefix: string): string => `${prefix}_${randomBytes(6).toString('hex')}`;

/** Creates a database of its own on the server of `adminUrl`; returns its URL and how to drop it. */
export async function createTestDatabase(
  adminUrl = ADMIN_URL,
): Promise<{ url: string; name: string; drop: () => Promise<void> }> {
  const name = randomName('eventscope_test');
  const server = await ensurePostgres(adminUrl);
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return {
    url: withDatabase(adminUrl, name),
    name,
    async drop() {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
      await server.stop(); // only a server this file started
    },
  };
}
