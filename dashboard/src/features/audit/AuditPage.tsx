import { Link } from 'react-router';
import { useAudit, useClusters } from '../../api/queries.ts';
import type { AuditResponse } from '../../api/types.ts';
import { Figure } from '../../components/Tile.tsx';
import { DataTable } from '../../components/DataTable.tsx';
import { Empty, QueryView } from '../../components/states.tsx';
import { EventIdLink, GroupLink } from '../../components/NameLinks.tsx';
import { formatCount, formatDateTime, formatInteger, formatRelative } from '../../lib/format.ts';

const enc = encodeURIComponent;

type Finding = AuditResponse['findings'][number];

/** How the audit decided, in words (docs/loss-audit.md); a Record, so a reason the collector adds is a type error here. */
const REASON_TEXT: Record<Finding['reason'], string> = {
  pending: 'waiting for evidence',
  'late-span': 'its span came late',
  'caused-event': 'an event it caused arrived',
  'offset-reset': 'offset moved past it with no consumer',
  'no-effect': 'caused no event; its neighbours did',
  'no-evidence': 'nothing to tell by',
  'group-ended': 'the group ended first',
};
const REASONS: ReadonlyMap<string, string> = new Map(Object.entries(REASON_TEXT));

const CLASS_TEXT: Record<Finding['class'], string> = {
  skipped: 'skipped (loss)',
  'telemetry-missing': 'processed, span lost',
  unknown: 'unknown',
};
const CLASS_LABEL: ReadonlyMap<string, string> = new Map(Object.entries(CLASS_TEXT));

/** A row's identity from its parts (names are any string): the same group on two clusters is two rows. */
const rowKey = (...parts: (string | number | null)[]): string => JSON.stringify(parts);

function FindingRows({ rows, withClass, showCluster }: { rows: Finding[]; withClass: boolean; showCluster: boolean }) {
  return (
    <table>
      <thead>
        <tr>
          <th>Group</th>
          {showCluster && <th>Cluster</th>}
          <th>Topic / partition</th>
          <th className="num">Offset</th>
          <th>Event</th>
          <th>Saga</th>
          {withClass && <th>Class</th>}
          <th>Evidence</th>
          <th>Detected</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((u) => (
          <tr key={rowKey(u.cluster, u.group, u.topic, u.partition, u.offset)}>
            <td>
              <GroupLink group={u.group} cluster={u.cluster} />
            </td>
            {showCluster && <td>{u.cluster}</td>}
            <td>
              {u.topic} / {u.partition}
            </td>
            <td className="num">{formatInteger(u.offset)}</td>
            <td className="mono">
              <EventIdLink eventId={u.eventId} />
            </td>
            <td className="mono">
              {u.correlationId ? <Link to={`/sagas/${enc(u.correlationId)}`}>{u.correlationId}</Link> : '—'}
            </td>
            {withClass && <td>{CLASS_LABEL.get(u.class) ?? u.class}</td>}
            <td>{REASONS.get(u.reason) ?? u.reason}</td>
            <td title={formatDateTime(u.detectedMs)}>{formatRelative(u.detectedMs)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * Loss and duplicate audit: events processed twice by one group; records a group committed
 * past without a delivery span, as the evidence classifies them: skipped (loss), processed
 * with its span lost (telemetry), or unknown. With several Kafka clusters (configured, or named
 * by the rows) a Cluster column says whose group each row is; a group links to its page there.
 */
export function AuditPage() {
  const query = useAudit();
  const clusters = useClusters().data?.clusters ?? [];
  const severalClusters = (data: AuditResponse): boolean =>
    clusters.length > 1 ||
    new Set(
      [...data.findings, ...data.unaccounted, ...data.duplicates, ...data.counts.telemetryGaps].map((r) => r.cluster),
    ).size > 1;
  return (
    <>
      <div className="page-header">
        <h1>Loss and duplicate audit</h1>
        <span className="subtle">instrumented groups only: a group whose consumer spans reach the collector</span>
      </div>
      <QueryView query={query} what="the audit">
        {(data) => {
          const showCluster = severalClusters(data);
          return (
            <>
              <div className="panel figures">
                <Figure
                  label="records skipped (loss)"
                  value={formatCount(data.counts.skipped)}
                  tone={data.counts.skipped ? 'bad' : 'ok'}
                />
                <Figure
                  label="processed, span lost"
                  value={formatCount(data.counts.telemetryMissing)}
                  tone={data.counts.telemetryMissing ? 'warn' : 'ok'}
                />
                <Figure label="not known (yet)" value={formatCount(data.counts.unknown)} />
                <Figure
                  label="events processed twice (latest)"
                  value={formatCount(data.duplicates.length)}
                  tone={data.duplicates.length ? 'warn' : 'ok'}
                />
              </div>
              <section className="panel table-wrap" aria-label="Skipped records">
                <h2>Skipped: committed past with no delivery and no DLQ entry, and evidence it was not processed</h2>
                {data.unaccounted.length === 0 ? (
                  <Empty title="No skipped records." />
                ) : (
                  <FindingRows rows={data.unaccounted} withClass={false} showCluster={showCluster} />
                )}
              </section>
              <section className="panel table-wrap" aria-label="Telemetry gaps">
                <h2>Telemetry gaps: records processed whose spans never came, per group and service</h2>
                {data.counts.telemetryGaps.length === 0 ? (
                  <Empty title="No telemetry gaps." />
                ) : (
                  <table>
                    <thead>
                      <tr>
                        <th>Group</th>
                        {showCluster && <th>Cluster</th>}
                        <th>Service</th>
                        <th className="num">Records</th>
                      </tr>
                    </thead>
                    <tbody>
                      {data.counts.telemetryGaps.map((g) => (
                        <tr key={rowKey(g.cluster, g.group, g.service)}>
                          <td>
                            <GroupLink group={g.group} cluster={g.cluster} />
                          </td>
                          {showCluster && <td>{g.cluster}</td>}
                          <td>{g.service ?? '—'}</td>
                          <td className="num">{formatInteger(g.count)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                )}
              </section>
              <section className="panel table-wrap" aria-label="All findings">
                <h2>All findings, latest first</h2>
                {data.findings.length === 0 ? (
                  <Empty title="No findings." />
                ) : (
                  <FindingRows rows={data.findings} withClass showCluster={showCluster} />
                )}
              </section>
              <section className="panel table-wrap" aria-label="Duplicates">
                <h2>Duplicates: one event processed more than once by one group</h2>
                <DataTable
                  rows={data.duplicates}
                  columns={[
                    'Event',
                    'Group',
                    ...(showCluster ? ['Cluster'] : []),
                    { label: 'Times processed', className: 'num' },
                    'First',
                    'Last',
                  ]}
                  empty="No duplicate processing found."
                >
                  {(d) => (
                    <tr key={rowKey(d.cluster, d.eventId, d.group)}>
                      <td className="mono">
                        <EventIdLink eventId={d.eventId} />
                      </td>
                      <td>
                        <GroupLink group={d.group} cluster={d.cluster} />
                      </td>
                      {showCluster ? <td>{d.cluster}</td> : null}
                      <td className="num">{d.count}</td>
                      <td>{formatDateTime(d.firstMs)}</td>
                      <td>{formatRelative(d.lastMs)}</td>
                    </tr>
                  )}
                </DataTable>
              </section>
            </>
          );
        }}
      </QueryView>
    </>
  );
}
