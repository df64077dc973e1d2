/**
 * The default of config key `heapMb`, here so that what starts a collector (the benchmarks'
 * load generator, devstack) can read the flags without loading the config module and its schemas.
 */
export const DEFAULT_HEAP_MB = 256;

/**
 * The Node.js (V8) flags the collector is started with, for an old-generation limit of `heapMb`
 * MB (config key `heapMb`, EVENTSCOPE_HEAP_MB): start.ts reads the key and passes these to the
 * server, so `npm start -w collector`, the bin, the Docker image, docker-compose and the helm chart
 * all take the limit from the key; a test checks the Docker files start through start.ts.
 *
 * Why: under steady OTLP intake the main thread allocates fast and keeps little (~40 MB live), and
 * V8's default heap sizing on a 64-bit machine lets that garbage grow the heap to 150-400 MB before
 * a full collection. A smaller young generation (8 MB semi-spaces) and an old-generation limit make
 * V8 collect at a heap near what is live: in a soak at 2,000 spans/s the main thread's heap stayed
 * at ~55 MB reserved instead of 100-170 MB (BENCHMARKS.md, figure 5). Neither flag alone does it.
 * The old-generation limit is a hard limit: the collector's memory is bounded by its intake queue
 * (EVENTSCOPE_INTAKE_QUEUE_SPANS), page sizes and the Kafka monitor's group-partitions (~0.5 KB
 * each, BENCHMARKS.md figure 4); raise `heapMb` with the queue or past ~200,000 group-partitions.
 */
export function collectorNodeFlags(heapMb: number = DEFAULT_HEAP_MB): readonly string[] {
  return ['--max-semi-space-size=8', `--max-old-space-size=${heapMb}`];
}

/**
 * The flags at the default `heapMb`, for what starts server.ts without reading the config:
 * devstack, the benchmarks and tests.
 */
export const COLLECTOR_NODE_FLAGS: readonly string[] = collectorNodeFlags();

/** Whether this process was started with collectorNodeFlags(heapMb) (start.ts passes them; devstack and tests may not). */
export function startedWithNodeFlags(heapMb: number, execArgv: readonly string[] = process.execArgv): boolean {
  return collectorNodeFlags(heapMb).every((flag) => execArgv.includes(flag));
}

/**
 * Environment the collector is started with, unless the user set it: glibc reads it once at
 * process start, so the collector cannot set it for itself. `npm start` (devstack), the Docker
 * image and the benchmarks pass it, and a test checks the Docker file agrees.
 *
 * Why: glibc gives each thread that allocates its own malloc arena (up to 8 per core) and keeps
 * freed memory in them; the collector has a main thread, the store's writer thread, and V8's and
 * libuv's helper threads, and SQLite's page caches and the OTLP bodies are malloc'd on several of
 * them. With 2 arenas, over a 45-minute soak at 2,000 spans/s on a 10M-event store, malloc's share
 * of RSS stayed at 56 MB instead of 77 MB, flat (BENCHMARKS.md, figure 5).
 */
export const COLLECTOR_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2' };
