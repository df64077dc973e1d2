/**
 * Every documented npm command runs on Node >= 22, even where the system Node is older (the
 * benchmarks failed with ERR_UNKNOWN_FILE_EXTENSION ".ts" on Node 20): scripts/es links its
 * Node into node_modules/.bin, which npm puts first on PATH for scripts and npx in every
 * workspace. Run here with the user's PATH, i.e. without scripts/es's Node in front.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../src/paths.ts';

/**
 * PATH as the user's shell has it: without what scripts/es or npm put in front, i.e. without
 * this checkout's folders (its .eventscope/node and node_modules/.bin). A Node >= 22 of the
 * user's own (even another checkout's) stays: then scripts/es rightly links nothing.
 */
const userPath = (process.env.PATH ?? '')
  .split(path.delimiter)
  .filter((dir) => dir !== repoRoot && !dir.startsWith(repoRoot + path.sep))
  .join(path.delimiter);

function major(version: string): number {
  return Number(version.trim().replace(/^v/, '').split('.')[0]);
}

/** The first `name` on the user's PATH (the system npm, running on the system Node). */
function onUserPath(name: string): string {
  const found = userPath
    .split(path.delimiter)
    .map((dir) => path.join(dir, name))
    .find((file) => existsSync(file));
  if (!found) throw new Error(`no ${name} on ${userPath}`);
  return found;
}

function viaNpm(args: string[], cwd: string): string {
  return execFileSync(onUserPath('npm'), args, {
    cwd,
    env: { ...process.env, PATH: userPath, npm_config_update_notifier: 'false' },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

describe('Node for documented commands', () => {
  it('npm run <script> -w bench finds Node >= 22 first on its PATH', () => {
    // `npm run env` prints the environment every script of that workspace runs with.
    const env = viaNpm(['run', '-s', '-w', 'bench', 'env'], repoRoot);
    const scriptPath = /^PATH=(.*)$/m.exec(env)?.[1] ?? '';
    const node = scriptPath
      .split(path.delimiter)
      .map((dir) => path.join(dir, 'node'))
      .find((file) => existsSync(file));
    expect(node).toBeDefined();
    expect(major(execFileSync(node ?? 'node', ['-v'], { encoding: 'utf8' }))).toBeGreaterThanOrEqual(22);
  });
});
