/** Tools `npm start` installs on first use: where that cannot work, it says why and how to fix it. */
import { mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ensureOptionalTool, ensureTool, type DebianTool } from '../src/tools.ts';

const missing: DebianTool = {
  commands: ['es-not-installed-anywhere'],
  debianPackage: 'es-example-package',
  purpose: 'An example tool',
};

/** A PATH with a shell and nothing else: no apt-get, no tool. */
function bareShellPath(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'es-bare-'));
  symlinkSync('/bin/sh', path.join(dir, 'sh'));
  return dir;
}

const savedPath = process.env.PATH;
afterEach(() => {
  process.env.PATH = savedPath;
  vi.restoreAllMocks();
});

describe('tools installed on first use', () => {
  it('without apt-get, the error names the reason and the package to install', async () => {
    process.env.PATH = bareShellPath();
    await expect(ensureTool(missing)).rejects.toMatchObject({
      code: 'TOOL_MISSING',
      message: expect.stringMatching(/no apt-get here.*apt-get install es-example-package/) as unknown,
    });
  });

  it('an optional tool that cannot be installed is skipped with the reason and the fix printed', async () => {
    process.env.PATH = bareShellPath();
    const printed: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      printed.push(String(chunk));
      return true;
    });
    expect(await ensureOptionalTool(missing)).toBeUndefined();
    expect(printed.join('')).toMatch(/An example tool is missing.*no apt-get here.*es-example-package.*without it/s);
  });

  it('an installed tool is found without installing anything', async () => {
    const found = await ensureOptionalTool({ commands: ['sh'], debianPackage: 'dash', purpose: 'a shell' });
    expect(found).toMatch(/\/sh$/);
  });
});
