/**
 * A vitest reporter for `npm test`: the wall-clock time of every test file, hooks, imports and
 * waits included (vitest's own reports count the tests' time only, so a file whose `beforeAll`
 * starts a demo for 20 s shows as 1 s there). With ES_TIMINGS_FILE set it writes one line per file
 * (seconds, then the file), slowest first, where `npm test` can show which files a lane spends
 * its time on; it prints nothing.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';

export default class TimingReporter implements Reporter {
  private readonly queuedAt = new Map<string, number>();
  /** When the last file on each worker ended: a file that waited for a worker starts then. */
  private readonly workerFreeAt = new Map<number, number>();
  private readonly wallMs = new Map<string, number>();

  onTestModuleQueued(testModule: TestModule): void {
    this.queuedAt.set(testModule.moduleId, performance.now());
  }

  onTestModuleEnd(testModule: TestModule): void {
    const now = performance.now();
    const worker = testModule.diagnostic().concurrencyId;
    const start = Math.max(this.queuedAt.get(testModule.moduleId) ?? now, this.workerFreeAt.get(worker) ?? 0);
    this.workerFreeAt.set(worker, now);
    this.wallMs.set(testModule.moduleId, now - start);
  }

  onTestRunEnd(): void {
    const file = process.env.ES_TIMINGS_FILE;
    if (!file) return;
    const lines = [...this.wallMs]
      .sort((a, b) => b[1] - a[1])
      .map(([id, ms]) => `${(ms / 1000).toFixed(1)}\t${path.relative(process.cwd(), id)}`);
    writeFileSync(file, `${lines.join('\n')}\n`);
  }
}
