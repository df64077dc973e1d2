/**
 * npm test's closing summary names each failure with its first error lines, read from the JSON
 * report of a real vitest run over a file with a failing test, a passing one and a file whose
 * hook throws.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../src/paths.ts';
import { readVitestReport } from '../src/test-report.ts';

const outDir = path.join(repoRoot, 'test-output');
mkdirSync(outDir, { recursive: true });
// Inside the clone, so the fixtures' `import 'vitest'` resolves.
const dir = mkdtempSync(path.join(outDir, 'report-fixture-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the summary of a vitest report', () => {
  it('names the failed test and the file whose hook threw, with their errors', async () => {
    writeFileSync(path.join(dir, 'vitest.config.mjs'), 'export default { test: { include: ["*.check.mjs"] } };\n');
    writeFileSync(
      path.join(dir, 'a.check.mjs'),
      [
        "import { describe, expect, it } from 'vitest';",
        "describe('orders', () => {",
        "  it('adds up', () => expect(1 + 1).toBe(3));",
        "  it('passes', () => expect(1).toBe(1));",
        '});',
      ].join('\n'),
    );
    writeFileSync(
      path.join(dir, 'b.check.mjs'),
      [
        "import { beforeAll, it } from 'vitest';",
        "beforeAll(() => { throw new Error('the broker is away'); });",
        "it('never runs', () => {});",
      ].join('\n'),
    );
    const report = path.join(dir, 'report.json');
    const vitest = path.join(repoRoot, 'node_modules', '.bin', 'vitest');
    const run = promisify(execFile)(vitest, ['run', '--reporter=json', `--outputFile=${report}`], { cwd: dir });
    await expect(run).rejects.toMatchObject({ code: 1 });

    const summary = readVitestReport(report, repoRoot);
    expect(summary).toMatchObject({ passed: 1, failed: 1, skipped: 1 });
    const rel = path.relative(repoRoot, dir);
    expect(summary.failures).toHaveLength(2);
    expect(summary.failures).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^${rel}/a\\.check\\.mjs > orders adds up\\n.*expected 2 to be 3`)),
        expect.stringMatching(new RegExp(`^${rel}/b\\.check\\.mjs\\n.*the broker is away`)),
      ]),
    );
  });

  it('a report that was never written counts as one failure, named', () => {
    const summary = readVitestReport(path.join(dir, 'absent.json'), repoRoot);
    expect(summary).toEqual({ passed: 0, failed: 1, skipped: 0, failures: ['absent.json: no report written'] });
  });
});
