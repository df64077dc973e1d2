/**
 * Our Java test programs (java/<name>.java) compiled once with javac into the cache, keyed by the
 * source, the classpath and the JDK, and started with `java -cp`. Java's source launcher would
 * compile in memory at every start: a second or two of CPU each time, and on a loaded machine it
 * once crashed inside javac before our main ran (`IllegalArgumentException: 0 > -7`).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { atomicDir, cacheDir, type Jdk } from '@eventscope/devstack';

const exec = promisify(execFile);
const compiled = new Map<string, Promise<string>>();

/** The source of java/<name>.java. */
export const javaSource = (name: string): string =>
  path.join(path.dirname(fileURLToPath(import.meta.url)), 'java', `${name}.java`);

/** The folder holding <name>.class (and its inner classes), compiled against `classpath` by `jdk`'s javac. */
export function compileJava(jdk: Jdk, name: string, classpath: string): Promise<string> {
  const source = javaSource(name);
  const key = createHash('sha256')
    .update(readFileSync(source))
    .update(`\0${classpath}\0${jdk.java}`)
    .digest('hex')
    .slice(0, 16);
  let classes = compiled.get(key);
  if (classes === undefined) {
    const out = path.join(cacheDir, 'java-classes', `${name}-${key}`);
    const javac = path.join(path.dirname(jdk.java), 'javac');
    classes = atomicDir(out, async (scratch) => {
      await exec(existsSync(javac) ? javac : 'javac', ['--release', '17', '-cp', classpath, '-d', scratch, source], {
        timeout: 120_000,
      }).catch((err: unknown) => {
        const stderr = (err as { stderr?: string }).stderr ?? '';
        throw new Error(`javac could not compile ${source}: ${String(err)}\n${stderr}`);
      });
    }).then(() => out);
    compiled.set(key, classes);
    // A failed compile is tried again by the next caller, not remembered.
    classes.catch(() => compiled.delete(key));
  }
  return classes;
}
