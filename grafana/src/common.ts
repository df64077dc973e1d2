/**
 * Shared pieces of eventscope's dashboards: the Prometheus datasource variable, query and
 * panel helpers, and the status value mapping. Every panel queries `${datasource}`, so the
 * dashboards work with whatever Prometheus datasource an installation has.
 */
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';

export const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };

/** Tag on every eventscope dashboard; the dashboard links use it. */
export const TAG = 'eventscope';

export function datasourceVariable(): dashboard.DatasourceVariableBuilder {
  return new dashboard.DatasourceVariableBuilder('datasource').label('Prometheus').type('prometheus');
}

/** A query variable over the values of one label, with "All" (regex `.*`). */
export function labelVariable(name: string, label: string, query: string): dashboard.QueryVariableBuilder {
  return new dashboard.QueryVariableBuilder(name)
    .label(label)
    .datasource(DATASOURCE)
    .query({ query, refId: `${name}-values`, qryType: 1 })
    .definition(query)
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue('.*')
    .current({ text: 'All', value: '$__all', selected: true });
}

/**
 * The Kafka cluster(s) to show. Every Kafka series of the collector carries `cluster` (the
 * cluster's name in its config, the primary's too); a group or topic name is only unique within
 * its cluster. Options come from the poll metric, which every configured cluster has.
 */
export function clusterVariable(): dashboard.QueryVariableBuilder {
  return labelVariable('cluster', 'Kafka cluster', 'label_values(eventscope_kafka_poll_success, cluster)');
}

/** The matcher every Kafka query carries (`.*` for "All" also matches a series without the label). */
export const CLUSTER = 'cluster=~"$cluster"';

export function query(expr: string, legend = '', refId = 'A'): prometheus.DataqueryBuilder {
  return new prometheus.DataqueryBuilder().datasource(DATASOURCE).expr(expr).legendFormat(legend).refId(refId);
}

export function instantQuery(expr: string, legend = '', refId = 'A'): prometheus.DataqueryBuilder {
  return query(expr, legend, refId).instant().format(prometheus.PromQueryFormat.Table);
}

export function timeseriesPanel(
  title: string,
  description: string,
  unit: string,
  targets: prometheus.DataqueryBuilder[],
  size: { w: number; h: number } = { w: 12, h: 8 },
): timeseries.PanelBuilder {
  return new timeseries.PanelBuilder()
    .title(title)
    .description(description)
    .datasource(DATASOURCE)
    .unit(unit)
    .min(0)
    .span(size.w)
    .height(size.h)
    .fillOpacity(10)
    .targets(targets);
}

export function statPanel(
  title: string,
  description: string,
  unit: string,
  target: prometheus.DataqueryBuilder,
  steps: dashboard.Threshold[],
  w = 4,
): stat.PanelBuilder {
  return new stat.PanelBuilder()
    .title(title)
    .description(description)
    .datasource(DATASOURCE)
    .unit(unit)
    .span(w)
    .height(4)
    .thresholds(new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps(steps))
    .colorMode(common.BigValueColorMode.Background)
    .withTarget(target);
}

export function tablePanel(
  title: string,
  description: string,
  targets: prometheus.DataqueryBuilder[],
  size: { w: number; h: number } = { w: 24, h: 8 },
): table.PanelBuilder {
  return new table.PanelBuilder()
    .title(title)
    .description(description)
    .datasource(DATASOURCE)
    .span(size.w)
    .height(size.h)
    .targets(targets);
}

/** Threshold steps: the base colour, then the given colour from each value on. */
export function steps(base: string, ...from: [number, string][]): dashboard.Threshold[] {
  // Grafana's base step has the value null ("from minus infinity").
  return [{ value: null, color: base }, ...from.map(([value, color]) => ({ value, color }))];
}

/** A value -> text (and colour) mapping; values in order. */
export function valueMapping(entries: [string, string, string?][]): dashboard.ValueMap {
  return {
    type: dashboard.MappingType.ValueToText,
    options: Object.fromEntries(
      entries.map(([value, text, color], index) => [value, color ? { text, color, index } : { text, index }]),
    ),
  };
}

/** eventscope_consumergroup_status codes, as collector/src/lag/status.ts exports them. */
export const STATUS_MAPPING = valueMapping([
  ['0', 'OK', 'green'],
  ['1', 'WARN', 'yellow'],
  ['2', 'REWIND', 'blue'],
  ['3', 'STALL', 'orange'],
  ['4', 'STOP', 'red'],
  ['5', 'ERR', 'purple'],
]);

/** A data link from a series with `cluster` and `group` labels to that group on the consumer groups dashboard. */
export function groupDrillDown(): dashboard.DashboardLinkBuilder {
  return new dashboard.DashboardLinkBuilder('Consumer group ${__field.labels.group} (${__field.labels.cluster})')
    .type(dashboard.DashboardLinkType.Link)
    .url(
      '/d/eventscope-consumer-groups?var-cluster=${__field.labels.cluster}&var-group=${__field.labels.group}&${__url_time_range}',
    );
}

export function baseDashboard(uid: string, title: string, description: string): dashboard.DashboardBuilder {
  return new dashboard.DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags([TAG])
    .editable()
    .refresh('30s')
    .time({ from: 'now-1h', to: 'now' })
    .timezone('browser')
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .link(
      new dashboard.DashboardLinkBuilder('eventscope')
        .type(dashboard.DashboardLinkType.Dashboards)
        .tags([TAG])
        .asDropdown(true)
        .includeVars(true)
        .keepTime(true),
    )
    .withVariable(datasourceVariable());
}
