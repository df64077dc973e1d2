/**
 * The Kafka monitor's election among collectors watching one cluster (`monitorElection`): exactly
 * one of them polls. With `kafka`, Kafka's own group membership decides: every collector joins the
 * consumer group named after a 1-partition lease topic, and the member the group assigns
 * partition 0 leads. When the leader dies its session expires, the group rebalances and partition
 * 0 goes to another member; a leader that stops leaves the group at once. Nothing is ever read
 * from the lease topic.
 *
 * Within a rebalance two members may briefly both believe they lead (the old one has not heard of
 * the new generation yet): two polls of the same cluster are harmless, only wasted work.
 */
import { Admin, Consumer, MessagesStreamModes } from '@platformatic/kafka';
import type { MessagesStream } from '@platformatic/kafka';
import type { KafkaClientBase } from '../kafka/security.ts';

export interface MonitorLease {
  /** Whether this collector polls now. */
  readonly leading: boolean;
  /** Called with the new state whenever it changes. */
  onChange(listener: (leading: boolean) => void): void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** `monitorElection: off`: this collector always polls. */
export class SoleLease implements MonitorLease {
  #leading = false;
  readonly #listeners: ((leading: boolean) => void)[] = [];
  get leading(): boolean {
    return this.#leading;
  }
  onChange(listener: (leading: boolean) => void): void {
    this.#listeners.push(listener);
  }
  // eslint-disable-next-line @typescript-eslint/require-await -- the MonitorLease contract is async
  async start(): Promise<void> {
    this.#leading = true;
    for (const l of this.#listeners) l(true);
  }
  // eslint-disable-next-line @typescript-eslint/require-await -- the MonitorLease contract is async
  async stop(): Promise<void> {
    this.#leading = false;
  }
}

export interface KafkaLeaseOptions {
  /** Client id, brokers, TLS and SASL (app.kafkaClientOptions). */
  client: KafkaClientBase;
  /** The lease topic, also the group's name. */
  topic: string;
  /** Session timeout: how long a dead leader keeps the lease (the broker's minimum is 6 s by default). */
  sessionTimeoutMs: number;
  log: (level: 'info' | 'warn', message: string, extra?: Record<string, unknown>) => void;
}

/** Wait before trying to join again after a failure (ms). */
const RETRY_MS = 2000;
/** How often the assignment is looked at, besides the group's join events (ms). */
const CHECK_MS = 500;

/** `monitorElection: kafka`: the member assigned partition 0 of the lease topic leads. */
export class KafkaLease implements MonitorLease {
  readonly #o: KafkaLeaseOptions;
  readonly #listeners: ((leading: boolean) => void)[] = [];
  #leading = false;
  #consumer: Consumer | undefined;
  #stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  /** Ends the wait before the next attempt to join. */
  #wake: (() => void) | undefined;

  constructor(options: KafkaLeaseOptions) {
    this.#o = options;
  }

  get leading(): boolean {
    return this.#leading;
  }

  onChange(listener: (leading: boolean) => void): void {
    this.#listeners.push(listener);
  }

  #set(leading: boolean): void {
    if (leading === this.#leading) return;
    this.#leading = leading;
    this.#o.log('info', leading ? 'leading the Kafka monitor' : 'following: another collector polls Kafka', {
      leaseTopic: this.#o.topic,
    });
    for (const l of this.#listeners) l(leading);
  }

  /**
   * Joins the election; while Kafka cannot be reached it tries again every RETRY_MS (a collector
   * started before the broker must still be able to lead). Resolves once joined or stopped.
   */
  async start(): Promise<void> {
    this.#stopped = false;
    while (!this.#stopped) {
      try {
        await this.#join();
        return;
      } catch (err) {
        await this.#leave();
        if (this.#stopped) return;
        this.#o.log('warn', `cannot join the monitor election; retrying in ${RETRY_MS / 1000} s`, { err });
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
          setTimeout(resolve, RETRY_MS).unref();
        });
      }
    }
  }

  /** Creates the lease topic if missing (one partition), joins its group and watches the assignment. */
  async #join(): Promise<void> {
    const o = this.#o;
    const admin = new Admin(o.client);
    try {
      await admin.createTopics({ topics: [o.topic], partitions: 1, replicas: -1 });
    } catch (err) {
      // Already there (another collector made it): the usual case.
      if (!/already exists/i.test(JSON.stringify((err as { errors?: unknown }).errors ?? String(err)))) throw err;
    } finally {
      await admin.close().catch(() => undefined);
    }
    if (this.#stopped) return;
    const sessionTimeout = o.sessionTimeoutMs;
    const c = new Consumer({
      ...o.client,
      groupId: o.topic,
      sessionTimeout,
      rebalanceTimeout: sessionTimeout,
      heartbeatInterval: Math.min(1000, Math.floor(sessionTimeout / 3)),
      autocreateTopics: false,
    });
    this.#consumer = c;
    // Heartbeats failing: the coordinator may have given the lease away already; a join says again.
    let member = false;
    const check = (): void => {
      const a = c.assignments ?? [];
      this.#set(member && a.some((x) => x.topic === o.topic && x.partitions.includes(0)));
    };
    c.on('consumer:group:join', () => {
      member = true;
      check();
    });
    for (const lost of ['consumer:group:leave', 'consumer:heartbeat:error']) {
      c.on(lost, () => {
        member = false;
        check();
      });
    }
    this.#stream = await c.consume({ topics: [o.topic], mode: MessagesStreamModes.LATEST, autocommit: false });
    this.#stream.on('error', (err: Error) => o.log('warn', 'monitor lease stream error', { err }));
    // Stopped while joining: stop() may have found nothing to close yet.
    if (this.#stopped) {
      await this.#leave();
      return;
    }
    this.#timer = setInterval(check, CHECK_MS);
    this.#timer.unref();
    check();
  }

  /** Leaves the group at once, so another collector takes over without waiting for the session to expire. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#leave();
  }

  async #leave(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#set(false);
    const c = this.#consumer;
    const s = this.#stream;
    this.#consumer = undefined;
    this.#stream = undefined;
    await s?.close().catch(() => undefined);
    await c?.close(true).catch(() => undefined);
  }
}
