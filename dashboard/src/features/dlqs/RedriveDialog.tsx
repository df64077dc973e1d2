import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import { useNavigate } from 'react-router';
import { useRedriveDryRun, useStartRedrive } from '../../api/queries.ts';
import { type DlqRecord, type RedriveRequest, type RedriveSelect } from '../../api/types.ts';
import { ErrorState } from '../../components/states.tsx';
import { formatInteger } from '../../lib/format.ts';
import './redrive.css';

/** A record picked on the DLQ page (partition, offset as the API takes it: a decimal string). */
export interface PickedRecord {
  partition: number;
  offset: string;
}

/** What the dialog opens with: a cause's error class, or the records picked in the list. */
export interface RedrivePreset {
  errorClass?: string;
  picked?: readonly PickedRecord[];
}

/** The form's first rate: a slow start an operator raises on purpose (the API needs one, 1..10000/s). */
const INITIAL_RATE = 50;
const MAX_RATE = 10_000;

interface FilterForm {
  errorClass: string;
  originalTopic: string;
  group: string;
  key: string;
  headerName: string;
  headerValue: string;
  from: string;
  to: string;
}

const EMPTY_FILTER: FilterForm = {
  errorClass: '',
  originalTopic: '',
  group: '',
  key: '',
  headerName: '',
  headerValue: '',
  from: '',
  to: '',
};

/** A datetime-local value as ms since the epoch, or undefined when empty or invalid. */
function localMs(v: string): number | undefined {
  if (v === '') return undefined;
  const ms = new Date(v).getTime();
  return Number.isFinite(ms) ? ms : undefined;
}

/** The form as the API's selection; a string says what is wrong instead. */
export function toSelect(
  kind: RedriveSelect['kind'],
  f: FilterForm,
  picked: readonly PickedRecord[],
): RedriveSelect | string {
  if (kind === 'all') return { kind: 'all' };
  if (kind === 'offsets') {
    if (picked.length === 0) return 'Pick records in the list first.';
    return { kind: 'offsets', records: picked.map((p) => ({ partition: p.partition, offset: p.offset })) };
  }
  const select: RedriveSelect = { kind: 'filter' };
  if (f.errorClass !== '') select.errorClass = f.errorClass;
  if (f.originalTopic.trim() !== '') select.originalTopic = f.originalTopic.trim();
  if (f.group.trim() !== '') select.group = f.group.trim();
  if (f.key !== '') select.key = f.key;
  if (f.headerName.trim() !== '') select.header = { name: f.headerName.trim(), value: f.headerValue };
  else if (f.headerValue !== '') return 'A header value needs a header name.';
  const fromMs = localMs(f.from);
  const toMs = localMs(f.to);
  if (fromMs !== undefined) select.fromMs = fromMs;
  if (toMs !== undefined) select.toMs = toMs;
  if (fromMs !== undefined && toMs !== undefined && toMs <= fromMs) return '"Until" must be after "from".';
  return select;
}

/**
 * Redrive records of a DLQ: pick them (all, a filter, or the records picked in the list), the
 * target and a rate; a dry run shows how many and a sample; then start, and go to its progress.
 */
