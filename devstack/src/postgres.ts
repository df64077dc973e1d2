/**
 * PostgreSQL for the collector's `store: postgres`: the server answering on the configured URL
 * when there is one, else one started from Debian's packages (`initdb` + `pg_ctl` of
 * /usr/lib/postgresql/<version>/bin, installed with apt-get when missing) with its data in
 * `.eventscope/postgres-<port>`, as a daemon of this run (stopped with the rest of what it
 * started). Run as root, the server runs as the `postgres` user (initdb refuses root); when
 * that user cannot enter `.eventscope` (a clone under root's home or another 0700 folder),
 * the data lives in a folder of its own under the postgres user's home, named after this
 * tree's `.eventscope`. The database the URL names is created when missing.
 */
import { createHash } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { DevstackError } from './errors.ts';
import { log } from './log.ts';
import { logDir, runDir, stateDir } from './paths.ts';
import { run, startDaemon, waitFor, type Daemon } from './proc.ts';
import { ensureTool } from './tools.ts';

export const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/eventscope';

export interface PostgresHandle {
  url: string;
  /** Whether this call started the server (else one was already answering). */
  started: boolean;
  /** The data directory of a server devstack runs (started now or earlier). */
  dataDir: string | undefined;
  /** Stops a server this call started; a server found running is left alone. */
  stop(): Promise<void>;
}

/** The bin directory of the newest PostgreSQL server package installed, if any. */
export function findPostgresBin(root = '/usr/lib/postgresql'): string | undefined {
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => /^\d+$/.test(v) && existsSync(path.join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : path.join(root, versions[0], 'bin');
}

/** The PostgreSQL server binaries, installing Debian's `postgresql` package when there are none. */
export async function ensurePostgresBin(): Promise<string> {
  const found = findPostgresBin();
  if (found) return found;
  // ensureTool finds no `initdb` on PATH (Debian keeps it in /usr/lib/postgresql/<v>/bin) and installs the package.
  await ensureTool({
    commands: ['pg_ctlcluster'],
    debianPackage: 'postgresql',
    purpose: 'PostgreSQL (the store of `store: postgres`)',
  }).catch((err: unknown) => {
    throw new DevstackError(
      'TOOL_MISSING',
      `PostgreSQL's server binaries (initdb, pg_ctl) are not installed and could not be installed: ${(err as Error).message}`,
      { cause: err },
    );
  });
  const bin = findPostgresBin();
  if (!bin) {
    throw new DevstackError(
      'TOOL_MISSING',
      'PostgreSQL\'s server binaries (initdb, pg_ctl) are missing under /usr/lib/postgresql/*/bin; install the Debian package "postgresql" (sudo apt-get install postgresql) and run again',
    );
  }
  return bin;
}

const asRoot = (): boolean => process.getuid?.() === 0;

/** Runs a PostgreSQL program, as the `postgres` user when this process is root. */
async function pgRun(
  bin: string,
  program: string,
  args: string[],
  password?: string,
): Promise<{ code: number; output: string }> {
  const cmd = path.join(bin, program);
  const env = password ? { ...process.env, PGPASSWORD: password } : process.env;
  const res = asRoot()
    ? await run('runuser', ['-u', 'postgres', '--', cmd, ...args], { env })
    : await run(cmd, args, { env });
  return { code: res.code, output: `${res.stdout}${res.stderr}`.trim() };
}

/** Whether a PostgreSQL server accepts connections at the URL's host and port (pg_isready). */
export async function probePostgres(url: string, bin = findPostgresBin()): Promise<boolean> {
  const u = new URL(url);
  const isready = bin ? path.join(bin, 'pg_isready') : 'pg_isready';
  const res = await run(isready, ['-q', '-h', u.hostname, '-p', u.port || '5432', '-t', '2']).catch(() => undefined);
  return res?.code === 0;
}

let home: Promise<string> | undefined;
/**
 * The folder that holds the servers' data directories: `.eventscope`, or, run as root where
 * the postgres user cannot enter it, `/var/lib/postgresql/eventscope/<hash of its path>`
 * (PostgreSQL needs its data directory, socket and pg_ctl's log reachable as that user). Only
 * where it is: `ensurePostgres` makes it when it initialises a server there.
 */
function postgresHome(): Promise<string> {
  home ??= (async () => {
    mkdirSync(stateDir, { recursive: true });
    if (!asRoot()) return stateDir;
    const enters = await run('runuser', ['-u', 'postgres', '--', 'test', '-x', stateDir]);
    if (enters.code === 0) return stateDir;
    return path.join(postgresUserHome, 'eventscope', createHash('sha256').update(stateDir).digest('hex').slice(0, 16));
  })();
  return home;
}

/** Makes a folder outside .eventscope that `postgresHome` named, and its parent, the postgres user's own. */
function makePostgresHome(own: string): void {
  if (own === stateDir) return;
  log(`the postgres user cannot enter ${stateDir}: PostgreSQL's data goes to ${own}`);
  for (const dir of [path.dirname(own), own]) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chownSync(dir, postgresUid(), postgresGid());
  }
}

