/** `main.ts loadgen` argument parsing. */
import { parseArgs } from 'node:util';
import { runLoadgen, type LoadgenOptions } from './run.ts';

export const LOADGEN_HELP = `usage: node demo-services/src/main.ts loadgen [options]

Places orders through the order service (ORDER_URL) and follows each to its terminal event.

  --rate <n>                 orders per second (default 5)
  --count <n>                stop after n orders
  --duration <s>             stop placing after s seconds (default 30 unless --count/--forever)
  --forever                  never stop placing (Ctrl-C prints the summary)
  --decline-rate <0..1>      share of orders above the payment limit (declined -> compensated)
  --reject-rate <0..1>       share of orders for a sold-out SKU (inventory rejected -> failed)
  --poison-rate <0..1>       per order, chance of also producing an undecodable record to inventory.reserve
  --poison-order-rate <0..1> share of orders with a poison SKU: the inventory step fails on them
                             (-> inventory.dlq, the saga waits) until the fix is deployed
                             (DEMO_POISON_FIX_FILE exists) and the records are redriven
  --poison-order-every <n>   every n-th order is a poison order (besides the rate)
  --duplicate-rate <0..1>    share of order.placed events re-published with the same event id
  --showcase                 every pattern early and again and again, at any rate: every 17th
                             order declined (compensated), every 23rd for a sold-out SKU, every
                             29th followed by a poison record (-> inventory.dlq), every 13th
                             order.placed re-published, and an 'analytics' consumer group that
                             pauses 40 s (20 s in, then every 150 s) so it falls behind and catches up
  --lag-pulse <a>,<b>,<c>    the 'analytics' group pauses c seconds, first a seconds in, then
                             every b seconds (--showcase: 20,150,40)
  --steady                   orders only, no faults (the default; refuses --showcase)
  --spawn <service>[:n]      start n extra instances of a service (joining its group) for the run
  --slow-ms <ms>             processing delay of the spawned instances (builds lag)
  --chaos-interval-ms <ms>   SIGKILL one spawned instance and restart it at this interval
  --chaos-min-kills <n>      keep the chaos going after placing until n kills happened
  --drain-timeout <s>        after placing, wait this long for terminal events (default 60)
  --concurrency <n>          HTTP requests in flight (default 32)
  --json-out <file>          write the final summary as JSON
  --quiet                    no progress output
`;

/** What `--showcase` (the default demo of `npm start`) adds; see LOADGEN_HELP. */
export const SHOWCASE: Pick<LoadgenOptions, 'every' | 'lagPulse'> = Object.freeze({
  every: Object.freeze({ decline: 17, reject: 23, poison: 29, duplicate: 13 }),
  lagPulse: Object.freeze({ firstAfterMs: 20_000, everyMs: 150_000, forMs: 40_000 }),
});

export async function runLoadgenCli(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      rate: { type: 'string' },
      count: { type: 'string' },
      duration: { type: 'string' },
      forever: { type: 'boolean' },
      'decline-rate': { type: 'string' },
      'reject-rate': { type: 'string' },
      'poison-rate': { type: 'string' },
      'poison-order-rate': { type: 'string' },
      'poison-order-every': { type: 'string' },
      'duplicate-rate': { type: 'string' },
      showcase: { type: 'boolean' },
      steady: { type: 'boolean' },
      'lag-pulse': { type: 'string' },
      spawn: { type: 'string' },
      'slow-ms': { type: 'string' },
      'chaos-interval-ms': { type: 'string' },
      'chaos-min-kills': { type: 'string' },
      'drain-timeout': { type: 'string' },
      concurrency: { type: 'string' },
      'json-out': { type: 'string' },
      quiet: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(LOADGEN_HELP);
    return 0;
  }
  const num = (name: string, raw: string | undefined, fallback: number, min = 0, max = Infinity): number => {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || n > max)
      throw new Error(`--${name} ${raw}: expected a number in [${min}, ${max}]`);
    return n;
  };
  if (values.showcase && values.steady) throw new Error('--showcase and --steady exclude each other');
  let lagPulse: LoadgenOptions['lagPulse'];
  if (values['lag-pulse'] !== undefined) {
    const parts = values['lag-pulse'].split(',').map(Number);
    const [first, every, length] = parts;
    if (parts.length !== 3 || first === undefined || every === undefined || length === undefined) {
      throw new Error(`--lag-pulse ${values['lag-pulse']}: expected <first>,<every>,<for> in seconds`);
    }
    if (!parts.every((n) => Number.isFinite(n) && n >= 0) || length <= 0 || every <= length) {
      throw new Error(`--lag-pulse ${values['lag-pulse']}: seconds >= 0, with 0 < for < every`);
    }
    lagPulse = { firstAfterMs: first * 1000, everyMs: every * 1000, forMs: length * 1000 };
  }
  let spawn: LoadgenOptions['spawn'];
  if (values.spawn) {
    const [service, n] = values.spawn.split(':');
    if (!['order', 'orchestrator', 'inventory', 'payment', 'notification'].includes(service ?? '')) {
      throw new Error(
        `--spawn ${values.spawn}: service must be order, orchestrator, inventory, payment or notification`,
      );
    }
    spawn = { service: service ?? '', instances: num('spawn', n, 1, 1, 20) };
  }
  const options: LoadgenOptions = {
    rate: num('rate', values.rate, 5, 0.01, 10_000),
    count: values.count !== undefined ? num('count', values.count, 0, 1) : undefined,
    durationMs:
      values.forever || values.count !== undefined
        ? values.duration !== undefined
          ? num('duration', values.duration, 30, 0) * 1000
          : undefined
        : num('duration', values.duration, 30, 0) * 1000,
    declineRate: num('decline-rate', values['decline-rate'], 0, 0, 1),
    rejectRate: num('reject-rate', values['reject-rate'], 0, 0, 1),
    poisonRate: num('poison-rate', values['poison-rate'], 0, 0, 1),
    poisonOrderRate: num('poison-order-rate', values['poison-order-rate'], 0, 0, 1),
    duplicateRate: num('duplicate-rate', values['duplicate-rate'], 0, 0, 1),
    ...(values.showcase ? SHOWCASE : {}),
    ...(values['poison-order-every'] !== undefined
      ? {
          every: {
            ...(values.showcase ? SHOWCASE.every : {}),
            poisonOrder: num('poison-order-every', values['poison-order-every'], 0, 1, 1_000_000),
          },
        }
      : {}),
    ...(lagPulse ? { lagPulse } : {}),
    spawn,
    slowMs: num('slow-ms', values['slow-ms'], 0, 0),
    chaosIntervalMs:
      values['chaos-interval-ms'] !== undefined
        ? num('chaos-interval-ms', values['chaos-interval-ms'], 0, 100)
        : undefined,
    chaosMinKills: num('chaos-min-kills', values['chaos-min-kills'], 0, 0, 1000),
    drainTimeoutMs: num('drain-timeout', values['drain-timeout'], 60, 0) * 1000,
    concurrency: num('concurrency', values.concurrency, 32, 1, 1000),
    jsonOut: values['json-out'],
    progress: !values.quiet,
  };
  const summary = await runLoadgen(options);
  return summary.pending === 0 ? 0 : 1;
}
