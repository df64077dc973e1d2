/**
 * The benchmarks' load generator runs on the same cores as the collector it measures, so it must
 * not carry the collector's app: with the package root loaded (~30 MB of heap, the Kafka client,
 * the stores) its own garbage collection took a fifth of a core more during figure 2's runs and
 * the collector's throughput fell with it. It loads the package's lean entries only.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const lib = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/lib');

describe("the load generator's modules", () => {
  it('load none of the collector app, its Kafka client or its stores', async () => {
    // Every module the driver's imports load, recorded by a resolve hook in a fresh process.
    const script = `
      import { registerHooks } from 'node:module';
      const loaded = [];
      registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); loaded.push(r.url); return r; } });
      await import(${JSON.stringify(path.join(lib, 'collector.ts'))});
      await import(${JSON.stringify(path.join(lib, 'sagas.ts'))});
      console.log(JSON.stringify(loaded));
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      cwd: lib,
    });
    const loaded = JSON.parse(stdout) as string[];
    // It did load what it needs: the flags, the OTLP encoder, a gRPC client.
    expect(loaded.some((u) => u.endsWith('/collector/src/node-flags.ts'))).toBe(true);
    expect(loaded.some((u) => u.endsWith('/collector/src/traces/otlp/protobuf.ts'))).toBe(true);
    expect(loaded.some((u) => u.includes('/@grpc/grpc-js/'))).toBe(true);
    for (const heavy of [
      '/collector/src/app.ts',
      '/collector/src/config.ts',
      '/@platformatic/kafka/',
      '/better-sqlite3/',
      '/pg/',
    ]) {
      expect(loaded.filter((u) => u.includes(heavy))).toEqual([]);
    }
  });
});
