import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { PORTS, repoRoot } from '../src/index.ts';
import { localPrometheusConfig } from '../src/services.ts';

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
});
