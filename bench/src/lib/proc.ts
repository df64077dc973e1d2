/**
 * CPU time from Linux's /proc: per process and per thread, by thread name. Thread names tell the
 * collector's threads apart: `MainThread` (Node's main thread: HTTP, decoding, assembling), the
 * store's writer (`WorkerThread`, a worker_threads Worker), V8's platform workers (`V8Worker`:
 * parallel and concurrent garbage collection, background compilation) and libuv's pool.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** USER_HZ, the unit of utime/stime in /proc/.../stat; 100 on Linux. */
const TICKS_PER_SECOND = 100;

/** user + system CPU in ms from the text of a /proc/<pid>[/task/<tid>]/stat file. */
export function statCpuMs(stat: string): number {
  // Fields after the command name (which may contain spaces and parentheses): utime and stime
  // are the 14th and 15th fields overall, the 12th and 13th after the name.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(rest[11]) + Number(rest[12])) * 1000) / TICKS_PER_SECOND;
}

/** user + system CPU of a process in ms; NaN when it cannot be read (gone, or not Linux). */
export function processCpuMs(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    return statCpuMs(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return NaN;
  }
}

/**
 * CPU in ms of each live thread of a process, summed by thread name ({} when /proc cannot be read).
 * Threads that ended since are not in it, so compare two readings of long-lived threads only.
 */
export function threadCpuMs(pid: number | 'self' = 'self'): Record<string, number> {
  const out: Record<string, number> = {};
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      out[name] = (out[name] ?? 0) + statCpuMs(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8'));
    } catch {
      // The thread ended between listing and reading.
    }
  }
  return out;
}

/** Per-name difference of two `threadCpuMs` readings (names only in `after` count from 0). */
export function threadCpuDelta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, ms] of Object.entries(after)) out[name] = ms - (before[name] ?? 0);
  return out;
}
