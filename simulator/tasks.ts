/**
 * One lightning activation task: where it is in its plan, and what `task::enable_lightning::status` says about it
 * (contract §2.2, §3.2).
 *
 * @module
 */
import { phaseAt, type ActivationPlan, type PlanStep } from './activation.js';
import type { LightningPhase } from './kdf-constants.js';
import type { ErrorObject } from './mm-error.js';

export const TaskState = { InProgress: 'InProgress', Ok: 'Ok', Error: 'Error', Cancelled: 'Cancelled' } as const;
export type TaskState = (typeof TaskState)[keyof typeof TaskState];

export interface ActivationResult {
  readonly platform_coin: string;
  readonly address: string;
  readonly balance: { readonly spendable: string; readonly unspendable: string };
}

/** The `result` of `task::enable_lightning::status`. */
export type TaskStatus =
  | { readonly status: 'InProgress'; readonly details: LightningPhase }
  | { readonly status: 'Ok'; readonly details: ActivationResult }
  | { readonly status: 'Error'; readonly details: ErrorObject };

export class ActivationTask {
  #state: TaskState = TaskState.InProgress;
  #final: TaskStatus | undefined;
  #endedIn: LightningPhase | undefined;
  #nextStep = 0;
  /** The task has bound its listening port (a second task on the same port then fails). */
  boundPort = false;
  /** The coin is in the registry (from a moment before Ok, contract §2.5). */
  registered = false;

  constructor(
    readonly id: number,
    readonly ticker: string,
    readonly platform: string,
    readonly plan: ActivationPlan,
    readonly startedAt: number,
    readonly listeningPort: number,
    readonly clientId: number
  ) {}

  get state(): TaskState {
    return this.#state;
  }

  get finished(): boolean {
    return this.#state === TaskState.Ok || this.#state === TaskState.Error;
  }

  /** The current phase while running; the phase it ended in afterwards. */
  phase(now: number): LightningPhase {
    return this.#endedIn ?? phaseAt(this.plan, now - this.startedAt);
  }

  status(now: number): TaskStatus {
    return this.#final ?? { status: 'InProgress', details: this.phase(now) };
  }

  /** When the next step is due, or `undefined` when nothing more happens on its own (finished, or hanging). */
  nextStepAt(): number | undefined {
    const step = this.plan.steps[this.#nextStep];
    return this.#state === TaskState.InProgress && step !== undefined ? this.startedAt + step.at : undefined;
  }

  takeStep(): PlanStep {
    return this.plan.steps[this.#nextStep++] as PlanStep;
  }

  /** Ends the task in `phase`; `final` is what status reports from now on (none for a cancelled task). */
  end(state: Exclude<TaskState, 'InProgress'>, phase: LightningPhase, final?: TaskStatus): void {
    this.#endedIn = phase;
    this.#state = state;
    this.#final = final;
  }
}
