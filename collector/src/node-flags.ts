/**
 * The Node.js (V8) flags the collector is started with: `npm start` (devstack), the Docker image,
 * docker-compose and the benchmarks all pass these, and a test checks the Docker files agree.
 *
 * Why: under steady OTLP intake the main thread allocates fast and keeps little (~40 MB live), and
 * V8's default heap sizing on a 64-bit machine lets that garbage grow the heap to 150-400 MB before
 * a full collection. A smaller young generation (8 MB semi-spaces) and an old-generation limit make
 * V8 collect at a heap near what is live: in a soak at 2,000 spans/s the main thread's heap stayed
 * at ~55 MB reserved instead of 100-170 MB (BENCHMARKS.md, figure 5). Neither flag alone does it.
 * The old-generation limit is a hard limit: the collector's memory is bounded by its intake queue
 * (EVENTSCOPE_INTAKE_QUEUE_SPANS) and page sizes, far below it; raise it with the queue.
 */
export const COLLECTOR_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=8', '--max-old-space-size=256'];
