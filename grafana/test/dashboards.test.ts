/**
 * The dashboards as code: the checked-in JSON is what the code generates, every panel queries
 * the datasource variable with PromQL over metrics the collector registers (or rules record),
 * and every variable a query uses is defined. Whether the queries run is checked against a
 * real Prometheus in grafana/test/prometheus.integration.test.ts (under demo traffic).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { DASHBOARDS, renderDashboards } from '../src/index.ts';

const root = path.join(import.meta.dirname, '..', '..');
const dashboardsDir = path.join(root, 'grafana', 'dashboards');

interface Target {
  expr?: string;
  datasource?: { uid?: string };
  refId?: string;
}
interface Panel {
  id?: number;
  type: string;
  title?: string;
  datasource?: { uid?: string };
  gridPos?: { x: number; y: number; w: number; h: number };
  targets?: Target[];
  panels?: Panel[];
}
interface Dashboard {
  uid: string;
  title: string;
  tags: string[];
  panels: Panel[];
  templating: { list: { name: string; type: string; multi?: boolean; includeAll?: boolean; query?: unknown }[] };
}

const rendered = renderDashboards();
const dashboards = Object.entries(rendered).map(([file, json]) => [file, JSON.parse(json) as Dashboard] as const);

function allPanels(d: Dashboard): Panel[] {
  return d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [],
  );
}

/** Metric names the collector registers (prom-client `name: '...'`), plus Prometheus's own. */
const collectorMetrics = new Set(
  walk(path.join(root, 'collector', 'src')).flatMap((f) =>
    [...readFileSync(f, 'utf8').matchAll(/name: '(eventscope_[a-z0-9_]+)'/g)].map((m) => m[1] ?? ''),
  ),
);
/** Recording rules in prometheus/rules/. */
const recorded = new Set(
  readdirSync(path.join(root, 'prometheus', 'rules')).flatMap((f) =>
    [...readFileSync(path.join(root, 'prometheus', 'rules', f), 'utf8').matchAll(/record: (\S+)/g)].map(
      (m) => m[1] ?? '',
    ),
  ),
);

