import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../src/index.ts';

/**
 * The collector's settings as its configuration reference lists them (collector/docs/configuration.md,
 * generated from collector/src/config.ts with a staleness test): environment variable -> the values
 * an enum accepts (undefined for other kinds). Deployment files are checked against it.
 */
export function collectorSettings(): Map<string, string[] | undefined> {
  const ref = readFileSync(path.join(repoRoot, 'collector', 'docs', 'configuration.md'), 'utf8');
  const keys = new Map<string, string[] | undefined>();
  for (const line of ref.split('\n')) {
    const m = /^\| `\w+` \| `([A-Z0-9_]+)` \| (\w+) \|.*?(?:One of: ([^|]*?)\.)? \|$/.exec(line);
    if (m?.[1] === undefined) continue;
    keys.set(m[1], m[2] === 'enum' ? (m[3] ?? '').split(',').map((v) => v.trim()) : undefined);
  }
  return keys;
}
