import { Link } from 'react-router';
import { useOverview } from '../../api/queries.ts';
import { OVERVIEW_MAX_SECONDS, SAGA_STATUSES, type OverviewResponse } from '../../api/types.ts';
import { topReason } from '../dlqs/ReasonBars.tsx';
import { Breakable } from '../../components/Breakable.tsx';
import { RangePicker } from '../../components/RangePicker.tsx';
import { LagBadge, SagaBadge } from '../../components/StatusBadge.tsx';
import { Figure, Tile } from '../../components/Tile.tsx';
import { TimeSeriesChart } from '../../components/TimeSeriesChart.tsx';
import { Empty, ErrorState } from '../../components/states.tsx';
import {
  formatCount,
  formatDuration,
  formatGrowth,
  formatRate,
  formatRelative,
  formatSeconds,
} from '../../lib/format.ts';
import { useClusterLink } from '../../lib/cluster-param.ts';
import { useChartRange, useRange } from '../../lib/url-state.ts';
import { ClusterNote } from '../clusters/Clusters.tsx';

const enc = encodeURIComponent;

type Setup = OverviewResponse['setup'];

/** No span ever stored (whatever the range): the collector has not heard from any service yet. */
function noSpansYet(setup: Setup): boolean {
  return setup.hopsStored === 0 && setup.lastSpanAt === null;
}

/** What a newcomer sees before any span arrives: what this page is and how to feed it. */
function ConnectServices({ setup }: { setup: Setup }) {
  const { hostname, origin } = window.location;
  const lines = [
    setup.otlpHttpPort === null
      ? `OTEL_EXPORTER_OTLP_ENDPOINT=${origin}   # spans go to /v1/traces`
      : `OTEL_EXPORTER_OTLP_ENDPOINT=http://${hostname}:${setup.otlpHttpPort}   # spans go to /v1/traces
# or the main port: ${origin}/v1/traces`,
    setup.otlpGrpcPort === null
      ? '# OTLP/gRPC is off on this collector'
      : `# OTLP/gRPC: OTEL_EXPORTER_OTLP_PROTOCOL=grpc OTEL_EXPORTER_OTLP_ENDPOINT=http://${hostname}:${setup.otlpGrpcPort}`,
    `# with auth on, also the ingest token (EVENTSCOPE_INGEST_TOKEN):
OTEL_EXPORTER_OTLP_HEADERS=authorization=Bearer%20<token>`,
  ];
  return (
    <section className="panel onboarding" aria-label="Connect your services">
      <h2>No spans have arrived yet</h2>
      <p>
        This overview shows your Kafka event flows: throughput, consumer lag, sagas and dead-letter queues. Lag and DLQs
        come from Kafka itself; sagas and latency need services that send OpenTelemetry spans.
      </p>
      <p>Point your services&apos; OTLP exporter at the collector:</p>
      <pre className="mono">{lines.join('\n')}</pre>
      <p>
        How to instrument a service and which attributes each span needs (event id, type, correlation id): see{' '}
        <code>docs/instrumenting.md</code> and <code>docs/event-contract.md</code> in the repository.
      </p>
    </section>
  );
}

