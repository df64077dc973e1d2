import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, renameSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DevstackError } from './errors.ts';
import { cacheDir, exists, mavenDir } from './paths.ts';
import { run } from './proc.ts';
import { log } from './log.ts';

export interface Jdk {
  /** The java executable. */
  java: string;
  /** Feature release, e.g. 17 or 25. */
  major: number;
}

async function javaMajor(java: string): Promise<number | undefined> {
  try {
    const res = await run(java, ['-XshowSettings:properties', '-version']);
    const match = /java\.specification\.version = (\d+)/.exec(res.stderr);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Finds a JDK whose feature release is at least `minMajor`: `preferredHome` first, then
 * JAVA_HOME, then `java` on PATH, then the JDKs installed under /usr/lib/jvm.
 */
export async function findJava(minMajor: number, preferredHome?: string): Promise<Jdk | undefined> {
  const candidates: string[] = [];
  if (preferredHome) candidates.push(path.join(preferredHome, 'bin', 'java'));
  if (process.env.JAVA_HOME) candidates.push(path.join(process.env.JAVA_HOME, 'bin', 'java'));
  candidates.push('java');
  try {
    for (const dir of readdirSync('/usr/lib/jvm').sort().reverse()) {
      candidates.push(path.join('/usr/lib/jvm', dir, 'bin', 'java'));
    }
  } catch {
    // no system JDK folder
  }
  for (const java of candidates) {
    if (java !== 'java' && !exists(java)) continue;
    const major = await javaMajor(java);
    if (major !== undefined && major >= minMajor) return { java, major };
  }
  return undefined;
}

/**
 * Extra options for every JVM devstack and the tests start (brokers, the registry, Kafka's tools,
 * our Java test apps), from ES_JVM_OPTS split on whitespace. `npm test` sets
 * -XX:TieredStopAtLevel=1 when the variable is unset: a broker then starts on half the CPU
 * (C1 alone, no C2 compilation of the broker's hot paths) and idles on two thirds of it, which
 * adds up over the ~20 JVMs a run starts on a 2-core machine.
 */
export function jvmOptions(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.ES_JVM_OPTS ?? '').split(/\s+/).filter((o) => o !== '');
}

export async function requireJava(minMajor: number, purpose: string): Promise<Jdk> {
  const jdk = await findJava(minMajor);
  if (!jdk) {
    throw new DevstackError(
      'TOOL_MISSING',
      `${purpose} needs Java ${minMajor} or newer, and none was found (JAVA_HOME, PATH, /usr/lib/jvm). Install a JDK (Debian: apt-get install openjdk-17-jre-headless) and try again.`,
    );
  }
  return jdk;
}

async function mvn(args: readonly string[], what: string, logFile: string): Promise<void> {
  let res;
  try {
    res = await run('mvn', ['-B', '-q', ...args]);
  } catch (err) {
    if (err instanceof DevstackError && err.code === 'TOOL_MISSING') {
      throw new DevstackError(
        'TOOL_MISSING',
        `Maven (mvn) is needed to fetch ${what} from Maven Central and is not installed (Debian: apt-get install maven)`,
        { cause: err },
      );
    }
    throw err;
  }
  mkdirSync(path.dirname(logFile), { recursive: true });
  writeFileSync(logFile, `${res.stdout}\n${res.stderr}`);
  if (res.code !== 0) {
    throw new DevstackError('RESOLVE_FAILED', `Maven could not resolve ${what} (exit ${res.code}); see ${logFile}`, {
      logFile,
    });
  }
}

/**
 * Fills `target` with the content `fill` writes into a scratch folder, then renames it into
 * place, so an interrupted download never leaves a half-filled target behind.
 */
export async function atomicDir(target: string, fill: (scratch: string) => Promise<void>): Promise<void> {
  if (exists(target)) return;
  // Per process and call: two workers (or threads of one process) may fill the same target at once.
  const scratch = `${target}.partial-${process.pid}-${randomBytes(4).toString('hex')}`;
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  try {
    await fill(scratch);
    try {
      renameSync(scratch, target);
    } catch (err) {
      // Another process filled the same target first: theirs is as good as ours.
      if (!exists(target)) throw err;
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Copies the Kafka broker, its tools and the logging backend into `libDir` (kafka-pom.xml). */
export async function resolveKafkaJars(version: string, libDir: string, logFile: string): Promise<void> {
  await atomicDir(libDir, async (scratch) => {
    log(`resolving Apache Kafka ${version} from Maven Central (first run only)`);
    await mvn(
      [
        '-f',
        path.join(mavenDir, 'kafka-pom.xml'),
        `-Dkafka.version=${version}`,
        'dependency:copy-dependencies',
        `-DoutputDirectory=${scratch}`,
        '-DincludeScope=runtime',
      ],
      `org.apache.kafka:kafka_2.13:${version}`,
      logFile,
    );
  });
}

/** Downloads one artifact (e.g. a tar.gz) into `dir` with maven-dependency-plugin's copy goal. */
export async function copyArtifact(coordinates: string, dir: string, logFile: string): Promise<void> {
  await mvn(
    [
      '-f',
      path.join(mavenDir, 'kafka-pom.xml'),
      'dependency:copy',
      `-Dartifact=${coordinates}`,
      `-DoutputDirectory=${dir}`,
    ],
    coordinates,
    logFile,
  );
}

const compiled = new Map<string, Promise<string>>();

/**
 * The folder of `source`'s classes (one .java file, its class named after the file), compiled by
 * `jdk`'s javac against `classpath` into the cache once per source, classpath and JDK; run them
 * with `java -cp <folder>:<classpath> <Name>`. The tests' Java programs ran in the source launcher
 * before, which compiles in memory at every start (1-2 s of CPU) and once crashed inside javac on
 * a loaded machine (`IllegalArgumentException: 0 > -7`) before the program's main ran.
 */
export function compileJava(jdk: Jdk, source: string, classpath: string): Promise<string> {
  const key = createHash('sha256')
    .update(readFileSync(source))
    .update(`\0${classpath}\0${jdk.java}`)
    .digest('hex')
    .slice(0, 16);
  let classes = compiled.get(key);
  if (classes === undefined) {
    const out = path.join(cacheDir, 'java-classes', `${path.basename(source, '.java')}-${key}`);
    const javac = path.join(path.dirname(jdk.java), 'javac');
    classes = atomicDir(out, async (scratch) => {
      const res = await run(exists(javac) ? javac : 'javac', [
        '--release',
        '17',
        '-cp',
        classpath,
        '-d',
        scratch,
        source,
      ]);
      if (res.code !== 0) {
        throw new DevstackError('START_FAILED', `javac could not compile ${source}: ${res.stderr.trim().slice(-1500)}`);
      }
    }).then(() => out);
    compiled.set(key, classes);
    // A failed compile is tried again by the next caller, not remembered.
    classes.catch(() => compiled.delete(key));
  }
  return classes;
}