/** The data directory devstack uses for a server on `port`. */
export const postgresDataDir = async (port: number): Promise<string> =>
  path.join(await postgresHome(), `postgres-${port}`);

/** `pg_ctl start` or `stop` of the server devstack runs in `dataDir` (the outage tests stop and start it). */
export async function pgCtl(dataDir: string, action: 'start' | 'stop', port?: number): Promise<void> {
  const bin = await ensurePostgresBin();
  // Next to the data directory when that is not under .eventscope (pg_ctl writes it as postgres).
  const pgHome = await postgresHome();
  const logFile = pgHome === stateDir ? path.join(logDir, `${path.basename(dataDir)}.log`) : `${dataDir}.log`;
  mkdirSync(logDir, { recursive: true });
  if (asRoot()) {
    // pg_ctl runs as postgres and appends to the log itself (the daemon's log is written through root's fd).
    if (!existsSync(logFile)) await run('touch', [logFile]);
    chownSync(logFile, postgresUid(), postgresGid());
  }
  const args =
    action === 'start'
      ? [
          'start',
          '-w',
          '-t',
          '60',
          '-D',
          dataDir,
          '-l',
          logFile,
          '-o',
          `-p ${port ?? 5432} -c listen_addresses=127.0.0.1 -k ${dataDir}`,
        ]
      : ['stop', '-w', '-t', '60', '-m', 'fast', '-D', dataDir];
  const res = await pgRun(bin, 'pg_ctl', args);
  if (res.code !== 0) {
    throw new DevstackError('START_FAILED', `pg_ctl ${action} of ${dataDir} failed: ${res.output}`, { logFile });
  }
}

/** The Debian package creates the postgres user; its home is owned by it. */
const postgresUserHome = '/var/lib/postgresql';
let ids: { uid: number; gid: number } | undefined;
function postgresIds(): { uid: number; gid: number } {
  if (!ids) {
    const st = statSync(postgresUserHome);
    ids = { uid: st.uid, gid: st.gid };
  }
  return ids;
}
const postgresUid = (): number => postgresIds().uid;
const postgresGid = (): number => postgresIds().gid;

/**
 * A PostgreSQL server answering at `url` (default DEFAULT_POSTGRES_URL), with the URL's
 * database: the one already there, or one devstack starts on the URL's port.
 */
export async function ensurePostgres(url = DEFAULT_POSTGRES_URL): Promise<PostgresHandle> {
  const u = new URL(url);
  const port = Number(u.port || '5432');
  const database = decodeURIComponent(u.pathname.slice(1)) || 'postgres';
  const user = decodeURIComponent(u.username) || 'postgres';
  let daemon: Daemon | undefined;
  let dataDir: string | undefined;
  if (!(await probePostgres(url))) {
    if (u.hostname !== '127.0.0.1' && u.hostname !== 'localhost') {
      throw new DevstackError(
        'START_FAILED',
        `no PostgreSQL answers at ${u.hostname}:${port}, and devstack only starts one locally`,
      );
    }
    const bin = await ensurePostgresBin();
    dataDir = await postgresDataDir(port);
    if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
      log(`initialising a PostgreSQL data directory in ${dataDir}`);
      makePostgresHome(path.dirname(dataDir));
      mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      if (asRoot()) chownSync(dataDir, postgresUid(), postgresGid());
      const init = await pgRun(bin, 'initdb', [
        '-D',
        dataDir,
        '-U',
        user,
        '--auth=trust',
        '-E',
        'UTF8',
        '--no-instructions',
      ]);
      if (init.code !== 0) throw new DevstackError('START_FAILED', `initdb ${dataDir} failed: ${init.output}`);
    }
    log(`starting PostgreSQL on 127.0.0.1:${port} (${dataDir})`);
    const server = path.join(bin, 'postgres');
    const serverArgs = ['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-k', dataDir];
    // A daemon of this run: stopped with everything else it started (Ctrl-C, a failed start).
    daemon = startDaemon(
      'postgres',
      asRoot() ? 'runuser' : server,
      asRoot() ? ['-u', 'postgres', '--', server, ...serverArgs] : serverArgs,
      { logFile: path.join(logDir, `postgres-${port}.log`), pidFile: path.join(runDir, `postgres-${port}.pid`) },
    );
    const running = daemon;
    await waitFor('PostgreSQL', async () => ((await probePostgres(url, bin)) ? true : undefined), {
      timeoutMs: 60_000,
      abort: () => running.exitStatus(),
    });
  }
  const bin = findPostgresBin();
  if (bin && database !== 'postgres') {
    const created = await pgRun(
      bin,
      'createdb',
      ['-h', u.hostname, '-p', String(port), '-U', user, database],
      decodeURIComponent(u.password),
    );
    if (created.code !== 0 && !/already exists/.test(created.output)) {
      throw new DevstackError('START_FAILED', `createdb ${database} failed: ${created.output}`);
    }
  }
  const ours = dataDir ?? (await postgresDataDir(port));
  return {
    url,
    started: daemon !== undefined,
    dataDir: existsSync(ours) ? ours : undefined,
    stop: async () => {
      await daemon?.stop();
    },
  };
}
