/**
 * Writes grafana/dashboards/*.json from the dashboards as code in src/dashboards/.
 * `npm run generate -w grafana`; test/dashboards.test.ts fails when the files are stale.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderDashboards } from './index.ts';

const dir = path.join(import.meta.dirname, '..', 'dashboards');
for (const [file, json] of Object.entries(renderDashboards())) {
  writeFileSync(path.join(dir, file), json);
  console.log(`wrote grafana/dashboards/${file}`);
}
