import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DevstackError } from './errors.ts';
import { atomicDir, copyArtifact, findJava, jvmOptions, requireJava } from './java.ts';
import { log } from './log.ts';
import { cacheDir, logDir, runDir } from './paths.ts';
import { freePort, isPortOpen, livePid, run, startDaemon, tail, waitFor } from './proc.ts';

/**
 * Apicurio Registry 3.3.x needs Java 21+. On Java 17: 2.6.x, as Maven Central serves no
 * parent POM of 3.0.9 (io.apicurio:apicurio-registry:pom:3.0.9), the newest 3.0.x app there, so
 * Maven cannot resolve that app at all.
 */
export const DEFAULT_REGISTRY_VERSION = '3.3.3';
export const JAVA17_REGISTRY_VERSION = '2.6.13.Final';

export interface RegistryOptions {
  port: number;
  /** Pin a version; by default the newest that the installed Java can run. */
  version?: string;
  /**
   * Keep the registry's data in an H2 database file in this folder, so schema ids survive a
   * restart. Without it the registry starts empty every time (in-memory H2).
   */
  dataDir?: string;
  startTimeoutMs?: number;
}

export interface RegistryHandle {
  /** Base URL of the Confluent-compatible API, what schema-registry clients talk to. */
  url: string;
  /** Apicurio's own UI/API root. */
  root: string;
  owned: boolean;
  logFile: string;
  stop(): Promise<void>;
}

export function ccompatUrl(port: number): string {
  return `http://127.0.0.1:${port}/apis/ccompat/v7`;
}

/** True when a Confluent-compatible registry answers `GET /subjects` at the URL. */
export async function probeRegistry(url: string, timeoutMs = 2_000): Promise<boolean> {
  try {
    const res = await fetch(`${url}/subjects`, { signal: AbortSignal.timeout(timeoutMs) });
    return res.ok;
  } catch {
    return false;
  }
}

async function chooseVersion(opts: RegistryOptions): Promise<{ version: string; java: string }> {
  if (opts.version) {
    const needs = opts.version.startsWith('3.0.') || opts.version.startsWith('2.') ? 17 : 21;
    const jdk = await requireJava(needs, `Apicurio Registry ${opts.version}`);
    return { version: opts.version, java: jdk.java };
  }
  const modern = await findJava(21);
  if (modern) return { version: DEFAULT_REGISTRY_VERSION, java: modern.java };
  const jdk = await requireJava(17, 'Apicurio Registry');
  log(
    `no Java 21+ found; using Apicurio Registry ${JAVA17_REGISTRY_VERSION}, the newest line that runs on Java ${jdk.major}`,
  );
  return { version: JAVA17_REGISTRY_VERSION, java: jdk.java };
}

/** Downloads and unpacks `io.apicurio:apicurio-registry-app:<version>:tar.gz:all` (cached). */
export async function installRegistry(version: string): Promise<string> {
  const home = path.join(cacheDir, `apicurio-registry-${version}`);
  await atomicDir(home, async (scratch) => {
    log(`fetching Apicurio Registry ${version} from Maven Central (first run only)`);
    const download = path.join(scratch, 'download');
    mkdirSync(download);
    await copyArtifact(
      `io.apicurio:apicurio-registry-app:${version}:tar.gz:all`,
      download,
      path.join(logDir, `maven-apicurio-${version}.log`),
    );
    const archive = readdirSync(download).find((f) => f.endsWith('.tar.gz'));
    if (!archive) throw new DevstackError('RESOLVE_FAILED', `Maven returned no tar.gz for Apicurio ${version}`);
    const untar = await run('tar', ['-xzf', path.join(download, archive), '-C', scratch]);
    if (untar.code !== 0) {
      throw new DevstackError('INSTALL_FAILED', `unpacking ${archive} failed: ${untar.stderr.trim()}`);
    }
    rmSync(download, { recursive: true, force: true });
  });
  return home;
}

