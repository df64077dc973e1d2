import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: where package.json with the workspaces lives. */
export const repoRoot: string =
  process.env.ES_ROOT ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Everything devstack downloads or writes lives under this ignored folder. */
export const stateDir: string = process.env.ES_STATE_DIR ?? path.join(repoRoot, '.eventscope');
export const cacheDir: string = path.join(stateDir, 'cache');
export const runDir: string = path.join(stateDir, 'run');
export const logDir: string = path.join(stateDir, 'logs');

export const mavenDir: string = path.join(repoRoot, 'devstack', 'maven');

export function exists(p: string): boolean {
  return existsSync(p);
}
