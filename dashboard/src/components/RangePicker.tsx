import { RANGES, useRange } from '../lib/url-state.ts';

/** Time range segmented control, state in `?range=`. */
export function RangePicker() {
  const { id, setRange } = useRange();
  return (
    <div className="segmented" role="group" aria-label="Time range">
      {RANGES.map((r) => (
        <button key={r.id} type="button" aria-pressed={r.id === id} onClick={() => setRange(r.id)}>
          {r.label}
        </button>
      ))}
    </div>
  );
}
