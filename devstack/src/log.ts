/** Progress lines on stderr, so stdout stays clean for machine-readable output. */
export function log(message: string): void {
  process.stderr.write(`eventscope: ${message}\n`);
}

/** Runs one named phase and prints how long it took, so a slow or failing step is obvious. */
export async function phase<T>(name: string, body: () => Promise<T>): Promise<T> {
  const started = performance.now();
  log(`▶ ${name}`);
  try {
    const result = await body();
    log(`✔ ${name} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
    return result;
  } catch (err) {
    log(`✘ ${name} failed after ${((performance.now() - started) / 1000).toFixed(1)} s`);
    throw err;
  }
}

/** Like `phase`, for a step whose result is an exit code: non-zero is reported as a failure. */
export async function phaseExit(name: string, body: () => Promise<number>): Promise<number> {
  const started = performance.now();
  log(`▶ ${name}`);
  const code = await body();
  const took = ((performance.now() - started) / 1000).toFixed(1);
  log(code === 0 ? `✔ ${name} (${took} s)` : `✘ ${name} failed with exit code ${code} after ${took} s`);
  return code;
}
