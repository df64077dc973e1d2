/** The PostgreSQL server the PostgreSQL figures run on (BENCH_POSTGRES_ADMIN_URL). */

/** The server's administrative URL: a database to connect to while creating and dropping the runs' own. */
export const adminUrlFromEnv = (): string =>
  process.env.BENCH_POSTGRES_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** The URL of database `db` on the admin URL's server. */
export function dbUrl(adminUrl: string, db: string): string {
  const u = new URL(adminUrl);
  u.pathname = `/${db}`;
  return u.toString();
}
