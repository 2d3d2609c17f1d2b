/**
 * The typed KDF RPC client the activities use: a generic `call()` plus one helper per method they need.
 *
 * @module
 */
import type { KdfNodeConfig } from '../nodes.js';
import { failureTypeOf } from './classification.js';
import { KdfClientFailureType, KdfError } from './errors.js';
import {
  DisableCoin,
  EnableLightningCancel,
  EnableLightningInit,
  EnableLightningStatus,
  GetEnabledCoins,
  Version,
} from './methods.js';
import type {
  DisableCoinResult,
  EnableLightningCancelResult,
  EnableLightningInitParams,
  EnableLightningInitResult,
  KdfMethod,
  LightningTaskStatus,
  ParamsOf,
  ResultOf,
  VersionResult,
} from './methods.js';
import { createKdfTransport } from './transport.js';

/** Reported once per `call()`, when it settles. */
export interface KdfCallEvent {
  /** the node's id */
  node: string;
  method: string;
  /** from the `call()` until it settled, including time spent waiting for a `maxConcurrentRequests` slot */
  durationMs: number;
  /** `'ok'`, the failure type (KDF `error_type` or our error class name), or `'aborted'` */
  outcome: string;
}

export interface KdfClientOptions {
  /** Metrics hook; runs synchronously inside the call, so it must not throw. */
  onCall?: (event: KdfCallEvent) => void;
}

export interface KdfCallOptions {
  /** Aborts the request, or the wait for a concurrency slot; the call then rejects with `signal.reason`. */
  signal?: AbortSignal;
}

export interface LightningStatusOptions extends KdfCallOptions {
  /**
   * Let KDF delete a finished task on this read. Off here (KDF defaults to on) so that a lost reply or a retried
   * activity can read the final status again (contract §3.3).
   * @default false
   */
  forgetIfFinished?: boolean;
}

export interface KdfClient {
  /** Sends any method record from `methods.ts`; the helpers below are built on it. */
  call<M extends KdfMethod>(method: M, params: ParamsOf<M>, options?: KdfCallOptions): Promise<ResultOf<M>>;
  initLightning(params: EnableLightningInitParams, options?: KdfCallOptions): Promise<EnableLightningInitResult>;
  lightningStatus(taskId: number, options?: LightningStatusOptions): Promise<LightningTaskStatus>;
  cancelLightning(taskId: number, options?: KdfCallOptions): Promise<EnableLightningCancelResult>;
  /** Tickers of the enabled coins, passivized ones included (v2 `get_enabled_coins`). */
  enabledCoins(options?: KdfCallOptions): Promise<string[]>;
  /** Legacy `disable_coin` without `force_disable`. */
  disableCoin(ticker: string, options?: KdfCallOptions): Promise<DisableCoinResult>;
  /** Legacy `version`: `{ result: "<version>_<hash>", datetime }`, a cheap liveness probe. */
  version(options?: KdfCallOptions): Promise<VersionResult>;
}

/**
 * A client for one KDF node, on a single got instance. Requests time out after `node.requestTimeoutMs`
 * (default 10 s) and are never retried here: retries belong to the activities' retry policy.
 * @throws RangeError when `node.maxConcurrentRequests` is not a positive integer
 */
export function createKdfClient(node: KdfNodeConfig, options: KdfClientOptions = {}): KdfClient {
  const transport = createKdfTransport(node);
  const { onCall } = options;

  const call = async <M extends KdfMethod>(
    method: M,
    params: ParamsOf<M>,
    { signal }: KdfCallOptions = {}
  ): Promise<ResultOf<M>> => {
    const startedAt = performance.now();
    const report = (outcome: string): void =>
      onCall?.({ node: node.id, method: method.method, durationMs: performance.now() - startedAt, outcome });
    try {
      const result = await transport(method, params, signal);
      report('ok');
      return result;
    } catch (error) {
      report(outcomeOf(error, signal));
      throw error;
    }
  };

  return {
    call,
    initLightning: (params, callOptions) => call(EnableLightningInit, params, callOptions),
    lightningStatus: (taskId, { forgetIfFinished = false, ...callOptions } = {}) =>
      call(EnableLightningStatus, { task_id: taskId, forget_if_finished: forgetIfFinished }, callOptions),
    cancelLightning: (taskId, callOptions) => call(EnableLightningCancel, { task_id: taskId }, callOptions),
    enabledCoins: async (callOptions) =>
      (await call(GetEnabledCoins, undefined, callOptions)).coins.map((coin) => coin.ticker),
    disableCoin: async (ticker, callOptions) => (await call(DisableCoin, { coin: ticker }, callOptions)).result,
    version: (callOptions) => call(Version, undefined, callOptions),
  };
}

function outcomeOf(error: unknown, signal: AbortSignal | undefined): string {
  if (error instanceof KdfError) return failureTypeOf(error);
  return signal?.aborted ? 'aborted' : KdfClientFailureType.KdfClientBug;
}
