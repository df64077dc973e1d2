/**
 * Every Node command that README.md, BENCHMARKS.md, the folders' READMEs and docs/ give works
 * where the system Node is older than 22: it goes through npm (a script that exists, or npx of
 * an installed tool; npm puts scripts/es's Node first on their PATH, node-version.test.ts) or
 * through `bash scripts/es`, which brings Node 24 itself. A bare `node ...` runs on the system's
 * Node and failed there with ERR_UNKNOWN_FILE_EXTENSION ".ts".
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../src/paths.ts';

interface DocCommand {
  /** `file:line` where the command is written. */
  where: string;
  command: string;
}

const SHELL_FENCES = new Set(['sh', 'bash', 'shell', 'console']);
/** Programs that run on whichever Node is first on PATH. */
const NODE_PROGRAMS = new Set(['node', 'npm', 'npx', 'tsx', 'vitest', 'bash']);

/** README.md, BENCHMARKS.md, every top-level folder's README.md and docs/**.md. */
function docFiles(): string[] {
  const files = ['README.md', 'BENCHMARKS.md'];
  for (const entry of readdirSync(repoRoot, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    if (existsSync(path.join(repoRoot, entry.name, 'README.md'))) files.push(`${entry.name}/README.md`);
  }
  const walk = (dir: string): void => {
    for (const name of readdirSync(path.join(repoRoot, dir))) {
      const rel = `${dir}/${name}`;
      if (statSync(path.join(repoRoot, rel)).isDirectory()) walk(rel);
      else if (name.endsWith('.md')) files.push(rel);
    }
  };
  walk('docs');
  return files;
}

/** The words of a command after its leading `NAME=value` assignments. */
function words(command: string): string[] {
  return command
    .trim()
    .split(/\s+/)
    .filter((w) => w !== '')
    .filter((w, i, all) => !all.slice(0, i + 1).every((x) => /^[A-Z_][A-Z0-9_]*=/.test(x)));
}

/** The commands of a shell line: `a && b; c` is three, a `# comment` is none. */
function shellCommands(line: string): string[] {
  const code = line.replace(/(^|\s)#.*$/, '');
  return code
    .split(/&&|;|\|\|/)
    .map((c) => c.trim())
    .filter((c) => c !== '');
}

/** Node commands in the shell fences (continuation lines joined) and inline code of one file. */
export function extractCommands(file: string, text: string): DocCommand[] {
  const found: DocCommand[] = [];
  const lines = text.split('\n');
  let fence: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const open = /^\s*```(\S*)/.exec(line);
    if (open) {
      fence = fence === undefined ? (open[1] ?? '') : undefined;
      continue;
    }
    const at = `${file}:${i + 1}`;
    if (fence !== undefined) {
      if (!SHELL_FENCES.has(fence)) continue;
      let joined = line;
      while (joined.endsWith('\\') && i + 1 < lines.length) joined = `${joined.slice(0, -1)} ${lines[++i] ?? ''}`;
      for (const command of shellCommands(joined)) found.push({ where: at, command });
      continue;
    }
    for (const m of line.matchAll(/`([^`]+)`/g)) {
      const span = m[1] ?? '';
      for (const command of shellCommands(span)) {
        if (NODE_PROGRAMS.has(words(command)[0] ?? '')) found.push({ where: at, command });
      }
    }
  }
  return found.filter((c) => NODE_PROGRAMS.has(words(c.command)[0] ?? ''));
}

/** Scripts per workspace, by folder and by package name ('' is the root). */
function scriptsByWorkspace(): Map<string, Set<string>> {
  const read = (dir: string): { name?: string; scripts?: Record<string, string>; workspaces?: string[] } =>
    JSON.parse(readFileSync(path.join(repoRoot, dir, 'package.json'), 'utf8')) as {
      name?: string;
      scripts?: Record<string, string>;
      workspaces?: string[];
    };
  const root = read('.');
  const map = new Map<string, Set<string>>([['', new Set(Object.keys(root.scripts ?? {}))]]);
  for (const ws of root.workspaces ?? []) {
    const pkg = read(ws);
    const scripts = new Set(Object.keys(pkg.scripts ?? {}));
    map.set(ws, scripts);
    if (pkg.name) map.set(pkg.name, scripts);
  }
  return map;
}

/** Why a command would run on the system's Node, or undefined when it goes through npm or scripts/es. */
export function problem(command: string, scripts: Map<string, Set<string>>): string | undefined {
  const [program, ...args] = words(command);
  if (program === 'bash') return args[0] === 'scripts/es' ? undefined : 'not a Node command';
  if (program !== 'npm' && program !== 'npx') return `\`${program}\` runs on the system's Node`;
  const positional: string[] = [];
  let workspace = '';
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    if (a === '--') break;
    if (a === '-w' || a === '--workspace') workspace = args[++i] ?? '';
    else if (a.startsWith('--workspace=')) workspace = a.slice('--workspace='.length);
    else if (!a.startsWith('-')) positional.push(a);
  }
  const placeholder = (word: string): boolean => word === '...' || word.startsWith('<');
  if (program === 'npx') {
    const bin = positional[0] ?? '';
    if (placeholder(bin)) return undefined;
    return existsSync(path.join(repoRoot, 'node_modules', '.bin', bin))
      ? undefined
      : `npx ${bin}: no such tool installed`;
  }
  const [sub = '', name = ''] = positional;
  const script = sub === 'start' || sub === 'test' ? sub : sub === 'run' || sub === 'run-script' ? name : undefined;
  if (script === undefined || placeholder(script)) return undefined; // npm ci, `npm run ...`
  const known = scripts.get(workspace);
  if (!known) return `no workspace ${workspace}`;
  return known.has(script) ? undefined : `no script "${script}" in ${workspace || 'the root'} package.json`;
}

describe('commands in the docs', () => {
  const scripts = scriptsByWorkspace();
  const commands = docFiles().flatMap((file) => extractCommands(file, readFileSync(path.join(repoRoot, file), 'utf8')));

  it('all go through npm scripts, npx or scripts/es, never a bare node', () => {
    // The quick start and the benchmark commands are among them: the extraction found the docs.
    expect(commands.map((c) => c.command)).toEqual(expect.arrayContaining(['npm start', 'npm run bench']));
    expect(commands.length).toBeGreaterThan(50);
    const bad = commands
      .map((c) => ({ ...c, why: problem(c.command, scripts) }))
      .filter((c) => c.why !== undefined && c.why !== 'not a Node command')
      .map((c) => `${c.where}: ${c.command} (${c.why})`);
    expect(bad).toEqual([]);
  });

  it('finds a bare node, a missing script and an unknown tool, in fences and inline', () => {
    const doc = [
      'Run `node demo-services/src/main.ts order` or:',
      '```sh',
      'cd bench && KAFKA_BROKERS=x:1 npm run bench:nope -w bench   # comment',
      'npx no-such-tool-here \\',
      '  --flag',
      'npm run load -w demo-services -- --count 5',
      '```',
    ].join('\n');
    const found = extractCommands('x.md', doc);
    expect(found.map((c) => [c.where, problem(c.command, scripts)])).toEqual([
      ['x.md:1', "`node` runs on the system's Node"],
      ['x.md:3', 'no script "bench:nope" in bench package.json'],
      ['x.md:4', 'npx no-such-tool-here: no such tool installed'],
      ['x.md:6', undefined],
    ]);
  });
});
