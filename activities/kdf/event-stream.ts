/**
 * KDF's server-sent event stream (`GET /event-stream?id=<client_id>`, contract §1.7): every status transition of
 * a task started with that `client_id` arrives as a `TASK:<task_id>` frame. Events can be lost (no client
 * connected, reconnects), so they only wake a poller early; the poller confirms with a `status` call.
 *
 * @module
 */
import { randomInt } from 'node:crypto';
import got from 'got';
import type { KdfNodeConfig, NodeRegistry } from '../nodes.js';

const RECONNECT_FIRST_MS = 250;
const RECONNECT_MAX_MS = 5_000;
const TASK_EVENT = /^TASK:(\d+)$/;

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
  /** Time of the latest event per task that a poller follows. */
  readonly #lastEventAt = new Map<number, number>();
  readonly #waiters = new Map<number, Set<() => void>>();

  constructor(
    private readonly node: KdfNodeConfig,
    private readonly hooks: EventStreamHooks = {}
  ) {
    void this.#maintain();
  }

  get connected(): boolean {
    return this.#connected;
  }

  /** Follow `taskId`: events for tasks nobody follows are ignored. */
  follow(taskId: number): void {
    if (!this.#lastEventAt.has(taskId)) this.#lastEventAt.set(taskId, 0);
  }

  unfollow(taskId: number): void {
    this.#lastEventAt.delete(taskId);
  }

  /**
   * Resolves `true` as soon as an event for `taskId` newer than `since` (ms epoch) arrives, `false` after
   * `timeoutMs` or when `signal` aborts.
   */
  async waitForEvent(taskId: number, since: number, timeoutMs: number, signal: AbortSignal): Promise<boolean> {
    if ((this.#lastEventAt.get(taskId) ?? 0) > since) return true;
    return new Promise<boolean>((resolve) => {
      let waiters = this.#waiters.get(taskId);
      if (!waiters) this.#waiters.set(taskId, (waiters = new Set()));
      const done = (woke: boolean) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', aborted);
        waiters.delete(wake);
        if (waiters.size === 0) this.#waiters.delete(taskId);
        resolve(woke);
      };
      const wake = () => done(true);
      const aborted = () => done(false);
      const timer = setTimeout(() => done(false), timeoutMs);
      signal.addEventListener('abort', aborted, { once: true });
      waiters.add(wake);
    });
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
      let type: unknown;
      try {
        type = (JSON.parse(line.slice(5)) as { _type?: unknown })._type;
      } catch {
        continue; // not ours to judge: the status call that follows is parsed with the schema
      }
      const match = typeof type === 'string' ? TASK_EVENT.exec(type) : null;
      if (!match) continue;
      const taskId = Number(match[1]);
      this.hooks.onEvent?.(this.node.id);
      if (!this.#lastEventAt.has(taskId)) continue;
      this.#lastEventAt.set(taskId, Date.now());
      for (const wake of [...(this.#waiters.get(taskId) ?? [])]) wake();
    }
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
