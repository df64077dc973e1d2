/**
 * What `npm test` says of one vitest run, from its JSON report: the counts, and each failure
 * named with the first lines of its error. The failures are printed last, where the tail of a
 * CI log shows them.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export interface TestReportSummary {
  passed: number;
  failed: number;
  skipped: number;
  /** `file > test name` and up to four lines of the error, per failure. */
  failures: string[];
}

/** The part of vitest's JSON report read here. */
interface VitestReport {
  numPassedTests?: number;
  numFailedTests?: number;
  numPendingTests?: number;
  numTodoTests?: number;
  testResults?: {
    name: string;
    status: string;
    message?: string;
    assertionResults?: { fullName: string; status: string; failureMessages?: string[] }[];
  }[];
}

const ERROR_LINES = 4;
const LINE_CHARS = 300;

function firstLines(text: string | undefined): string {
  return (text ?? '')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .slice(0, ERROR_LINES)
    .map((l) => `      ${l.trim().slice(0, LINE_CHARS)}`)
    .join('\n');
}

/** Reads one report; file names are given relative to `root`. A missing or unreadable report is one failure. */
export function readVitestReport(report: string, root: string): TestReportSummary {
  let json: VitestReport;
  try {
    json = JSON.parse(readFileSync(report, 'utf8')) as VitestReport;
  } catch {
    return { passed: 0, failed: 1, skipped: 0, failures: [`${path.basename(report)}: no report written`] };
  }
  const failures: string[] = [];
  for (const file of json.testResults ?? []) {
    const name = path.relative(root, file.name);
    const failed = (file.assertionResults ?? []).filter((a) => a.status === 'failed');
    for (const a of failed) failures.push(`${name} > ${a.fullName}\n${firstLines(a.failureMessages?.[0])}`);
    // A file fails with no failed test when a hook throws (its tests then count as skipped).
    if (file.status === 'failed' && failed.length === 0) failures.push(`${name}\n${firstLines(file.message)}`);
  }
  return {
    passed: json.numPassedTests ?? 0,
    failed: json.numFailedTests ?? 0,
    skipped: (json.numPendingTests ?? 0) + (json.numTodoTests ?? 0),
    failures,
  };
}
