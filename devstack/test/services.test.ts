import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { PORTS, repoRoot } from '../src/index.ts';
import { freePort, waitFor } from '../src/proc.ts';
import { localPrometheusConfig, startAlertmanager, startPrometheus } from '../src/services.ts';

function promtool(args: string[]): string {
  return execFileSync('promtool', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('Prometheus configuration', () => {
  it("the repository's prometheus.yml passes promtool check config", () => {
    expect(promtool(['check', 'config', path.join(repoRoot, 'prometheus', 'prometheus.yml')])).toMatch(/SUCCESS/);
  });

  it('the local copy scrapes the collector on 127.0.0.1 and finds the rule files', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'es-prom-'));
    const file = localPrometheusConfig(dir);
    const config = parse(readFileSync(file, 'utf8')) as {
      rule_files: string[];
      alerting?: unknown;
      scrape_configs: { static_configs: { targets: string[] }[] }[];
    };
    expect(config.scrape_configs[0]?.static_configs[0]?.targets).toEqual([`127.0.0.1:${PORTS.collector}`]);
    expect(config.rule_files.every((f) => path.isAbsolute(f))).toBe(true);
    expect(config.alerting).toBeUndefined();
    expect(promtool(['check', 'config', file])).toMatch(/SUCCESS/);
  });

  it('with an Alertmanager, the local copy sends alerts to it', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'es-prom-'));
    const file = localPrometheusConfig(dir, 19093);
    const config = parse(readFileSync(file, 'utf8')) as {
      alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
    };
    expect(config.alerting.alertmanagers[0]?.static_configs[0]?.targets).toEqual(['127.0.0.1:19093']);
    expect(promtool(['check', 'config', file])).toMatch(/SUCCESS/);
  });
});

describe('npm start: Alertmanager and Prometheus', () => {
  it('starts Alertmanager with the example config and Prometheus finds it as its active Alertmanager', async () => {
    const amPort = await freePort();
    const promPort = await freePort();
    const alertmanager = await startAlertmanager(amPort);
    const prometheus = await startPrometheus(promPort, amPort);
    try {
      expect(alertmanager?.url).toBe(`http://127.0.0.1:${amPort}`);
      expect(prometheus?.url).toBe(`http://127.0.0.1:${promPort}`);
      const status = (await (await fetch(`${alertmanager?.url}/api/v2/status`)).json()) as {
        config: { original: string };
      };
      expect(status.config.original).toMatch(/receiver: default/);
      await waitFor(
        "Prometheus's active Alertmanager",
        async () => {
          const res = (await (await fetch(`${prometheus?.url}/api/v1/alertmanagers`)).json()) as {
            data: { activeAlertmanagers: { url: string }[] };
          };
          return res.data.activeAlertmanagers.some((a) => a.url.startsWith(`http://127.0.0.1:${amPort}/`)) || undefined;
        },
        { timeoutMs: 30_000 },
      );
    } finally {
      await prometheus?.stop();
      await alertmanager?.stop();
    }
  }, 120_000);
});
