/**
 * Vitest global setup shared by the workspaces: makes sure a real Kafka broker and schema
 * registry are up before any test runs. Under `npm test` they are already running (and
 * KAFKA_BROKERS / SCHEMA_REGISTRY_URL are set), so this only checks them; run alone
 * (`npx vitest` in a workspace) it starts them, reusing any that already answer, and
 * stops at the end only what it started.
 */
import { ensureStack, type Stack } from './stack.ts';

let stack: Stack | undefined;

export async function setup(): Promise<void> {
  if (process.env.KAFKA_BROKERS && process.env.SCHEMA_REGISTRY_URL) return;
  stack = await ensureStack({ kafka: { instance: 'test' } });
  Object.assign(process.env, stack.env);
}

export async function teardown(): Promise<void> {
  await stack?.stop();
}