describe('Grafana dashboards', () => {
  it('grafana/dashboards/*.json are what the code generates (else run: npm run generate -w grafana)', () => {
    const onDisk = readdirSync(dashboardsDir).filter((f) => f.endsWith('.json'));
    expect(onDisk.sort()).toEqual(Object.keys(DASHBOARDS).sort());
    for (const [file, json] of Object.entries(rendered)) {
      expect(readFileSync(path.join(dashboardsDir, file), 'utf8'), `${file} is stale`).toBe(json);
    }
  });

  it('has the overview, consumer groups, DLQs, and sagas and latency dashboards, with unique uids', () => {
    const uids = dashboards.map(([, d]) => d.uid);
    expect(uids.sort()).toEqual(
      ['eventscope-consumer-groups', 'eventscope-dlqs', 'eventscope-overview', 'eventscope-sagas'].sort(),
    );
    for (const [, d] of dashboards) expect(d.tags).toContain('eventscope');
  });

  it.each(dashboards)('%s: every panel has a unique id, a place on the grid and a query on ${datasource}', (_f, d) => {
    const panels = allPanels(d);
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of panels) {
      expect(p.gridPos, p.title).toBeDefined();
      expect((p.gridPos?.x ?? 0) + (p.gridPos?.w ?? 0)).toBeLessThanOrEqual(24);
      if (p.type === 'row') continue;
      expect(p.datasource?.uid, p.title).toBe('${datasource}');
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      const refIds = (p.targets ?? []).map((t) => t.refId);
      expect(new Set(refIds).size, `${p.title}: refIds`).toBe(refIds.length);
      for (const t of p.targets ?? []) {
        expect(t.expr?.trim(), p.title).toBeTruthy();
        expect(t.datasource?.uid).toBe('${datasource}');
      }
    }
    expect(d.templating.list.find((v) => v.name === 'datasource')?.type).toBe('datasource');
  });

  it.each(dashboards)('%s: every variable a query uses is defined', (_f, d) => {
    const defined = new Set(d.templating.list.map((v) => v.name));
    const texts = [
      ...allPanels(d).flatMap((p) => (p.targets ?? []).map((t) => t.expr ?? '')),
      ...d.templating.list.map((v) => JSON.stringify(v.query ?? '')),
    ];
    for (const text of texts) {
      for (const m of text.matchAll(/\$\{?([a-zA-Z_]\w*)/g)) {
        const name = m[1] ?? '';
        if (name.startsWith('__')) continue;
        expect(defined, `$${name} in ${text}`).toContain(name);
      }
    }
  });

  it.each(dashboards)('%s: queries use metrics the collector registers or rules record', (_f, d) => {
    const exprs = allPanels(d).flatMap((p) => (p.targets ?? []).map((t) => t.expr ?? ''));
    exprs.push(...d.templating.list.map((v) => JSON.stringify(v.query ?? '')));
    for (const expr of exprs) {
      for (const m of expr.matchAll(/\beventscope_[a-z0-9_]+/g)) {
        const name = m[0].replace(/_(bucket|count|sum)$/, '');
        expect(collectorMetrics.has(name) || collectorMetrics.has(m[0]), `${m[0]} (in ${expr})`).toBe(true);
      }
      for (const m of expr.matchAll(/\beventscope:[a-z0-9_:]+/g)) {
        expect(recorded, `${m[0]} (in ${expr})`).toContain(m[0]);
      }
    }
    expect(collectorMetrics.size).toBeGreaterThan(10);
  });

  it('the consumer groups dashboard drills down by group and topic', () => {
    const d = dashboards.find(([, x]) => x.uid === 'eventscope-consumer-groups')?.[1];
    for (const name of ['group', 'topic']) {
      const v = d?.templating.list.find((x) => x.name === name);
      expect(v?.type).toBe('query');
      expect(v?.multi).toBe(true);
      expect(v?.includeAll).toBe(true);
    }
    const exprs = allPanels(d as Dashboard).flatMap((p) => (p.targets ?? []).map((t) => t.expr ?? ''));
    expect(exprs.every((e) => e.includes('$group') || e.includes('$topic'))).toBe(true);
  });

  it.each(dashboards)('%s: every Kafka query is filtered by the `cluster` variable', (_f, d) => {
    // Series of the Kafka monitor carry `cluster`; a group or topic name is only unique within
    // its cluster. (The lag budget is one config value, without the label.)
    const kafka =
      /\b(eventscope_(?:consumergroup|topic|dlq|kafka)_[a-z0-9_]+|eventscope:(?:consumergroup|dlq)_[a-z0-9_:]+)(\{[^}]*\})?/g;
    const texts = [
      ...allPanels(d).flatMap((p) => (p.targets ?? []).map((t) => t.expr ?? '')),
      // The variables listing Kafka names (the cluster and collector job variables span every cluster).
      ...d.templating.list
        .filter((v) => v.name !== 'cluster' && v.name !== 'job')
        .map((v) => JSON.stringify(v.query ?? '')),
    ];
    let selectors = 0;
    for (const text of texts) {
      for (const m of text.replaceAll('\\"', '"').matchAll(kafka)) {
        if (m[1] === 'eventscope_consumergroup_lag_budget_seconds') continue;
        selectors++;
        expect(m[2] ?? '', `${m[0]} in ${text}`).toContain('cluster=~"$cluster"');
      }
    }
    if (d.uid === 'eventscope-sagas') return expect(selectors).toBe(0); // spans, no Kafka series
    expect(selectors).toBeGreaterThan(3);
    const names = d.templating.list.map((v) => v.name);
    const cluster = d.templating.list.find((v) => v.name === 'cluster');
    expect(cluster?.type).toBe('query');
    expect(cluster?.multi).toBe(true);
    expect(cluster?.includeAll).toBe(true);
    // Grafana resolves variables in order: the group, topic and DLQ lists follow the cluster picked.
    for (const n of ['group', 'topic', 'dlq'].filter((x) => names.includes(x)))
      expect(names.indexOf(n), n).toBeGreaterThan(names.indexOf('cluster'));
  });

  it('docker-compose provisions these dashboards and a Prometheus datasource into Grafana', () => {
    const compose = parse(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
      services: Record<string, { volumes?: string[] }>;
    };
    const provider = parse(
      readFileSync(path.join(root, 'grafana', 'provisioning', 'dashboards', 'eventscope.yml'), 'utf8'),
    ) as { providers: { type: string; options: { path: string } }[] };
    const datasources = parse(
      readFileSync(path.join(root, 'grafana', 'provisioning', 'datasources', 'prometheus.yml'), 'utf8'),
    ) as { datasources: { type: string; isDefault?: boolean }[] };
    const volumes = compose.services.grafana?.volumes ?? [];
    expect(provider.providers[0]?.type).toBe('file');
    expect(volumes).toContain(`./grafana/dashboards:${provider.providers[0]?.options.path}:ro`);
    expect(volumes).toContain('./grafana/provisioning:/etc/grafana/provisioning:ro');
    // The dashboards' datasource variable picks the default Prometheus datasource.
    expect(datasources.datasources.find((d) => d.isDefault)?.type).toBe('prometheus');
  });
});
