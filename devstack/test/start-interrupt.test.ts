/**
 * Ctrl-C (SIGINT) or SIGTERM at any moment of `npm start` stops everything that run started
 * and nothing else; a second Ctrl-C kills it at once; the next start then finds its ports free.
 * Each case runs the real CLI on its own ports and state folder and interrupts it at one point.
 */
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { isPortOpen } from '../src/proc.ts';
import { CliRun, cliSandbox, killAll, processesOf, sandboxEnv, type CliPorts } from './cli-process.ts';
import { requireEnv } from './helpers.ts';

const sandbox = await cliSandbox();
const env = sandboxEnv(sandbox.stateDir, sandbox.ports);

afterAll(() => {
  killAll(sandbox.stateDir);
  rmSync(sandbox.stateDir, { recursive: true, force: true });
});

async function openPorts(ports: CliPorts): Promise<string[]> {
  const open: string[] = [];
  for (const [name, port] of Object.entries(ports) as [string, number][]) {
    if (await isPortOpen(port)) open.push(`${name} ${port}`);
  }
  return open;
}

/** Starts `npm start`, waits for `point` in its output, interrupts it, and checks nothing is left. */
async function interruptAt(point: RegExp, signals: NodeJS.Signals[], timeoutMs: number): Promise<CliRun> {
  const run = new CliRun(['start'], env);
  try {
    await run.waitFor(point, timeoutMs);
    for (const [i, signal] of signals.entries()) {
      // Signals sent back to back can merge into one; the second waits until the first is seen.
      if (i > 0) await run.waitFor(/stopping what npm start started/, 10_000);
      run.child.kill(signal);
    }
    const code = await run.exited(60_000);
    expect(code, run.output).toBe(signals[0] === 'SIGINT' ? 130 : 143);
    expect(processesOf(sandbox.stateDir), run.output).toEqual([]);
    expect(await openPorts(sandbox.ports), run.output).toEqual([]);
    return run;
  } finally {
    killAll(sandbox.stateDir);
  }
}

describe('npm start interrupted', () => {
  it('while the broker is still starting: the broker is stopped', async () => {
    const run = await interruptAt(/starting Apache Kafka/, ['SIGINT'], 60_000);
    expect(run.output).toMatch(/SIGINT: stopping what npm start started/);
  }, 120_000);

  it('twice while the registry is starting: the second Ctrl-C kills everything at once', async () => {
    const run = await interruptAt(/starting Apicurio Registry/, ['SIGINT', 'SIGINT'], 90_000);
    expect(run.output).toMatch(/SIGINT again: killing what npm start started/);
  }, 120_000);

  it('while the collector is starting: the collector does not outlive the stop', async () => {
    await interruptAt(/starting the collector on/, ['SIGINT'], 100_000);
  }, 170_000);

  it('once running (SIGTERM): everything stops', async () => {
    await interruptAt(/eventscope is running/, ['SIGTERM'], 100_000);
  }, 170_000);

  it('the next start after those finds its ports free and comes up', async () => {
    // The symptom was PORT_TAKEN on the next start: it must come up again cleanly.
    const again = new CliRun(['start'], env);
    try {
      await again.waitFor(/eventscope is running/, 100_000);
      expect(again.output).not.toMatch(/PORT_TAKEN/);
      again.child.kill('SIGINT');
      expect(await again.exited(60_000)).toBe(130);
      expect(processesOf(sandbox.stateDir)).toEqual([]);
    } finally {
      killAll(sandbox.stateDir);
    }
  }, 170_000);

  it('stops only what it started: a broker it reused keeps running', async () => {
    // The test broker was running before this start; npm start reuses it and must not stop it.
    const brokerPort = Number(requireEnv('KAFKA_BROKERS').split(',')[0]?.split(':')[1]);
    const run = new CliRun(['start'], { ...env, ES_KAFKA_PORT: String(brokerPort) });
    try {
      await run.waitFor(/starting the collector on/, 100_000);
      expect(run.output).toMatch(/reusing the Kafka broker/);
      run.child.kill('SIGINT');
      expect(await run.exited(60_000), run.output).toBe(130);
      expect(processesOf(sandbox.stateDir), run.output).toEqual([]);
      expect(await isPortOpen(brokerPort)).toBe(true);
      expect(await isPortOpen(sandbox.ports.registry)).toBe(false);
      expect(await isPortOpen(sandbox.ports.collector)).toBe(false);
    } finally {
      killAll(sandbox.stateDir);
    }
  }, 170_000);
});
