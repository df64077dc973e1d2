/** The RedriveStore contract (redrive-store.suite.ts) on SQLite: its own file in a temp dir. */
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { SqliteRedriveStore } from '../src/store/sqlite-redrive.ts';
import type { RedriveStore } from '../src/store/redrive-types.ts';
import { removeDir, tempDir } from './harness.ts';
import { redriveStoreSuite } from './redrive-store.suite.ts';

const files = new WeakMap<RedriveStore, string>();
const dirs: string[] = [];
const open = (file: string): RedriveStore => {
  const store = new SqliteRedriveStore(file);
  files.set(store, file);
  return store;
};

redriveStoreSuite('sqlite', {
  create: () => {
    const dir = tempDir('redrive-store');
    dirs.push(dir);
    return Promise.resolve(open(join(dir, 'redrive.sqlite')));
  },
  reopen: async (store) => {
    const file = files.get(store);
    if (file === undefined) throw new Error('not a store of this factory');
    await store.close();
    return open(file);
  },
});

afterAll(() => {
  for (const dir of dirs) removeDir(dir);
});
