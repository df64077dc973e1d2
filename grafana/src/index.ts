/** eventscope's Grafana dashboards, built with the Grafana foundation SDK. */
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { consumerGroups } from './dashboards/consumer-groups.ts';
import { dlqs } from './dashboards/dlqs.ts';
import { overview } from './dashboards/overview.ts';
import { sagas } from './dashboards/sagas.ts';

export const DASHBOARDS: Readonly<Record<string, () => dashboard.Dashboard>> = {
  'overview.json': overview,
  'consumer-groups.json': consumerGroups,
  'dlqs.json': dlqs,
  'sagas.json': sagas,
};

/**
 * Gives every panel (rows included) a stable id in layout order, so links to a panel
 * (`viewPanel=<id>`) survive regeneration.
 */
function withPanelIds(d: dashboard.Dashboard): dashboard.Dashboard {
  let id = 1;
  for (const panel of d.panels ?? []) {
    panel.id = id++;
    for (const inner of 'panels' in panel ? (panel.panels ?? []) : []) inner.id = id++;
  }
  return d;
}

/** File name -> JSON text, exactly as written to grafana/dashboards/. */
export function renderDashboards(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(DASHBOARDS).map(([file, build]) => [file, `${JSON.stringify(withPanelIds(build()), null, 2)}\n`]),
  );
}