/**
 * Makes sure a schema registry with the Confluent-compatible API answers on 127.0.0.1:port,
 * reusing one that already does; otherwise starts Apicurio Registry (H2 storage, in memory or
 * in `dataDir`).
 */
export async function ensureRegistry(opts: RegistryOptions): Promise<RegistryHandle> {
  const url = ccompatUrl(opts.port);
  const root = `http://127.0.0.1:${opts.port}`;
  const pidFile = path.join(runDir, `apicurio-${opts.port}.pid`);
  const logFile = path.join(logDir, `apicurio-${opts.port}.log`);
  if (await isPortOpen(opts.port)) {
    if (!(await probeRegistry(url))) {
      throw new DevstackError(
        'PORT_TAKEN',
        `port ${opts.port} is taken by something that is not a schema registry (no ${url}/subjects); stop it or set ES_REGISTRY_PORT to a free port`,
      );
    }
    const started = livePid(pidFile);
    log(
      started
        ? `reusing the schema registry at ${url} started by another eventscope command (pid ${started})`
        : `reusing the schema registry already running at ${url}`,
    );
    return { url, root, owned: false, logFile, stop: () => Promise.resolve() };
  }
  const { version, java } = await chooseVersion(opts);
  const home = await installRegistry(version);
  mkdirSync(path.dirname(logFile), { recursive: true });
  if (opts.dataDir) mkdirSync(opts.dataDir, { recursive: true });
  writeFileSync(logFile, '');
  log(
    `starting Apicurio Registry ${version} on ${root} (${opts.dataDir ? `data: ${opts.dataDir}` : 'in memory'}; log: ${logFile})`,
  );
  // 2.x ships a runner jar and reads REGISTRY_* settings; 3.x has quarkus-run.jar and APICURIO_*.
  const v2 = version.startsWith('2.');
  const jar = v2 ? `apicurio-registry-app-${version}-runner.jar` : 'quarkus-run.jar';
  const h2File = opts.dataDir ? `jdbc:h2:file:${path.join(opts.dataDir, 'registry')}` : undefined;
  const daemon = startDaemon(`apicurio-${version}`, java, ['-Xms128m', '-Xmx512m', ...jvmOptions(), '-jar', jar], {
    cwd: home,
    logFile,
    pidFile,
    env: {
      ...process.env,
      QUARKUS_HTTP_HOST: '127.0.0.1',
      QUARKUS_HTTP_PORT: String(opts.port),
      // Quarkus's management interface (health, metrics) binds 0.0.0.0:9000 by default (a
      // build-time choice): keep it on loopback, on a free port, so two registries can run.
      QUARKUS_MANAGEMENT_HOST: '127.0.0.1',
      QUARKUS_MANAGEMENT_PORT: String(await freePort()),
      // SQL storage on H2 (the default kind of 2.6.x and 3.x): a file when the data must
      // outlive the process, else the app's default in-memory database.
      APICURIO_STORAGE_KIND: 'sql',
      APICURIO_STORAGE_SQL_KIND: 'h2',
      ...(h2File ? { [v2 ? 'REGISTRY_DATASOURCE_URL' : 'APICURIO_DATASOURCE_URL']: h2File } : {}),
      QUARKUS_LOG_CONSOLE_JSON: 'false',
    },
  });
  try {
    await waitFor(`Apicurio Registry ${root}`, async () => ((await probeRegistry(url, 1_000)) ? true : undefined), {
      timeoutMs: opts.startTimeoutMs ?? 120_000,
      intervalMs: 300,
      abort: () => daemon.exitStatus() && `the registry process ${daemon.exitStatus()}`,
    });
  } catch (err) {
    await daemon.stop(5_000);
    const message = err instanceof Error ? err.message : String(err);
    throw new DevstackError('START_FAILED', `${message}\nlast lines of ${logFile}:\n${tail(logFile, 30)}`, {
      cause: err,
      logFile,
    });
  }
  return { url, root, owned: true, logFile, stop: () => daemon.stop() };
}
