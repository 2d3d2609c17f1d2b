/**
 * How one lightning ticker's activation plays out over time: a fixed list of steps at offsets from the task's
 * start. The current phase is computed from the elapsed time when someone asks, never stored.
 *
 * @module
 */
import { KDF_FINAL_PAUSE_MS, LIGHTNING_PHASES, PORT_BINDING_PHASE, type LightningPhase } from './kdf-constants.js';
import { errorObject, type ErrorObject } from './mm-error.js';
import type { ActivationSpec } from './scenario.js';

/** Something that happens `at` ms after the task started, while the task is in `phase` (for `phase`: entering it). */
export type PlanStep = { readonly at: number; readonly phase: LightningPhase } & (
  | { readonly kind: 'phase' | 'bind-port' | 'register' | 'finish' }
  | { readonly kind: 'fail'; readonly error: ErrorObject }
);

export interface ActivationPlan {
  /** How the activation ends on its own. */
  readonly outcome: 'ok' | 'error' | 'hang';
  /** Offset of each phase's start, by phase index. */
  readonly phaseStarts: readonly number[];
  /** Index of the last phase the task reaches (where it fails or hangs, or the last one). */
  readonly lastPhase: number;
  readonly steps: readonly PlanStep[];
  readonly balance: { readonly spendable: string; readonly unspendable: string };
  /** What a task forced to fail (`finishTask(id, 'error')`) reports. */
  readonly forcedError: ErrorObject;
}

export interface PlanOptions {
  /** Overrides every phase's duration (`--phase-ms`). */
  readonly phaseMs?: number | undefined;
  /** Keep KDF's 10 s pause after the last phase. */
  readonly realistic: boolean;
}

const forcedError = errorObject(
  'Internal',
  'Activation failed (forced by kdf-sim)',
  'init_l2.lightning_activation',
  'Activation failed (forced by kdf-sim)'
);

export function planActivation(spec: ActivationSpec, options: PlanOptions): ActivationPlan {
  const phaseMs = options.phaseMs ?? spec.phaseMs;
  const durations = LIGHTNING_PHASES.map((_, index) => (typeof phaseMs === 'number' ? phaseMs : (phaseMs[index] ?? 0)));
  const phaseStarts = durations.map((_, index) => durations.slice(0, index).reduce((sum, ms) => sum + ms, 0));
  const phaseEnd = (index: number) => (phaseStarts[index] ?? 0) + (durations[index] ?? 0);
  const { outcome } = spec;
  const lastPhase = outcome.kind === 'ok' ? LIGHTNING_PHASES.length - 1 : LIGHTNING_PHASES.indexOf(outcome.atPhase);
  const failure =
    outcome.kind === 'error'
      ? errorObject(outcome.errorType, outcome.error, outcome.errorPath, outcome.errorData ?? outcome.error)
      : undefined;

  const steps: PlanStep[] = [];
  const phase = (index: number) => LIGHTNING_PHASES[index] as LightningPhase;
  for (let index = 1; index <= lastPhase; index++) {
    const at = phaseStarts[index] ?? 0;
    if (index === PORT_BINDING_PHASE + 1) steps.push({ at, phase: phase(PORT_BINDING_PHASE), kind: 'bind-port' });
    steps.push({ at, phase: phase(index), kind: 'phase' });
  }
  if (failure !== undefined) {
    steps.push({ at: phaseEnd(lastPhase), phase: phase(lastPhase), kind: 'fail', error: failure });
  } else if (outcome.kind === 'ok') {
    const end = phaseEnd(lastPhase) + (spec.finalPauseMs ?? (options.realistic ? KDF_FINAL_PAUSE_MS : 0));
    const lastPhaseStart = phaseStarts[lastPhase] ?? 0;
    steps.push({
      at: Math.max(lastPhaseStart, end - spec.registerBeforeOkMs),
      phase: phase(lastPhase),
      kind: 'register',
    });
    steps.push({ at: end, phase: phase(lastPhase), kind: 'finish' });
  }

  return {
    outcome: outcome.kind,
    phaseStarts,
    lastPhase,
    steps,
    balance: outcome.kind === 'ok' ? outcome.balance : { spendable: '0', unspendable: '0' },
    forcedError: failure ?? forcedError,
  };
}

/** The InProgress phase `elapsedMs` after the start of a task that is still running. */
export function phaseAt(plan: ActivationPlan, elapsedMs: number): LightningPhase {
  let index = plan.lastPhase;
  while (index > 0 && (plan.phaseStarts[index] ?? 0) > elapsedMs) index--;
  return LIGHTNING_PHASES[index] as LightningPhase;
}
