/**
 * Where a process's resident memory lives, from /proc/<pid>/smaps (Linux): what V8 reports as
 * its heaps does not explain RSS on its own, and a soak that grows with flat heaps needs the
 * growing mapping named.
 *
 * - mallocHeapMb: the main thread's malloc arena (the `[heap]` mapping, grown with brk).
 * - mallocArenasMb: glibc's per-thread malloc arenas: anonymous read-write mappings that start on a
 *   64 MB boundary and, with the inaccessible reservation after them, span 64 MB (HEAP_MAX_SIZE on
 *   64-bit glibc). SQLite's page caches live in these arenas and in `[heap]`.
 * - fileMb: file-backed pages (the node binary, shared libraries, SQLite's -shm index).
 * - anonOtherMb: every other anonymous page: V8's heaps and code space, thread stacks, and malloc
 *   blocks large enough to get a mapping of their own.
 */
import { readFileSync } from 'node:fs';

export interface NativeMemory {
  rssMb: number;
  mallocHeapMb: number;
  mallocArenasMb: number;
  /** Number of thread arenas found. */
  arenas: number;
  fileMb: number;
  anonOtherMb: number;
}

const ARENA_SPAN = 64 * 1024 * 1024;

interface Mapping {
  start: number;
  end: number;
  perms: string;
  path: string;
  rssKb: number;
}

/** Parses smaps text into mappings with their resident size. */
export function parseSmaps(text: string): Mapping[] {
  const out: Mapping[] = [];
  let cur: Mapping | undefined;
  for (const line of text.split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      cur = {
        start: parseInt(head[1] as string, 16),
        end: parseInt(head[2] as string, 16),
        perms: head[3] as string,
        path: (head[4] ?? '').trim(),
        rssKb: 0,
      };
      out.push(cur);
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss && cur) cur.rssKb = Number(rss[1]);
  }
  return out;
}

/** Classifies mappings (see the module comment). */
export function classify(maps: Mapping[]): NativeMemory {
  let heap = 0;
  let arenas = 0;
  let arenaCount = 0;
  let file = 0;
  let anon = 0;
  let total = 0;
  for (let i = 0; i < maps.length; i++) {
    const m = maps[i] as Mapping;
    total += m.rssKb;
    if (m.path === '[heap]') heap += m.rssKb;
    else if (m.path.startsWith('/')) file += m.rssKb;
    else if (m.path === '' && m.perms.startsWith('rw') && isArena(m, maps[i + 1])) {
      arenas += m.rssKb;
      arenaCount++;
    } else anon += m.rssKb;
  }
  const mb = (kb: number): number => Math.round((kb / 1024) * 10) / 10;
  return {
    rssMb: mb(total),
    mallocHeapMb: mb(heap),
    mallocArenasMb: mb(arenas),
    arenas: arenaCount,
    fileMb: mb(file),
    anonOtherMb: mb(anon),
  };
}

function isArena(m: Mapping, next: Mapping | undefined): boolean {
  if (m.start % ARENA_SPAN !== 0) return false;
  const size = m.end - m.start;
  if (size === ARENA_SPAN) return true;
  return (
    next !== undefined && next.start === m.end && next.perms.startsWith('---') && next.end - m.start === ARENA_SPAN
  );
}

/** The breakdown for a process (default: this one); undefined where /proc is not there. */
export function nativeMemory(pid: number | 'self' = 'self'): NativeMemory | undefined {
  try {
    return classify(parseSmaps(readFileSync(`/proc/${pid}/smaps`, 'utf8')));
  } catch {
    return undefined;
  }
}

/** A process's environment as it was started (/proc/<pid>/environ); undefined where /proc is not there. */
export function environOf(pid: number): Record<string, string> | undefined {
  try {
    const out: Record<string, string> = {};
    for (const kv of readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')) {
      const i = kv.indexOf('=');
      if (i > 0) out[kv.slice(0, i)] = kv.slice(i + 1);
    }
    return out;
  } catch {
    return undefined;
  }
}
