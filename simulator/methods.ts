/**
 * The RPC methods the simulator serves: v2 methods (contract §2.1–§2.5) and legacy ones (§1.6, §2.5–§2.7).
 *
 * @module
 */
import type { HandlingFaults } from './faults.js';
import { CANCEL_LIGHTNING_TASK, KDF_VERSION } from './kdf-constants.js';
import { DispatcherError } from './mm-error.js';
import type { KdfNode } from './node.js';
import { legacyError, reply, type Reply } from './reply.js';
import {
  CancelTaskRequest,
  GetEnabledCoinsRequest,
  InitLightningRequest,
  TaskStatusRequest,
  UserActionRequest,
} from './requests.js';
import { decodeOr, type Decoder } from './serde.js';

/** Decodes `params` and returns the `result`; throws an `MmError` for an error reply. */
export type V2Method = (node: KdfNode, params: unknown, faults: HandlingFaults) => unknown;

/** A params struct that fails to decode is the dispatcher's `InvalidRequest` (§1.4, step 6). */
function v2<P>(decode: Decoder<P>, handle: (node: KdfNode, params: P, faults: HandlingFaults) => unknown): V2Method {
  return (node, raw, faults) => handle(node, decodeOr(decode, raw, DispatcherError.invalidRequest), faults);
}

export const V2_METHODS: ReadonlyMap<string, V2Method> = new Map([
  ['task::enable_lightning::init', v2(InitLightningRequest, (node, params) => node.initLightning(params))],
  [
    'task::enable_lightning::status',
    v2(TaskStatusRequest, (node, params) => node.taskStatus(params.task_id, params.forget_if_finished)),
  ],
  [
    CANCEL_LIGHTNING_TASK,
    v2(CancelTaskRequest, (node, params, faults) => node.cancelTask(params.task_id, faults.completionBeatsCancel)),
  ],
  ['task::enable_lightning::user_action', v2(UserActionRequest, (node, params) => node.userAction(params.task_id))],
  [
    'get_enabled_coins',
    v2(GetEnabledCoinsRequest, (node) => ({ coins: node.enabledCoins().map(({ ticker }) => ({ ticker })) })),
  ],
]);

/** Gets the whole flat request (params sit at the top level) and answers with a bare body. */
export type LegacyMethod = (node: KdfNode, request: Readonly<Record<string, unknown>>) => Reply;

const noCoinField = () => legacyError("No 'coin' field");

/** `electrum` and `enable`: the servers/urls are not looked at; the coin just becomes enabled. */
const enableCoin: LegacyMethod = (node, request) => {
  const ticker = request['coin'];
  if (typeof ticker !== 'string') return noCoinField();
  const coin = node.enableCoin(ticker);
  if (typeof coin === 'string') return legacyError(coin);
  return reply({
    result: 'success',
    address: coin.address,
    balance: '0',
    unspendable_balance: '0',
    coin: ticker,
    required_confirmations: 1,
    requires_notarization: false,
    mature_confirmations: 100,
  });
};

export const LEGACY_METHODS: ReadonlyMap<string, LegacyMethod> = new Map<string, LegacyMethod>([
  ['version', () => reply(KDF_VERSION)],
  [
    'get_enabled_coins',
    (node) => reply({ result: node.enabledCoins().map(({ ticker, address }) => ({ ticker, address })) }),
  ],
  [
    'disable_coin',
    (node, request) => {
      const coin = request['coin'];
      if (typeof coin !== 'string') return noCoinField();
      const outcome = node.disableCoin(coin, request['force_disable'] === true);
      if (outcome === 'not-found') {
        return legacyError(`No such coin: ${coin}`, { orders: { matching: [], cancelled: [] }, active_swaps: [] });
      }
      return reply({ result: { coin, cancelled_orders: [], passivized: outcome === 'passivized' } });
    },
  ],
  ['electrum', enableCoin],
  ['enable', enableCoin],
]);
