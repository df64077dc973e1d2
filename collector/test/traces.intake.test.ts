/**
 * The intake queue on its own: chunking, the consumer calls it keeps in flight, depth, flush,
 * failures and the consumer's prepare step (the OTLP receiver tests cover it behind HTTP).
 */
import type { FastifyBaseLogger } from 'fastify';
import { describe, expect, it } from 'vitest';
import { IntakeQueue } from '../src/traces/intake.ts';
import type { SpanData } from '../src/traces/span.ts';
import { waitFor } from './harness.ts';

const spans = (n: number, from = 0): SpanData[] =>
  Array.from({ length: n }, (_, i) => ({ spanId: String(from + i) }) as unknown as SpanData);

function logger(): FastifyBaseLogger & { errors: unknown[] } {
  const errors: unknown[] = [];
  return { errors, error: (obj: unknown) => errors.push(obj) } as unknown as FastifyBaseLogger & { errors: unknown[] };
}

/** A promise with its resolve, for a consumer the test finishes by hand. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe('intake queue', () => {
  it('hands chunks in order, keeps at most `inFlight` consumer calls running, and flushes them all', async () => {
    const q = new IntakeQueue({ limit: 1000, chunk: 10, inFlight: 2, log: logger() });
    const started: string[] = [];
    const gates: ReturnType<typeof gate>[] = [];
    q.setConsumer((chunk) => {
      started.push(`${chunk[0]?.spanId}+${chunk.length}`);
      const g = gate();
      gates.push(g);
      return g.promise;
    });
    expect(q.offer(spans(25))).toBe(true);
    expect(q.offer(spans(10, 25))).toBe(true);
    await waitFor('2 chunks started', () => started.length === 2, 2000);
    // Two running, the rest waits for one of them.
    expect(started).toEqual(['0+10', '10+10']);
    expect(q.depth).toBe(35);
    gates[1]?.open(); // the second finishing first frees a slot as well
    await waitFor('3 chunks started', () => started.length === 3, 2000);
    expect(q.depth).toBe(25);
    expect(started[2]).toBe('20+10');
    let flushed = false;
    const flush = q.flush().then(() => (flushed = true));
    for (const g of gates) g.open();
    await waitFor('4 chunks started', () => started.length === 4, 2000);
    expect(flushed).toBe(false); // the last chunk is still running
    for (const g of gates) g.open();
    await flush;
    expect(flushed).toBe(true);
    expect(started).toEqual(['0+10', '10+10', '20+10', '30+5']);
    expect(q.depth).toBe(0);
  });

  it('counts a failing chunk, logs it and goes on with the next', async () => {
    const log = logger();
    const failed: number[] = [];
    const q = new IntakeQueue({ limit: 100, chunk: 4, log, onConsumerError: (n) => failed.push(n) });
    const seen: number[] = [];
    q.setConsumer((chunk) => {
      seen.push(chunk.length);
      return seen.length === 1 ? Promise.reject(new Error('disk full')) : Promise.resolve();
    });
    q.offer(spans(6));
    await q.flush();
    expect(seen).toEqual([4, 2]);
    expect(failed).toEqual([4]);
    expect(log.errors).toHaveLength(1);
    expect(q.depth).toBe(0);
  });

  it("queues what the consumer's prepare step makes of the spans, counting only that as waiting", async () => {
    const log = logger();
    const failed: number[] = [];
    const q = new IntakeQueue({ limit: 100, chunk: 4, log, onConsumerError: (n) => failed.push(n) });
    // Offered before there is a consumer: kept as spans, prepared when it comes.
    expect(q.offer(spans(3))).toBe(true);
    expect(q.depth).toBe(3);
    const prepared: number[] = [];
    const got: number[][] = [];
    const g = gate();
    q.setConsumer(
      async (items: number[]) => {
        await g.promise;
        got.push(items);
      },
      (batch) => {
        prepared.push(batch.length);
        if (batch.length === 7) throw new Error('bug in prepare');
        // Keep the even span ids only, as numbers.
        return batch.map((x) => Number(x.spanId)).filter((n) => n % 2 === 0);
      },
    );
    expect(prepared).toEqual([3]);
    expect(q.depth).toBe(2); // 0 and 2
    expect(q.offer(spans(6, 10))).toBe(true); // prepared at once: 10, 12, 14
    expect(prepared).toEqual([3, 6]);
    expect(q.depth).toBe(5);
    expect(q.offer(spans(1, 21))).toBe(true); // nothing left to queue
    expect(q.depth).toBe(5);
    // A failing prepare step loses those spans, logged and counted like a failing consumer.
    expect(q.offer(spans(7, 30))).toBe(true);
    expect(failed).toEqual([7]);
    expect(log.errors).toHaveLength(1);
    expect(q.depth).toBe(5);
    g.open();
    await q.flush();
    // The first chunk started when the consumer came (the prepared early spans), the rest after.
    expect(got).toEqual([
      [0, 2],
      [10, 12, 14],
    ]);
    expect(q.depth).toBe(0);
  });

  it('refuses what does not fit while spans wait, and everything once closed', async () => {
    const q = new IntakeQueue({ limit: 10, log: logger() });
    expect(q.offer(spans(8))).toBe(true);
    expect(q.offer(spans(5))).toBe(false);
    expect(q.full).toBe(true);
    const got: number[] = [];
    q.setConsumer((chunk) => {
      got.push(chunk.length);
      return Promise.resolve();
    });
    await q.close();
    expect(got).toEqual([8]);
    expect(q.offer(spans(1))).toBe(false);
  });
});