export function OverviewPage() {
  const range = useRange();
  const chartRange = useChartRange();
  // The collector keeps 6 hours of overview series; a longer range shows those and says so.
  // Saga outcomes are counted over the whole range, as the saga list each figure opens.
  const query = useOverview(range.seconds);
  const data = query.data;
  const link = useClusterLink();
  const withRange = (path: string) => link(`${path}${path.includes('?') ? '&' : '?'}range=${range.id}`);

  return (
    <>
      <div className="page-header">
        <h1>Overview</h1>
        <ClusterNote cluster={data?.cluster} />
        {data?.snapshotTime ? (
          <span className="subtle">Kafka snapshot {formatRelative(data.snapshotTime)}</span>
        ) : data ? (
          <span className="subtle">Waiting for the first Kafka poll…</span>
        ) : null}
        {data?.setup.lastSpanAt ? (
          <span className="subtle">last span {formatRelative(data.setup.lastSpanAt)}</span>
        ) : null}
        {range.seconds > OVERVIEW_MAX_SECONDS ? (
          <span className="subtle">(charts: the collector keeps the last 6 h)</span>
        ) : null}
        <span className="spacer" />
        <RangePicker />
      </div>
      {query.isError && !data ? (
        <ErrorState error={query.error} what="the overview" onRetry={() => void query.refetch()} />
      ) : null}
      {data && noSpansYet(data.setup) ? <ConnectServices setup={data.setup} /> : null}
      <div className="tiles">
        <Tile title="Throughput" to={withRange('/flows')} linkText="Flow map">
          <TimeSeriesChart
            {...chartRange}
            title="Throughput"
            loading={query.isPending}
            error={query.error}
            data={data?.throughput}
            series={[{ key: 'recordsPerSecond', label: 'records in', color: 'var(--series-1)' }]}
            format={(v) => formatRate(v)}
            kind="area"
            emptyText="No records produced in this range. Is anything producing?"
          />
        </Tile>
        <Tile title="End-to-end latency" to={withRange('/sagas?sort=duration&dir=desc')} linkText="Slowest sagas">
          <TimeSeriesChart
            {...chartRange}
            title="End-to-end latency"
            loading={query.isPending}
            error={query.error}
            data={data?.latency}
            series={[
              { key: 'p50Ms', label: 'p50', color: 'var(--series-1)' },
              { key: 'p95Ms', label: 'p95', color: 'var(--series-2)' },
              { key: 'p99Ms', label: 'p99', color: 'var(--series-3)' },
            ]}
            format={(v) => formatDuration(v)}
            emptyText="No saga finished in this range. Latency needs instrumented services sending spans."
          />
        </Tile>
        <Tile title="Saga outcomes" to={withRange('/sagas')} linkText="Sagas" query={query}>
          {data ? (
            <ul className="bars" aria-label="Saga outcomes">
              {SAGA_STATUSES.map((s) => (
                <li key={s}>
                  <Link to={withRange(`/sagas?status=${s}`)}>
                    <SagaBadge status={s} />
                  </Link>
                  <span />
                  <span className="mono">{formatCount(data.sagaOutcomes[s] ?? 0)}</span>
                </li>
              ))}
            </ul>
          ) : null}
        </Tile>
        <Tile
          title="Worst consumer groups"
          to={link('/groups?sort=lagSeconds&dir=desc')}
          linkText="All groups"
          query={query}
        >
          {data && data.worstGroups.length === 0 ? (
            <Empty title="No consumer groups found.">Groups appear after the first poll once something consumes.</Empty>
          ) : data ? (
            <table>
              <thead>
                <tr>
                  <th>Group</th>
                  <th>Status</th>
                  <th className="num">Lag</th>
                  <th className="num">Behind</th>
                </tr>
              </thead>
              <tbody>
                {data.worstGroups.slice(0, 6).map((g) => (
                  <tr key={g.group}>
                    <td>
                      <Link to={withRange(`/groups/${enc(g.group)}`)}>
                        <Breakable text={g.group} />
                      </Link>
                    </td>
                    <td>
                      <LagBadge status={g.status} />
                    </td>
                    <td className="num">{formatCount(g.lag)} msgs</td>
                    <td className="num">
                      {g.lagSecondsIsLowerBound ? '≥ ' : ''}
                      {formatSeconds(g.lagSeconds)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
        </Tile>
        <Tile title="Dead-letter queues" to="/dlqs" linkText="All DLQs" query={query}>
          {data && data.dlqs.length === 0 ? (
            <Empty title="No DLQ topics.">
              The collector watches topics matching <code>{data.setup.dlqPattern}</code>; one appears once a consumer
              dead-letters a record.
            </Empty>
          ) : data ? (
            <table>
              <thead>
                <tr>
                  <th>Topic</th>
                  <th className="num">Depth</th>
                  <th className="num">Growth</th>
                  <th>Top reason</th>
                </tr>
              </thead>
              <tbody>
                {data.dlqs.map((d) => (
                  <tr key={d.topic}>
                    <td>
                      <Link to={withRange(`/dlqs/${enc(d.topic)}`)}>
                        <Breakable text={d.topic} />
                      </Link>
                    </td>
                    <td className="num">{formatCount(d.depth)}</td>
                    <td className="num">{formatGrowth(d.growthPerSecond)}</td>
                    <td>{topReason(d.errorClasses)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
        </Tile>
        <Tile title="Loss and duplicate audit" to="/audit" linkText="Audit" query={query}>
          {data ? (
            <div className="figures">
              <Figure
                label="duplicate deliveries"
                value={formatCount(data.duplicates)}
                tone={data.duplicates > 0 ? 'warn' : 'ok'}
              />
              <Figure
                label="records skipped (loss)"
                value={formatCount(data.unaccounted)}
                tone={data.unaccounted > 0 ? 'bad' : 'ok'}
              />
            </div>
          ) : null}
        </Tile>
      </div>
    </>
  );
}
