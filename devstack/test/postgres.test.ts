import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../src/proc.ts';
import { ensurePostgres, pgCtl, postgresDataDir, probePostgres } from '../src/postgres.ts';

describe('ensurePostgres', () => {
  let dataDir: string | undefined;
  afterAll(async () => {
    if (dataDir && existsSync(path.join(dataDir, 'postmaster.pid')))
      await pgCtl(dataDir, 'stop').catch(() => undefined);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts a server from the Debian binaries when none answers, with the database of the URL', async () => {
    const port = await freePort();
    const url = `postgres://postgres@127.0.0.1:${port}/eventscope_devstack`;
    expect(await probePostgres(url)).toBe(false);
    const first = await ensurePostgres(url);
    dataDir = first.dataDir;
    expect(first).toMatchObject({ url, started: true, dataDir: postgresDataDir(port) });
    expect(existsSync(path.join(postgresDataDir(port), 'PG_VERSION'))).toBe(true);
    expect(await probePostgres(url)).toBe(true);
    // A second call uses the server that answers now (and finds the database there).
    const again = await ensurePostgres(url);
    expect(again.started).toBe(false);
    await again.stop(); // not its server: still answering
    expect(await probePostgres(url)).toBe(true);
    await first.stop();
    expect(await probePostgres(url)).toBe(false);
    // Restarted in the same data directory: initialised once.
    await pgCtl(postgresDataDir(port), 'start', port);
    expect(await probePostgres(url)).toBe(true);
    await pgCtl(postgresDataDir(port), 'stop');
  });
});
