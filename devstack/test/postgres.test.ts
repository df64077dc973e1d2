import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
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
    const expected = await postgresDataDir(port);
    expect(first).toMatchObject({ url, started: true, dataDir: expected });
    expect(existsSync(path.join(expected, 'PG_VERSION'))).toBe(true);
    expect(await probePostgres(url)).toBe(true);
    // A second call uses the server that answers now (and finds the database there).
    const again = await ensurePostgres(url);
    expect(again.started).toBe(false);
    await again.stop(); // not its server: still answering
    expect(await probePostgres(url)).toBe(true);
    await first.stop();
    expect(await probePostgres(url)).toBe(false);
    // Restarted in the same data directory: initialised once.
    await pgCtl(expected, 'start', port);
    expect(await probePostgres(url)).toBe(true);
    await pgCtl(expected, 'stop');
  });

  // A clone under root's home (or any 0700 folder): run as root, the server runs as the
  // postgres user, which cannot enter the clone's .eventscope.
  it('starts and restarts a server for a tree in a folder only its owner may enter', async () => {
    const closed = mkdtempSync(path.join(tmpdir(), 'es-closed-')); // mode 0700
    const port = await freePort();
    const url = `postgres://postgres@127.0.0.1:${port}/eventscope_closed`;
    const script = `
      import { ensurePostgres, pgCtl, probePostgres } from ${JSON.stringify(path.resolve(import.meta.dirname, '../src/postgres.ts'))};
      const h = await ensurePostgres(${JSON.stringify(url)});
      await h.stop();
      const stopped = await probePostgres(${JSON.stringify(url)});
      await pgCtl(h.dataDir, 'start', ${port});
      const restarted = await probePostgres(${JSON.stringify(url)});
      await pgCtl(h.dataDir, 'stop');
      console.log(JSON.stringify({ started: h.started, dataDir: h.dataDir, stopped, restarted }));
      process.exit(0);
    `;
    let dataDir: string | undefined;
    try {
      const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
        env: { ...process.env, ES_STATE_DIR: path.join(closed, 'clone', '.eventscope') },
      });
      const out = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as Record<string, unknown>;
      dataDir = out.dataDir as string;
      expect(out).toMatchObject({ started: true, stopped: false, restarted: true });
      if (process.getuid?.() === 0) {
        // Not under the closed folder, and never shared between two trees.
        expect(dataDir).toMatch(/^\/var\/lib\/postgresql\/eventscope\/[0-9a-f]{16}\/postgres-\d+$/);
      } else {
        expect(dataDir).toBe(path.join(closed, 'clone', '.eventscope', `postgres-${port}`));
      }
      expect(existsSync(path.join(dataDir, 'PG_VERSION'))).toBe(true);
    } finally {
      if (dataDir) rmSync(path.dirname(dataDir), { recursive: true, force: true });
      rmSync(closed, { recursive: true, force: true });
    }
  });
});
