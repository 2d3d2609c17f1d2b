/**
 * Faults injected at run time into RPC requests (never into `/__sim/` or `/event-stream`).
 *
 * @module
 */
import { z } from 'zod';
import { CANCEL_LIGHTNING_TASK } from './kdf-constants.js';
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
  /** handle the request (e.g. really start the task), wait `latencyMs`, then reply; no reply if the client left */
  'slow-reply',
  /** answer `NoSuchMethod` like a KDF lacking `method` (every method without one); other batch elements are handled */
  'no-such-method',
  /** a cancel of a running task answers `"success"` but the task completes with its plan's outcome (§3.4's race) */
  'complete-on-cancel',
  /** handle the request and reply, then restart the KDF process; with `resultStatus`, only after such a reply */
  'restart-after-reply',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export const Fault = z
  .strictObject({
    kind: z.enum(FAULT_KINDS),
    /** Only requests for this method (any element of a batch); all requests when absent. */
    method: z.string().min(1).optional(),
    latencyMs: z.number().int().nonnegative().optional(),
    /** restart-after-reply only: only replies whose `result.status` (of the element calling `method`) is this. */
    resultStatus: z.string().min(1).optional(),
    /** How many matching requests it affects; unlimited when absent. */
    count: z.number().int().positive().optional(),
    /** How long after it is added it stays active (an outage window), whatever its count; forever when absent. */
    durationMs: z.number().int().positive().optional(),
    /** Chance that a matching request is affected. @default 1 */
    probability: z.number().min(0).max(1).optional(),
  })
  .refine((fault) => !['latency', 'slow-reply'].includes(fault.kind) || fault.latencyMs !== undefined, {
    path: ['latencyMs'],
    message: 'latency and slow-reply faults need latencyMs',
  })
  .refine((fault) => fault.kind === 'restart-after-reply' || fault.resultStatus === undefined, {
    path: ['resultStatus'],
    message: 'only a restart-after-reply fault takes resultStatus',
  })
  .refine(
    (fault) => fault.kind !== 'complete-on-cancel' || (fault.method ?? CANCEL_LIGHTNING_TASK) === CANCEL_LIGHTNING_TASK,
    {
      path: ['method'],
      message: `a complete-on-cancel fault applies to ${CANCEL_LIGHTNING_TASK} only`,
    }
  )
  // so that other requests do not use up its count
  .transform((fault) => (fault.kind === 'complete-on-cancel' ? { ...fault, method: CANCEL_LIGHTNING_TASK } : fault));
export type Fault = z.input<typeof Fault>;
type ParsedFault = z.output<typeof Fault>;

/** Thrown for a fault that does not validate; the message names the bad fields. */
export class FaultError extends Error {
  override name = 'FaultError';
}

/** What to do with one request before its reply: wait, then maybe something other than a normal reply. */
export interface FaultDecision {
  readonly latencyMs: number;
  /** The fault that fired, of the kinds other than `latency` and `restart-after-reply`. */
  readonly fault: ParsedFault | undefined;
}

const NO_FAULT: FaultDecision = { latencyMs: 0, fault: undefined };

/** What a fault changes inside the handling of a request; the dispatcher and the node apply it. */
export interface HandlingFaults {
  /** Methods the node answers `NoSuchMethod` for, as if it lacked them (contract §1.4). */
  lacks(method: string): boolean;
  /** A cancel of a running task answers `"success"`, but the task completes instead (contract §3.4). */
  readonly completionBeatsCancel: boolean;
}

export const NO_HANDLING_FAULTS: HandlingFaults = { lacks: () => false, completionBeatsCancel: false };

/** What the fault that fired before handling changes in the handling. */
export function handlingFaults(fault: ParsedFault | undefined): HandlingFaults {
  switch (fault?.kind) {
    case 'no-such-method':
      return { ...NO_HANDLING_FAULTS, lacks: (method) => (fault.method ?? method) === method };
    case 'complete-on-cancel':
      return { ...NO_HANDLING_FAULTS, completionBeatsCancel: true };
    default:
      return NO_HANDLING_FAULTS;
  }
}

/** One request of a body (an element of a batch) with its reply, for the faults decided after handling. */
export interface Exchange {
  readonly method: string | undefined;
  /** The reply's `result.status`, e.g. `Ok` for a task status. */
  readonly resultStatus: string | undefined;
}

interface ActiveFault {
  readonly fault: ParsedFault;
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
  list(): ParsedFault[] {
    this.#dropExpired();
    return this.#active.map(({ fault, remaining, until }) => ({
      ...fault,
      ...(remaining !== Infinity && { count: remaining }),
      ...(until !== Infinity && { durationMs: Math.max(1, Math.ceil(until - performance.now())) }),
    }));
  }

  /** Before handling: latency faults add up; of the other kinds but `restart-after-reply` the first that fires wins. */
  decide(methods: readonly string[]): FaultDecision {
    this.#dropExpired();
    if (this.#active.length === 0) return NO_FAULT;
    let latencyMs = 0;
    let fired: ParsedFault | undefined;
    for (const active of this.#active) {
      const { fault } = active;
      if (fault.kind === 'restart-after-reply' || (fault.kind !== 'latency' && fired !== undefined)) continue;
      if (fault.method !== undefined && !methods.includes(fault.method)) continue;
      if (!this.#fires(active)) continue;
      if (fault.kind === 'latency') latencyMs += fault.latencyMs ?? 0;
      else fired = fault;
    }
    this.#dropUsedUp();
    return { latencyMs, fault: fired };
  }

  /** Once a reply is sent: whether a `restart-after-reply` fault fires for some element of it (the first that does). */
  restartsAfterReply(exchanges: readonly Exchange[]): boolean {
    this.#dropExpired();
    const restarts = this.#active.some(
      (active) =>
        active.fault.kind === 'restart-after-reply' &&
        exchanges.some((exchange) => concerns(active.fault, exchange)) &&
        this.#fires(active)
    );
    this.#dropUsedUp();
    return restarts;
  }

  /** Draws against its probability; when it fires, uses one of its count. */
  #fires(active: ActiveFault): boolean {
    if (Math.random() >= (active.fault.probability ?? 1)) return false;
    active.remaining--;
    this.applied.add(active.fault.kind);
    return true;
  }

  #dropUsedUp(): void {
    this.#active = this.#active.filter(({ remaining }) => remaining > 0);
  }

  #dropExpired(): void {
    const now = performance.now();
    this.#active = this.#active.filter(({ until }) => until > now);
  }
}

const concerns = (fault: ParsedFault, { method, resultStatus }: Exchange): boolean =>
  (fault.method ?? method) === method && (fault.resultStatus ?? resultStatus) === resultStatus;
