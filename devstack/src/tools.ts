import { existsSync } from 'node:fs';
import { DevstackError } from './errors.ts';
import { log } from './log.ts';
import { run, runInherit } from './proc.ts';

/** A command-line tool that comes from a Debian package when it is missing. */
export interface DebianTool {
  /** Executables to look for; the first found wins. */
  commands: readonly string[];
  /** For a package without an executable (a library): files whose presence shows it is installed. */
  files?: readonly string[];
  /** Debian package that provides them. */
  debianPackage: string;
  purpose: string;
}

export const PROMETHEUS: DebianTool = {
  commands: ['prometheus'],
  debianPackage: 'prometheus',
  purpose: 'Prometheus (scrapes the collector, evaluates alert rules)',
};
export const PROMTOOL: DebianTool = {
  commands: ['promtool'],
  debianPackage: 'prometheus',
  purpose: 'promtool (checks configs, unit-tests alert rules)',
};
export const AMTOOL: DebianTool = {
  commands: ['amtool'],
  debianPackage: 'prometheus-alertmanager',
  purpose: 'amtool (checks the example Alertmanager config and its routing)',
};
export const ALERTMANAGER: DebianTool = {
  commands: ['prometheus-alertmanager', 'alertmanager'],
  debianPackage: 'prometheus-alertmanager',
  purpose: 'Alertmanager (receives the alerts in the Prometheus integration test)',
};
export const CHROMIUM: DebianTool = {
  commands: ['chromium', 'chromium-browser'],
  debianPackage: 'chromium',
  purpose: 'Chromium (browser tests of the dashboard)',
};

export async function which(command: string): Promise<string | undefined> {
  const res = await run('sh', ['-c', `command -v ${command}`]);
  const found = res.stdout.trim();
  return res.code === 0 && found ? found : undefined;
}

export async function findTool(tool: DebianTool): Promise<string | undefined> {
  const file = tool.files?.find((f) => existsSync(f));
  if (file) return file;
  for (const command of tool.commands) {
    const found = await which(command);
    if (found) return found;
  }
  return undefined;
}

let aptUpdated = false;

/**
 * Returns the path of the tool, installing its Debian package first when it is missing.
 * Needs root (or passwordless sudo) and apt-get; otherwise says what to install by hand.
 */
export async function ensureTool(tool: DebianTool): Promise<string> {
  const found = await findTool(tool);
  if (found) return found;
  const apt = await which('apt-get');
  const isRoot = process.getuid?.() === 0;
  if (!apt || !isRoot) {
    const why = !apt ? 'there is no apt-get here' : 'installing packages needs root and this is not root';
    throw new DevstackError(
      'TOOL_MISSING',
      `${tool.purpose} is missing and cannot be installed automatically (${why}); install the package "${tool.debianPackage}" (Debian/Ubuntu: sudo apt-get install ${tool.debianPackage}), or put a \`${tool.commands[0] ?? ''}\` binary on PATH, and run again`,
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!aptUpdated) {
    log('apt-get update (once, to install missing tools)');
    const code = await runInherit('apt-get', ['update', '-q'], { env });
    if (code !== 0) throw new DevstackError('INSTALL_FAILED', `apt-get update failed (exit ${code})`);
    aptUpdated = true;
  }
  log(`installing ${tool.debianPackage} with apt-get for ${tool.purpose} (first run only; apt's progress follows)`);
  const code = await runInherit('apt-get', ['install', '-y', '-q', '--no-install-recommends', tool.debianPackage], {
    env,
  });
  const installed = await findTool(tool);
  if (code !== 0 || !installed) {
    throw new DevstackError(
      'INSTALL_FAILED',
      `apt-get install ${tool.debianPackage} failed (exit ${code}; its output is above); fix what it says, or run sudo apt-get install ${tool.debianPackage} yourself, and run again`,
    );
  }
  log(`installed ${tool.debianPackage}: ${installed}`);
  return installed;
}

/**
 * For tools a command can do without (Prometheus, Alertmanager under `npm start`): installs
 * a missing one like `ensureTool`; when that cannot work, prints why and the fix, and
 * resolves undefined so the caller carries on without it.
 */
export async function ensureOptionalTool(tool: DebianTool): Promise<string | undefined> {
  try {
    return await ensureTool(tool);
  } catch (err) {
    if (!(err instanceof DevstackError) || (err.code !== 'TOOL_MISSING' && err.code !== 'INSTALL_FAILED')) throw err;
    log(`${err.message}. Starting without it.`);
    return undefined;
  }
}
