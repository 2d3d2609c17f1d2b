/**
 * KDF's server-sent event stream (`GET /event-stream?id=<client_id>`, contract §1.7): every status transition of
 * a task started with that `client_id` arrives as a `TASK:<task_id>` frame carrying the status object `status`
 * would return. Events can be lost (no client connected, reconnects), so polling stays as the safety net.
 *
 * @module
 */
import { randomInt } from 'node:crypto';
import got from 'got';
import { z } from 'zod';
import type { KdfNodeConfig, NodeRegistry } from '../nodes.js';
import { LightningTaskStatus } from './methods.js';
import { createRedactor } from './redactor.js';
import type { Redactor } from './redactor.js';

const RECONNECT_FIRST_MS = 250;
const RECONNECT_MAX_MS = 5_000;
const TASK_EVENT = /^TASK:(\d+)$/;
/** Transitions kept per task, and tasks kept, for pollers that start (or look) after they arrived. */
const EVENTS_KEPT_PER_TASK = 32;
const TASKS_KEPT = 10_000;
const TaskEventFrame = z.object({ _type: z.string().regex(TASK_EVENT), message: z.unknown() });

/** A transition pushed for a task. */
export interface PushedStatus {
  /** Arrival order on this stream, from 1. */
  seq: number;
  /** When it arrived (ms epoch). */
  at: number;
  /** What the frame said; null when its message is not a status object (then only `status` can tell). */
  status: LightningTaskStatus | null;
}

export interface EventStreamHooks {
  /** The stream to `node` connected (true) or dropped (false). */
  onConnection?: (node: string, connected: boolean) => void;
  onEvent?: (node: string) => void;
}

/** One node's stream, reconnecting with backoff until closed. */
export class KdfEventStream {
  /** Sent as `client_id` with every init, so KDF pushes that task's transitions here; random per worker. */
  readonly clientId = randomInt(1, 2 ** 32);
  #connected = false;
  readonly #closing = new AbortController();
  /** Recent transitions per task, oldest first; the oldest tasks are dropped beyond TASKS_KEPT. */
  readonly #events = new Map<number, PushedStatus[]>();
  #lastSeq = 0;
  readonly #waiters = new Map<number, Set<() => void>>();
  readonly #redact: Redactor;

  constructor(
    private readonly node: KdfNodeConfig,
    private readonly hooks: EventStreamHooks = {}
  ) {
    this.#redact = createRedactor(node);
    void this.#maintain();
  }

  get connected(): boolean {
    return this.#connected;
  }

  /**
   * Resolves with the transitions of `taskId` after the one numbered `afterSeq` (0: all kept), oldest first, as
   * soon as there are any; with none after `timeoutMs` or when `signal` aborts.
   */
  async waitForEvents(
    taskId: number,
    afterSeq: number,
    timeoutMs: number,
    signal: AbortSignal
  ): Promise<PushedStatus[]> {
    const newer = (): PushedStatus[] => (this.#events.get(taskId) ?? []).filter((event) => event.seq > afterSeq);
    if (newer().length > 0 || signal.aborted) return newer();
    return new Promise<PushedStatus[]>((resolve) => {
      let waiters = this.#waiters.get(taskId);
      if (!waiters) this.#waiters.set(taskId, (waiters = new Set()));
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        waiters.delete(done);
        if (waiters.size === 0) this.#waiters.delete(taskId);
        resolve(newer());
      };
      const timer = setTimeout(done, timeoutMs);
      signal.addEventListener('abort', done, { once: true });
      waiters.add(done);
    });
  }

  /** Drops what was kept for a task that nobody will wait for again. */
  forget(taskId: number): void {
    this.#events.delete(taskId);
  }

  close(): void {
    this.#closing.abort();
  }

  async #maintain(): Promise<void> {
    let backoffMs = RECONNECT_FIRST_MS;
    while (!this.#closing.signal.aborted) {
      const receivedAny = await this.#consume().catch(() => false);
      this.#setConnected(false);
      if (receivedAny) backoffMs = RECONNECT_FIRST_MS;
      await new Promise((resolve) => setTimeout(resolve, backoffMs).unref());
      backoffMs = Math.min(backoffMs * 2, RECONNECT_MAX_MS);
    }
  }

  /** Reads one connection until it ends; resolves whether it delivered anything. */
  async #consume(): Promise<boolean> {
    const url = new URL(`event-stream?id=${this.clientId}`, this.node.url);
    const stream = got.stream(url, { retry: { limit: 0 }, signal: this.#closing.signal, throwHttpErrors: true });
    // errors reach the loop below while it reads; one emitted after it (an abort on close) must not crash
    stream.on('error', () => undefined);
    let buffered = '';
    let receivedAny = false;
    stream.on('response', () => {
      this.#setConnected(true);
      // a connection is healthy once KDF accepted it; it resets the backoff like data does
      receivedAny = true;
    });
    for await (const chunk of stream) {
      buffered += String(chunk);
      let end: number;
      while ((end = buffered.indexOf('\n\n')) >= 0) {
        this.#frame(buffered.slice(0, end));
        buffered = buffered.slice(end + 2);
      }
    }
    return receivedAny;
  }

  #frame(frame: string): void {
    for (const line of frame.split('\n')) {
      if (!line.startsWith('data:')) continue;
      const event = TaskEventFrame.safeParse(this.#redact.deep(parseJson(line.slice(5))));
      if (!event.success) continue;
      const taskId = Number(TASK_EVENT.exec(event.data._type)?.[1]);
      this.hooks.onEvent?.(this.node.id);
      const status = LightningTaskStatus.safeParse(event.data.message);
      this.#keep(taskId, { seq: ++this.#lastSeq, at: Date.now(), status: status.success ? status.data : null });
      for (const wake of [...(this.#waiters.get(taskId) ?? [])]) wake();
    }
  }

  #keep(taskId: number, event: PushedStatus): void {
    const events = this.#events.get(taskId) ?? [];
    this.#events.delete(taskId); // re-inserted last: the map's order is the order tasks were last heard of
    this.#events.set(taskId, [...events.slice(1 - EVENTS_KEPT_PER_TASK), event]);
    if (this.#events.size > TASKS_KEPT) this.#events.delete(this.#events.keys().next().value as number);
  }

  #setConnected(connected: boolean): void {
    if (this.#connected === connected) return;
    this.#connected = connected;
    this.hooks.onConnection?.(this.node.id, connected);
  }
}

/** The streams of every node whose config opts in (`eventStream: true`), opened on first use. */
export class KdfEventStreams {
  readonly #streams = new Map<string, KdfEventStream>();

  constructor(
    private readonly nodes: NodeRegistry,
    private readonly hooks: EventStreamHooks = {}
  ) {}

  for(node: string): KdfEventStream | undefined {
    const config = this.nodes.get(node);
    if (!config?.eventStream) return undefined;
    let stream = this.#streams.get(node);
    if (!stream) this.#streams.set(node, (stream = new KdfEventStream(config, this.hooks)));
    return stream;
  }

  close(): void {
    for (const stream of this.#streams.values()) stream.close();
    this.#streams.clear();
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
