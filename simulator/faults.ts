/**
 * Faults injected at run time into RPC requests (never into `/__sim/` or `/event-stream`).
 *
 * @module
 */
import { z } from 'zod';
import { Counter } from './stats.js';

export const FAULT_KINDS = [
  /** wait `latencyMs`, then handle the request normally */
  'latency',
  /** answer with that HTTP status without handling the request */
  'http500',
  'http502',
  'http503',
  /** reset the connection (TCP RST) without handling the request */
  'reset',
  /** handle the request, then send the reply's status with a truncated, unparsable body */
  'malformed',
  /** handle the request (e.g. really start the task), then close the socket without answering: a lost response */
  'drop-after-handling',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export const Fault = z
  .strictObject({
    kind: z.enum(FAULT_KINDS),
    /** Only requests for this method (any element of a batch); all requests when absent. */
    method: z.string().min(1).optional(),
    latencyMs: z.number().int().nonnegative().optional(),
    /** How many matching requests it affects; unlimited when absent. */
    count: z.number().int().positive().optional(),
    /** How long after it is added it stays active (an outage window), whatever its count; forever when absent. */
    durationMs: z.number().int().positive().optional(),
    /** Chance that a matching request is affected. @default 1 */
    probability: z.number().min(0).max(1).optional(),
  })
  .refine((fault) => fault.kind !== 'latency' || fault.latencyMs !== undefined, {
    path: ['latencyMs'],
    message: 'a latency fault needs latencyMs',
  });
export type Fault = z.input<typeof Fault>;

/** Thrown for a fault that does not validate; the message names the bad fields. */
export class FaultError extends Error {
  override name = 'FaultError';
}

/** What to do with one request: wait, then maybe something other than a normal reply. */
export interface FaultDecision {
  readonly latencyMs: number;
  readonly action: Exclude<FaultKind, 'latency'> | undefined;
}

const NO_FAULT: FaultDecision = { latencyMs: 0, action: undefined };

interface ActiveFault {
  readonly fault: z.output<typeof Fault>;
  remaining: number;
  /** `performance.now()` when it expires */
  readonly until: number;
}

export class FaultInjector {
  #active: ActiveFault[] = [];
  /** Requests each kind was applied to, over the simulator's life. */
  readonly applied = new Counter();

  add(input: unknown): void {
    const parsed = Fault.safeParse(input);
    if (!parsed.success) throw new FaultError(`invalid fault:\n${z.prettifyError(parsed.error)}`);
    const { count, durationMs } = parsed.data;
    this.#active.push({
      fault: parsed.data,
      remaining: count ?? Infinity,
      until: durationMs === undefined ? Infinity : performance.now() + durationMs,
    });
  }

  clear(): void {
    this.#active = [];
  }

  /** The faults still active, `count` and `durationMs` being what is left of them. */
  list(): z.output<typeof Fault>[] {
    this.#dropExpired();
    return this.#active.map(({ fault, remaining, until }) => ({
      ...fault,
      ...(remaining !== Infinity && { count: remaining }),
      ...(until !== Infinity && { durationMs: Math.max(1, Math.ceil(until - performance.now())) }),
    }));
  }

  /** Latency faults add up; of the other kinds the first that fires wins. */
  decide(methods: readonly string[]): FaultDecision {
    this.#dropExpired();
    if (this.#active.length === 0) return NO_FAULT;
    let latencyMs = 0;
    let action: FaultDecision['action'];
    for (const active of this.#active) {
      const { fault } = active;
      if (fault.kind !== 'latency' && action !== undefined) continue;
      if (fault.method !== undefined && !methods.includes(fault.method)) continue;
      if (Math.random() >= (fault.probability ?? 1)) continue;
      active.remaining--;
      this.applied.add(fault.kind);
      if (fault.kind === 'latency') latencyMs += fault.latencyMs ?? 0;
      else action = fault.kind;
    }
    this.#active = this.#active.filter(({ remaining }) => remaining > 0);
    return { latencyMs, action };
  }

  #dropExpired(): void {
    const now = performance.now();
    this.#active = this.#active.filter(({ until }) => until > now);
  }
}
