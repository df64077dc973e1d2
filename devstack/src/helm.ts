/**
 * Renders the Helm chart (deploy/helm/eventscope) for its checks. Neither Debian nor npm ships
 * `helm`, and building Helm from source needs a newer Go and Go modules from outside the package
 * registries these machines reach; so the checks render with devstack/helm-render: Go's
 * text/template with the sprig functions, the engine and library Helm itself uses, built once
 * from Debian's packages (golang-go, sprig, ghodss/yaml) and cached under .eventscope/tools.
 * deploy/README.md says what it does and does not do compared with `helm template`.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { DevstackError } from './errors.ts';
import { atomicDir } from './java.ts';
import { log } from './log.ts';
import { repoRoot, stateDir } from './paths.ts';
import { run, type RunResult } from './proc.ts';
import { ensureTool, type DebianTool } from './tools.ts';

const GOCODE = '/usr/share/gocode/src';

export const GO: DebianTool = {
  commands: ['go'],
  debianPackage: 'golang-go',
  purpose: 'Go (builds helm-render, which renders the Helm chart for its checks)',
};
export const GO_SPRIG: DebianTool = {
  commands: [],
  files: [path.join(GOCODE, 'github.com/Masterminds/sprig/functions.go')],
  debianPackage: 'golang-github-masterminds-sprig-dev',
  purpose: "sprig, Helm's template functions (for helm-render)",
};
export const GO_YAML: DebianTool = {
  commands: [],
  files: [path.join(GOCODE, 'github.com/ghodss/yaml/yaml.go')],
  debianPackage: 'golang-github-ghodss-yaml-dev',
  purpose: "ghodss/yaml, the YAML<->JSON bridge Helm's toYaml builds on (for helm-render)",
};

const SOURCE_DIR = path.join(repoRoot, 'devstack', 'helm-render');

/** Module paths whose major-version suffix GOPATH mode does not know, mapped to Debian's folders. */
const V3_PATHS = ['github.com/Masterminds/sprig', 'github.com/Masterminds/semver'];

/** Path of the helm-render binary, building it on first use (about 20 s) and when its source changes. */
export async function ensureHelmRender(): Promise<string> {
  const go = await ensureTool(GO);
  await ensureTool(GO_SPRIG);
  await ensureTool(GO_YAML);
  const version = (await run(go, ['version'])).stdout.trim();
  const hash = createHash('sha256')
    .update(version)
    .update(readFileSync(path.join(SOURCE_DIR, 'main.go')))
    .digest('hex')
    .slice(0, 16);
  const dir = path.join(stateDir, 'tools', `helm-render-${hash}`);
  await atomicDir(dir, async (scratch) => {
    log(`building helm-render with ${version} (first run only)`);
    const gopath = path.join(scratch, 'gopath');
    for (const p of V3_PATHS) {
      mkdirSync(path.join(gopath, 'src', p), { recursive: true });
      symlinkSync(path.join(GOCODE, p), path.join(gopath, 'src', p, 'v3'));
    }
    const res = await run(go, ['build', '-o', path.join(scratch, 'helm-render'), '.'], {
      cwd: SOURCE_DIR,
      env: {
        ...process.env,
        GO111MODULE: 'off',
        GOPATH: `${gopath}:/usr/share/gocode`,
        GOCACHE: path.join(stateDir, 'cache', 'go-build'),
        GOFLAGS: '',
        GOTOOLCHAIN: 'local',
      },
    });
    if (res.code !== 0) {
      throw new DevstackError('INSTALL_FAILED', `building helm-render failed (exit ${res.code}):\n${res.stderr}`);
    }
  });
  // Builds of earlier sources are of no further use.
  for (const old of readdirSync(path.dirname(dir))) {
    if (/^helm-render-[0-9a-f]{16}$/.test(old) && old !== path.basename(dir)) {
      rmSync(path.join(path.dirname(dir), old), { recursive: true, force: true });
    }
  }
  return path.join(dir, 'helm-render');
}

/** `helm template` with the given values files (and `--notes`: NOTES.txt only). */
export async function renderChart(
  chartDir: string,
  options: { valueFiles?: readonly string[]; release?: string; namespace?: string; notes?: boolean } = {},
): Promise<RunResult> {
  const bin = await ensureHelmRender();
  const args = [
    ...(options.valueFiles ?? []).flatMap((f) => ['-f', f]),
    '--name',
    options.release ?? 'release-name',
    '--namespace',
    options.namespace ?? 'default',
    ...(options.notes ? ['--notes'] : []),
    chartDir,
  ];
  return run(bin, args);
}
