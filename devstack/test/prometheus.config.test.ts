/**
 * prometheus/prometheus.yml and prometheus/alertmanager.yml as shipped: promtool and amtool
 * (Debian's prometheus and prometheus-alertmanager packages, installed by `npm run stack --
 * setup`) accept them, Prometheus sends its alerts to the Alertmanager docker-compose runs,
 * and the example routing sends each severity where it says.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { AMTOOL, findTool, PROMTOOL, repoRoot } from '../src/index.ts';

const promDir = path.join(repoRoot, 'prometheus');
const prometheusYml = path.join(promDir, 'prometheus.yml');
const alertmanagerYml = path.join(promDir, 'alertmanager.yml');
const tmp = mkdtempSync(path.join(tmpdir(), 'es-prom-config-'));

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function tool(t: typeof PROMTOOL): Promise<string> {
  const found = await findTool(t);
  if (!found) throw new Error(`${t.purpose} is not installed (npm run stack -- setup installs ${t.debianPackage})`);
  return found;
}

function exec(cmd: string, args: string[]): { code: number; out: string } {
  try {
    const out = execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], cwd: promDir });
    return { code: 0, out };
  } catch (err) {
    const e = err as { status: number; stdout: string; stderr: string };
    return { code: e.status, out: `${e.stdout}\n${e.stderr}` };
  }
}

describe('prometheus.yml', () => {
  it('passes promtool check config, with every rule file found and checked', async () => {
    const res = exec(await tool(PROMTOOL), ['check', 'config', prometheusYml]);
    expect(res.code, res.out).toBe(0);
    expect(res.out).toMatch(/SUCCESS/);
    for (const file of ['collector.yml', 'kafka.yml', 'sagas.yml']) {
      expect(res.out).toMatch(new RegExp(`Checking .*rules/${file.replace('.', '\\.')}\\s+SUCCESS`));
    }
  });

  it("sends alerts to docker-compose's Alertmanager and scrapes the collector", () => {
    const config = parse(readFileSync(prometheusYml, 'utf8')) as {
      alerting: { alertmanagers: { api_version?: string; static_configs: { targets: string[] }[] }[] };
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    };
    const [am] = config.alerting.alertmanagers;
    expect(am?.static_configs[0]?.targets).toEqual(['alertmanager:9093']);
    // v1 was removed in Prometheus 3 (and Alertmanager 0.27): only v2, the default, works in both.
    expect(am?.api_version ?? 'v2').toBe('v2');
    const compose = parse(readFileSync(path.join(repoRoot, 'docker-compose.yml'), 'utf8')) as {
      services: Record<string, { volumes?: string[] }>;
    };
    expect(compose.services.alertmanager?.volumes).toContain(
      './prometheus/alertmanager.yml:/etc/alertmanager/alertmanager.yml:ro',
    );
    expect(config.scrape_configs.map((s) => s.job_name)).toContain('eventscope-collector');
  });

  it('promtool check config fails on an Alertmanager target it cannot use (the check can fail)', async () => {
    const broken = path.join(tmp, 'prometheus.yml');
    writeFileSync(
      broken,
      readFileSync(prometheusYml, 'utf8')
        .replace("targets: ['alertmanager:9093']", "targets: ['http://alertmanager:9093/']")
        .replace('rules/*.yml', path.join(promDir, 'rules', '*.yml')),
    );
    const res = exec(await tool(PROMTOOL), ['check', 'config', broken]);
    expect(res.code).not.toBe(0);
    expect(res.out).toMatch(/FAILED/);
  });
});

describe('alertmanager.yml', () => {
  it('passes amtool check-config', async () => {
    const res = exec(await tool(AMTOOL), ['check-config', alertmanagerYml]);
    expect(res.code, res.out).toBe(0);
    expect(res.out).toMatch(/SUCCESS/);
    expect(res.out).toMatch(/2 receivers/);
    expect(res.out).toMatch(/1 inhibit rules/);
  });

  it('amtool check-config fails on a route to a receiver that does not exist (the check can fail)', async () => {
    const broken = path.join(tmp, 'alertmanager.yml');
    writeFileSync(broken, readFileSync(alertmanagerYml, 'utf8').replace('receiver: pager', 'receiver: nobody'));
    const res = exec(await tool(AMTOOL), ['check-config', broken]);
    expect(res.code).not.toBe(0);
    expect(res.out).toMatch(/FAILED[\s\S]*nobody/);
  });

  it.each([
    ['critical', 'EventscopeConsumerGroupStopped', 'pager'],
    ['critical', 'EventscopeCollectorDown', 'pager'],
    ['warning', 'EventscopeConsumerLagHigh', 'default'],
    ['warning', 'EventscopeDLQReceivingRecords', 'default'],
  ])('routes a %s alert (%s) to %s', async (severity, alertname, receiver) => {
    const res = exec(await tool(AMTOOL), [
      'config',
      'routes',
      'test',
      `--config.file=${alertmanagerYml}`,
      `severity=${severity}`,
      `alertname=${alertname}`,
      'group=orders',
    ]);
    expect(res.code, res.out).toBe(0);
    expect(res.out.trim().split('\n').at(-1)).toBe(receiver);
  });
});
