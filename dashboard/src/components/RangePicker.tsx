import { useState, type FormEvent } from 'react';
import { formatDateTime } from '../lib/format.ts';
import { RANGES, useRange } from '../lib/url-state.ts';
import './time-range.css';

const pad = (n: number) => String(n).padStart(2, '0');

/** Epoch ms to the value of an `<input type="datetime-local" step="1">` (local time). */
export function toLocalInput(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(
    d.getMinutes(),
  )}:${pad(d.getSeconds())}`;
}

/**
 * Time range: presets in `?range=`, or an absolute window in `?from=&to=` (a drag on any time
 * chart sets one too). "Custom" opens a form with local date-times.
 */
export function RangePicker() {
  const { id, window: win, setRange, setWindow } = useRange();
  const [open, setOpen] = useState(false);
  const [error, setError] = useState('');
  const apply = (ev: FormEvent<HTMLFormElement>) => {
    ev.preventDefault();
    const form = new FormData(ev.currentTarget);
    const value = (name: string) => {
      const v = form.get(name);
      return typeof v === 'string' ? v : '';
    };
    const from = new Date(value('from')).getTime();
    const to = new Date(value('to')).getTime();
    if (!Number.isFinite(from) || !Number.isFinite(to)) return setError('Enter both times.');
    if (from >= to) return setError('"From" must be before "To".');
    setError('');
    setOpen(false);
    setWindow({ fromMs: from, toMs: to });
  };
  const now = Date.now();
  return (
    <div className="range-picker">
      {win ? (
        <span className="range-window" data-testid="range-window">
          {formatDateTime(win.fromMs)} – {formatDateTime(win.toMs)}
        </span>
      ) : null}
      <div className="segmented" role="group" aria-label="Time range">
        {RANGES.map((r) => (
          <button key={r.id} type="button" aria-pressed={r.id === id} onClick={() => setRange(r.id)}>
            {r.label}
          </button>
        ))}
        <button type="button" aria-pressed={id === 'custom'} aria-expanded={open} onClick={() => setOpen(!open)}>
          Custom
        </button>
      </div>
      {open ? (
        <form className="range-form panel" aria-label="Custom time range" onSubmit={apply}>
          <label>
            From{' '}
            <input
              type="datetime-local"
              name="from"
              step={1}
              required
              defaultValue={toLocalInput(win?.fromMs ?? now - 3_600_000)}
            />
          </label>
          <label>
            To <input type="datetime-local" name="to" step={1} required defaultValue={toLocalInput(win?.toMs ?? now)} />
          </label>
          <button type="submit">Apply</button>
          {error ? (
            <span role="alert" className="range-error">
              {error}
            </span>
          ) : null}
        </form>
      ) : null}
    </div>
  );
}
