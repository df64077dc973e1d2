/** Result files: bench/results/<figure>.json, the source of BENCHMARKS.md. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Machine } from './machine.ts';

export const RESULTS_DIR =
  process.env.BENCH_RESULTS_DIR ?? join(dirname(fileURLToPath(import.meta.url)), '../../results');

export interface Row {
  /** What was measured, e.g. "JSON spans/s". */
  metric: string;
  value: number | string;
  unit: string;
  /** Median of runs: min..max over the runs. */
  spread?: string;
  target?: string;
  /** true/false when the row has a target; undefined otherwise. */
  meets?: boolean;
}

/** A row whose target is none at all: duplicates, records lost, false alarms. */
export function noneRow(metric: string, value: number, unit: string): Row {
  return { metric, value, unit, target: '0', meets: value === 0 };
}

export interface FigureResult {
  figure: string;
  title: string;
  at: string;
  machine: Machine;
  method: string;
  params: Record<string, unknown>;
  rows: Row[];
  notes: string[];
  raw?: unknown;
}

/** One line of progress on stderr (the table and JSON come at the end): long runs should not be silent. */
export function progress(message: string): void {
  process.stderr.write(`  ${message}\n`);
}

export function writeResult(r: FigureResult, dir = RESULTS_DIR): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${r.figure}.json`);
  writeFileSync(file, `${JSON.stringify(r, null, 2)}\n`);
  return file;
}

export function printTable(r: FigureResult): void {
  console.log(`\n${r.figure}: ${r.title}`);
  console.table(
    r.rows.map((x) => ({
      metric: x.metric,
      value: x.value,
      unit: x.unit,
      'runs (min..max)': x.spread ?? '',
      target: x.target ?? '',
      meets: x.meets === undefined ? '' : x.meets ? 'yes' : 'NO',
    })),
  );
  for (const n of r.notes) console.log(`  note: ${n}`);
}

/** Reads an integer option from the environment (bench sizes), with a default. */
export function intEnv(name: string, fallback: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, not '${v}'`);
  return n;
}
