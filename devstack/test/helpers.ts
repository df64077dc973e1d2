import { randomBytes } from 'node:crypto';

/** A name no other test (or earlier run) uses, so tests can run in any order and in parallel. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value)
    throw new Error(`${name} is not set; run the tests through npm test (or vitest with the devstack global setup)`);
  return value;
}
