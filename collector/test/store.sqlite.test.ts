import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { SqliteStore } from '../src/store/sqlite.ts';
import type { Store } from '../src/store/types.ts';
import { storeSuite } from './store.suite.ts';

const dirs: string[] = [];
const files = new WeakMap<Store, string>();
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

storeSuite('sqlite', {
  create() {
    const dir = mkdtempSync(join(tmpdir(), 'eventscope-store-'));
    dirs.push(dir);
    const file = join(dir, 'store.sqlite');
    const store = new SqliteStore({ file });
    files.set(store, file);
    return Promise.resolve(store);
  },
  reopen(previous) {
    const file = files.get(previous) as string;
    const store = new SqliteStore({ file });
    files.set(store, file);
    return Promise.resolve(store);
  },
});
