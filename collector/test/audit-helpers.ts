/**
 * Shared by the loss audit's tests on demo traffic (audit.chaos, audit.skip): waits until the
 * audit has decided every finding, and sums up what it decided against a ground truth.
 */
import type { App } from '../src/app.ts';
import type { UnaccountedEntry } from '../src/store/types.ts';
import { waitFor } from './traces-helpers.ts';

/** Audit periods short enough for a test, long enough for the demo's outbox lease (10 s) and lag. */
export const AUDIT = { auditGraceMs: 2_000, auditDecideMs: 20_000, auditGroupEndMs: 600_000 } as const;

/**
 * Waits until every record the groups committed past is older than the grace period (so it has
 * been examined) and no finding of theirs is open any more; returns every finding of the groups.
 */
export async function settledFindings(
  app: App,
  ofGroup: (group: string) => boolean,
  loadEndMs: number,
): Promise<UnaccountedEntry[]> {
  const examinedAfter = loadEndMs + AUDIT.auditGraceMs + 3_000;
  await waitFor(
    'the loss audit to decide every finding',
    async () => {
      if (Date.now() < examinedAfter) return undefined;
      await app.flows.audit();
      const open = (await app.store.openFindings(1000)).filter((f) => ofGroup(f.group));
      return open.length === 0 ? true : undefined;
    },
    AUDIT.auditGraceMs + AUDIT.auditDecideMs + 40_000,
  );
  return (await app.store.unaccounted(10_000)).filter((f) => ofGroup(f.group));
}

const keyOf = (f: { topic: string; partition: number; offset: number }): string =>
  `${f.topic} ${f.partition} ${f.offset}`;

/** Precision and recall of `skipped` against the records really skipped (`truth`), and the other classes. */
export function score(
  findings: UnaccountedEntry[],
  truth: { topic: string; partition: number; offset: number }[],
): { truth: number; skipped: number; truePositives: number; precision: number; recall: number; summary: string } {
  const real = new Set(truth.map(keyOf));
  const skipped = findings.filter((f) => f.class === 'skipped');
  const truePositives = skipped.filter((f) => real.has(keyOf(f))).length;
  const precision = skipped.length === 0 ? 1 : truePositives / skipped.length;
  const recall = real.size === 0 ? 1 : truePositives / real.size;
  const by = new Map<string, number>();
  for (const f of findings) by.set(`${f.class}/${f.reason}`, (by.get(`${f.class}/${f.reason}`) ?? 0) + 1);
  const summary =
    `findings ${findings.length} (${[...by].map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}); ` +
    `really skipped ${real.size}; skipped found ${skipped.length}, of them right ${truePositives}; ` +
    `precision ${precision.toFixed(3)}, recall ${recall.toFixed(3)}`;
  return { truth: real.size, skipped: skipped.length, truePositives, precision, recall, summary };
}
