/**
 * Readable numbers and units. Every formatter takes `null`/`undefined`/NaN and returns the
 * placeholder `—`, so views never print "NaN ms" or "null".
 * Output is locale-independent (en-US digits) so screenshots and tests are stable.
 */

export const NONE = '—';

type Num = number | null | undefined;

function known(n: Num): n is number {
  return typeof n === 'number' && Number.isFinite(n);
}

/** Up to one decimal below 100, none above; a trailing ".0" is dropped. */
function compact(n: number): string {
  const abs = Math.abs(n);
  const s = abs < 100 ? n.toFixed(1) : n.toFixed(0);
  return s.endsWith('.0') ? s.slice(0, -2) : s;
}

const SI = ['', 'k', 'M', 'G', 'T'];

/** 999 -> "999", 1_234 -> "1.2k", 12_345 -> "12.3k", 123_456 -> "123k", 1_500_000 -> "1.5M". */
export function formatCount(n: Num): string {
  if (!known(n)) return NONE;
  let unit = 0;
  let scaled = n;
  while (Math.abs(scaled) >= 1000 && unit < SI.length - 1) {
    scaled /= 1000;
    unit += 1;
  }
  // Rounding can reach the next unit: 999_960 is "1M", not "1000k".
  if (Math.abs(Number(compact(scaled))) >= 1000 && unit < SI.length - 1) {
    scaled /= 1000;
    unit += 1;
  }
  if (unit === 0 && Number.isInteger(n)) return String(n);
  return `${compact(scaled)}${SI[unit]}`;
}

/** Exact integer with thousands separators: 1234567 -> "1,234,567". */
export function formatInteger(n: Num): string {
  if (!known(n)) return NONE;
  return Math.round(n).toLocaleString('en-US');
}

/** Per-second rate: 1234 -> "1.2k/s", 0.25 -> "0.25/s", 0.001 -> "<0.01/s", 0 -> "0/s". */
export function formatRate(perSecond: Num, unit = '/s'): string {
  if (!known(perSecond)) return NONE;
  const abs = Math.abs(perSecond);
  if (abs > 0 && abs < 0.005) return `<0.01${unit}`;
  if (abs > 0 && abs < 1) return `${perSecond.toFixed(2).replace(/0$/, '')}${unit}`;
  return `${formatCount(perSecond)}${unit}`;
}

/**
 * Duration in milliseconds: 0.42 -> "0.4 ms", 42 -> "42 ms", 4200 -> "4.2 s", 42_000 -> "42 s",
 * 252_000 -> "4 min 12 s", 2_520_000 -> "42 min", 15_120_000 -> "4 h 12 min", 3 d 4 h.
 */
export function formatDuration(ms: Num): string {
  if (!known(ms)) return NONE;
  if (ms < 0) return `-${formatDuration(-ms)}`;
  if (ms === 0) return '0 ms';
  if (ms < 10) return `${compact(ms)} ms`;
  if (ms < 999.5) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 59.95) return `${compact(s)} s`;
  const totalSeconds = Math.round(s);
  const totalMinutes = Math.floor(totalSeconds / 60);
  if (totalMinutes < 60) {
    const sec = totalSeconds % 60;
    return totalMinutes < 10 && sec > 0 ? `${totalMinutes} min ${sec} s` : `${Math.round(s / 60)} min`;
  }
  const totalHours = Math.floor(totalMinutes / 60);
  if (totalHours < 24) {
    const min = totalMinutes % 60;
    return min > 0 ? `${totalHours} h ${min} min` : `${totalHours} h`;
  }
  const days = Math.floor(totalHours / 24);
  const hours = totalHours % 24;
  return hours > 0 ? `${days} d ${hours} h` : `${days} d`;
}

/** Duration in seconds (lag, time to catch up). */
export function formatSeconds(seconds: Num): string {
  return known(seconds) ? formatDuration(seconds * 1000) : NONE;
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** 512 -> "512 B", 1536 -> "1.5 KiB", 10 * 2**20 -> "10 MiB". */
export function formatBytes(bytes: Num): string {
  if (!known(bytes)) return NONE;
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${Math.round(value)} B` : `${compact(value)} ${BYTE_UNITS[unit]}`;
}

/** 0.1234 -> "12.3%". */
export function formatPercent(ratio: Num): string {
  if (!known(ratio)) return NONE;
  return `${compact(ratio * 100)}%`;
}

/** Accepts epoch milliseconds or an ISO string; null when neither. */
export function toMs(t: number | string | null | undefined): number | null {
  if (typeof t === 'number') return Number.isFinite(t) ? t : null;
  if (typeof t === 'string') {
    const ms = Date.parse(t);
    return Number.isNaN(ms) ? null : ms;
  }
  return null;
}

/** "just now", "42 s ago", "5 min ago", "3 h ago", "2 d ago", "in 5 min". */
export function formatRelative(t: number | string | null | undefined, now: number = Date.now()): string {
  const ms = toMs(t);
  if (ms === null) return NONE;
  const diff = now - ms;
  const abs = Math.abs(diff);
  if (abs < 5000) return 'just now';
  let text: string;
  if (abs < 60_000) text = `${Math.floor(abs / 1000)} s`;
  else if (abs < 3_600_000) text = `${Math.floor(abs / 60_000)} min`;
  else if (abs < 86_400_000) text = `${Math.floor(abs / 3_600_000)} h`;
  else text = `${Math.floor(abs / 86_400_000)} d`;
  return diff >= 0 ? `${text} ago` : `in ${text}`;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** Local wall-clock time "14:03:21". */
export function formatClock(t: number | string | null | undefined): string {
  const ms = toMs(t);
  if (ms === null) return NONE;
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** Local wall-clock time with milliseconds "14:03:21.042", for hop timings. */
export function formatClockMs(t: number | string | null | undefined): string {
  const ms = toMs(t);
  if (ms === null) return NONE;
  return `${formatClock(ms)}.${pad(new Date(ms).getMilliseconds(), 3)}`;
}

/** Local "2026-11-27 14:03:21". */
export function formatDateTime(t: number | string | null | undefined): string {
  const ms = toMs(t);
  if (ms === null) return NONE;
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${formatClock(ms)}`;
}

/** Long ids (UUIDs, trace ids) shortened for tables: "0193a1b2…c3d4". The full id belongs in a title. */
export function shortId(id: string | null | undefined, head = 8, tail = 4): string {
  if (!id) return NONE;
  return id.length <= head + tail + 1 ? id : `${id.slice(0, head)}…${id.slice(-tail)}`;
}

/**
 * Growth of a queue given per second, in the unit that reads best: DLQs grow by a few
 * records a minute, so 0.1/s reads "6/min"; fast growth stays per second.
 */
export function formatGrowth(perSecond: Num): string {
  if (!known(perSecond)) return NONE;
  if (perSecond === 0) return '0/min';
  if (Math.abs(perSecond) < 1) return formatRate(perSecond * 60, '/min');
  return formatRate(perSecond);
}
