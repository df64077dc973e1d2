/**
 * eventscope's Prometheus rules: promtool's checks and unit tests (prometheus/tests/*.test.yml),
 * plus the conventions every alert follows (severity, annotations naming what is affected, a
 * runbook that exists, a unit test that fires it).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../src/index.ts';

const promDir = path.join(repoRoot, 'prometheus');
const ruleFiles = readdirSync(path.join(promDir, 'rules'))
  .filter((f) => f.endsWith('.yml'))
  .map((f) => path.join(promDir, 'rules', f));
const testFiles = readdirSync(path.join(promDir, 'tests'))
  .filter((f) => f.endsWith('.test.yml'))
  .map((f) => path.join(promDir, 'tests', f));

function promtool(args: string[]): { code: number; out: string } {
  try {
    const out = execFileSync('promtool', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], cwd: promDir });
    return { code: 0, out };
  } catch (err) {
    const e = err as { status: number; stdout: string; stderr: string };
    return { code: e.status, out: `${e.stdout}\n${e.stderr}` };
  }
}

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

const alerts: Rule[] = ruleFiles.flatMap((f) =>
  (parse(readFileSync(f, 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) =>
    g.rules.filter((r) => r.alert),
  ),
);

interface PromtoolTest {
  alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[];
  promql_expr_test?: { expr: string; exp_samples?: { labels: string }[] }[];
}
function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [],
  );
}

/** Metric names the collector registers (prom-client `name: '...'`). */
const collectorMetrics = new Set(
  walk(path.join(repoRoot, 'collector', 'src')).flatMap((f) =>
    [...readFileSync(f, 'utf8').matchAll(/name: '(eventscope_[a-z0-9_]+)'/g)].map((m) => m[1] ?? ''),
  ),
);

const tests: PromtoolTest[] = testFiles.flatMap(
  (f) => (parse(readFileSync(f, 'utf8')) as { tests: PromtoolTest[] }).tests,
);

describe('Prometheus rules', () => {
  it('finds the rule and test files', () => {
    expect(ruleFiles.map((f) => path.basename(f)).sort()).toEqual(['collector.yml', 'kafka.yml', 'sagas.yml']);
    expect(testFiles).toHaveLength(3);
    expect(alerts.length).toBeGreaterThanOrEqual(14);
  });

  it.each(ruleFiles.map((f) => [path.basename(f), f]))('%s passes promtool check rules', (_name, file) => {
    const res = promtool(['check', 'rules', file]);
    expect(res.out).toMatch(/SUCCESS/);
    expect(res.code).toBe(0);
  });

  it.each(testFiles.map((f) => [path.basename(f), f]))('%s: promtool test rules passes', (_name, file) => {
    const res = promtool(['test', 'rules', file]);
    expect(res.out, res.out).toMatch(/SUCCESS/);
    expect(res.code).toBe(0);
  });

  it('promtool test rules fails when an alert does not behave as its test expects (the harness can fail)', () => {
    // The lag test run against rules whose comparison with the budget became >=: the
    // "exactly at the threshold" series fires, and promtool must say so.
    const dir = path.join(repoRoot, '.eventscope', 'tmp', `prom-rules-${process.pid}`);
    execFileSync('mkdir', ['-p', path.join(dir, 'rules'), path.join(dir, 'tests')]);
    const original = readFileSync(path.join(promDir, 'rules', 'kafka.yml'), 'utf8');
    const rules = original.replace(
      '> scalar(max(eventscope_consumergroup_lag_budget_seconds))',
      '>= scalar(max(eventscope_consumergroup_lag_budget_seconds))',
    );
    expect(rules).not.toBe(original);
    execFileSync('sh', ['-c', 'cat > "$1"', 'sh', path.join(dir, 'rules', 'kafka.yml')], { input: rules });
    execFileSync('cp', [path.join(promDir, 'tests', 'kafka.test.yml'), path.join(dir, 'tests')]);
    const res = promtool(['test', 'rules', path.join(dir, 'tests', 'kafka.test.yml')]);
    execFileSync('rm', ['-rf', dir]);
    expect(res.code).not.toBe(0);
    expect(res.out).toMatch(/FAILED[\s\S]*EventscopeConsumerLagHigh/);
  });

  it('rules use only metrics the collector registers (a renamed metric breaks this, not production)', () => {
    const rules = ruleFiles.flatMap((f) =>
      (parse(readFileSync(f, 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules),
    );
    const recorded = new Set(rules.flatMap((r) => (r.record ? [r.record] : [])));
    expect(collectorMetrics.size).toBeGreaterThan(10);
    for (const rule of rules) {
      for (const m of rule.expr.matchAll(/\beventscope_[a-z0-9_]+/g)) {
        const name = m[0].replace(/_(bucket|count|sum)$/, '');
        expect(
          collectorMetrics.has(name) || collectorMetrics.has(m[0]),
          `${m[0]} in ${rule.alert ?? rule.record}`,
        ).toBe(true);
      }
      for (const m of rule.expr.matchAll(/\beventscope:[a-z0-9_:]+/g)) {
        expect(recorded, `${m[0]} in ${rule.alert ?? rule.record}`).toContain(m[0]);
      }
    }
  });

  it.each(alerts.map((a) => [a.alert ?? '', a]))(
    '%s has a severity, a summary and description naming what is affected, and a runbook',
    (name, rule) => {
      expect(name).toMatch(/^Eventscope[A-Z]\w+$/);
      expect(['critical', 'warning']).toContain(rule.labels?.severity);
      const { summary, description, runbook_url: runbook } = rule.annotations ?? {};
      expect(summary).toMatch(/\{\{ \$labels\.(group|topic|saga_type|instance) \}\}/);
      expect(description).toMatch(/\{\{ \$labels\.(group|topic|saga_type|instance) \}\}/);
      expect(runbook).toBe(`docs/runbooks/${name}.md`);
      const runbookFile = path.join(repoRoot, runbook ?? '');
      expect(existsSync(runbookFile), `${runbook} exists`).toBe(true);
      const text = readFileSync(runbookFile, 'utf8');
      expect(text).toContain(`# ${name}`);
      for (const heading of ['## What it means', '## Check', '## Act']) expect(text).toContain(heading);
    },
  );

  it.each(alerts.map((a) => [a.alert ?? '']))('%s has unit tests: it fires, with its annotations', (name) => {
    const fired = tests.some((t) =>
      (t.alert_rule_test ?? []).some((a) => a.alertname === name && (a.exp_alerts ?? []).length > 0),
    );
    const pendingOrQuiet = tests.some((t) =>
      (t.promql_expr_test ?? []).some(
        (p) =>
          p.expr.includes('ALERTS{') &&
          (p.exp_samples ?? []).some((s) => s.labels.includes(`alertname="${name}"`) && s.labels.includes('pending')),
      ),
    );
    expect(fired, `an alert_rule_test expects ${name} to fire`).toBe(true);
    expect(pendingOrQuiet, `a promql_expr_test expects ${name} pending (the for: window)`).toBe(true);
  });
});