export function RedriveDialog({
  topic,
  errorClasses,
  groups,
  preset,
  onClose,
}: {
  topic: string;
  errorClasses: readonly string[];
  groups: readonly string[];
  preset: RedrivePreset;
  onClose: () => void;
}) {
  const picked = preset.picked ?? [];
  const [kind, setKind] = useState<RedriveSelect['kind']>(
    picked.length ? 'offsets' : preset.errorClass !== undefined ? 'filter' : 'all',
  );
  const [filter, setFilter] = useState<FilterForm>({ ...EMPTY_FILTER, errorClass: preset.errorClass ?? '' });
  const [target, setTarget] = useState<RedriveRequest['target']['kind']>('group-retry');
  const [rate, setRate] = useState(String(INITIAL_RATE));
  const dryRun = useRedriveDryRun(topic);
  const start = useStartRedrive(topic);
  const navigate = useNavigate();
  const titleId = useId();
  const first = useRef<HTMLInputElement>(null);

  // Focus moves into the dialog, and back to what opened it when it closes.
  useEffect(() => {
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    first.current?.focus();
    return () => opener?.focus();
  }, []);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);

  const select = toSelect(kind, filter, picked);
  const rateNum = Number(rate);
  const rateError =
    Number.isInteger(rateNum) && rateNum >= 1 && rateNum <= MAX_RATE
      ? null
      : `The rate is a whole number of records per second, 1 to ${formatInteger(MAX_RATE)}.`;
  const problem = typeof select === 'string' ? select : rateError;
  const request =
    typeof select === 'string' || rateError ? null : { select, target: { kind: target }, ratePerSecond: rateNum };

  // Any change of the form makes the last dry run stale: it must be run again before a start.
  const edit = (fn: () => void) => {
    fn();
    dryRun.reset();
    start.reset();
  };
  const field = (name: keyof FilterForm) => ({
    value: filter[name],
    onChange: (e: { target: { value: string } }) => edit(() => setFilter({ ...filter, [name]: e.target.value })),
  });

  const onDryRun = (e: FormEvent) => {
    e.preventDefault();
    if (request) dryRun.mutate(request);
  };
  const onStart = () => {
    if (request)
      start.mutate(request, {
        onSuccess: ({ redrive }) => void navigate(`/redrives/${encodeURIComponent(redrive.id)}`),
      });
  };

  return (
    <div className="dialog-backdrop">
      <div className="panel dialog" role="dialog" aria-modal="true" aria-labelledby={titleId}>
        <h2 id={titleId}>Redrive records of {topic}</h2>
        <form onSubmit={onDryRun}>
          <fieldset>
            <legend>Records</legend>
            <label>
              <input
                ref={first}
                type="radio"
                name="select"
                checked={kind === 'all'}
                onChange={() => edit(() => setKind('all'))}
              />{' '}
              every record in the DLQ
            </label>
            <label>
              <input
                type="radio"
                name="select"
                checked={kind === 'filter'}
                onChange={() => edit(() => setKind('filter'))}
              />{' '}
              records matching a filter
            </label>
            <label>
              <input
                type="radio"
                name="select"
                checked={kind === 'offsets'}
                disabled={picked.length === 0}
                onChange={() => edit(() => setKind('offsets'))}
              />{' '}
              the {formatInteger(picked.length)} records picked in the list
            </label>
          </fieldset>
          {kind === 'filter' ? (
            <fieldset className="dialog-filter">
              <legend>Filter (every field given must match)</legend>
              <label>
                Error class{' '}
                <select {...field('errorClass')}>
                  <option value="">any</option>
                  {errorClasses.map((c) => (
                    <option key={c} value={c}>
                      {c}
                    </option>
                  ))}
                </select>
              </label>
              <label>
                Original topic <input type="text" {...field('originalTopic')} />
              </label>
              <label>
                Consumer group <input type="text" list={`${titleId}-groups`} {...field('group')} />
                <datalist id={`${titleId}-groups`}>
                  {groups.map((g) => (
                    <option key={g} value={g} />
                  ))}
                </datalist>
              </label>
              <label>
                Key <input type="text" {...field('key')} />
              </label>
              <label>
                Header name <input type="text" {...field('headerName')} />
              </label>
              <label>
                Header value <input type="text" {...field('headerValue')} />
              </label>
              <label>
                From <input type="datetime-local" step="1" {...field('from')} />
              </label>
              <label>
                Until <input type="datetime-local" step="1" {...field('to')} />
              </label>
            </fieldset>
          ) : null}
          <fieldset>
            <legend>Send to</legend>
            <label>
              <input
                type="radio"
                name="target"
                checked={target === 'group-retry'}
                onChange={() => edit(() => setTarget('group-retry'))}
              />{' '}
              the failed group&apos;s retry topic (<code>&lt;group&gt;.retry</code>: no other group sees it twice)
            </label>
            <label>
              <input
                type="radio"
                name="target"
                checked={target === 'original'}
                onChange={() => edit(() => setTarget('original'))}
              />{' '}
              the original topic (every group reading it gets it again)
            </label>
          </fieldset>
          <label>
            Rate limit (records per second){' '}
            <input
              type="number"
              min={1}
              max={MAX_RATE}
              step={1}
              required
              value={rate}
              onChange={(e) => edit(() => setRate(e.target.value))}
            />
          </label>
          {problem ? (
            <p className="form-problem" role="alert">
              {problem}
            </p>
          ) : null}
          {dryRun.isError ? <ErrorState error={dryRun.error} what="the dry run" /> : null}
          {dryRun.data ? <DryRunResult count={dryRun.data.count} sample={dryRun.data.sample} /> : null}
          {start.isError ? <ErrorState error={start.error} what="the redrive" /> : null}
          <div className="dialog-actions">
            <button type="submit" disabled={request === null || dryRun.isPending}>
              {dryRun.isPending ? 'Counting…' : 'Dry run'}
            </button>
            <button
              type="button"
              className="primary"
              onClick={onStart}
              disabled={request === null || !dryRun.data || dryRun.data.count === 0 || start.isPending}
              title={dryRun.data ? undefined : 'Run a dry run of this selection first.'}
            >
              {dryRun.data ? `Redrive ${formatInteger(dryRun.data.count)} records` : 'Redrive'}
            </button>
            <button type="button" onClick={onClose}>
              Close
            </button>
          </div>
        </form>
      </div>
    </div>
  );
}

function DryRunResult({ count, sample }: { count: number; sample: readonly DlqRecord[] }) {
  return (
    <section aria-label="Dry run" className="dry-run">
      <p aria-live="polite">
        <strong>{formatInteger(count)}</strong> {count === 1 ? 'record matches' : 'records match'}; nothing was sent.
        {sample.length ? ` A sample of ${formatInteger(sample.length)}:` : ''}
      </p>
      {sample.length ? (
        <div className="table-wrap">
          <table aria-label="Dry run sample">
            <thead>
              <tr>
                <th>DLQ record</th>
                <th>Error class</th>
                <th>Original</th>
                <th>Group</th>
                <th>Key</th>
              </tr>
            </thead>
            <tbody>
              {sample.map((r) => (
                <tr key={`${r.partition}-${r.offset}`}>
                  <td className="mono">
                    {r.partition}@{r.offset}
                  </td>
                  <td>{r.errorClass ?? '—'}</td>
                  <td className="mono">
                    {r.originalTopic ?? '?'}/{r.originalPartition ?? '?'}@{r.originalOffset ?? '?'}
                  </td>
                  <td>{r.consumerGroup ?? '—'}</td>
                  <td className="mono">{r.key ?? 'null'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}
