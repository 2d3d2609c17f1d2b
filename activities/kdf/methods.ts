/**
 * One record per KDF RPC method: its wire name, envelope, params schema and result schema.
 * Params are ours, so their schemas are strict (a typo fails before anything is sent); result schemas are
 * plain `z.object`s, so fields added by newer KDF versions are dropped instead of breaking us.
 * Section numbers (§) refer to /work/shared/kdf-rpc-contract.md.
 *
 * @module
 */
import { z } from 'zod';
import { expected, int, str } from '../../common/zod-messages.js';
import { LIGHTNING_PHASES } from '../../workflows/api.js';

/**
 * `v2`: `{ mmrpc: "2.0", userpass, method, params?, id }`, reply `{ mmrpc, result, id }` (§1.2, §1.3).
 * `legacy`: flat `{ userpass, method, ...params }`, reply is the bare body (§1.6); KDF serves `disable_coin` and
 * `version` only this way (with `mmrpc` they are `NoSuchMethod`, §1.5).
 */
export const KdfEnvelope = { v2: 'v2', legacy: 'legacy' } as const;
export type KdfEnvelope = (typeof KdfEnvelope)[keyof typeof KdfEnvelope];

/** What the generic `call()` needs to know about a method. */
export interface KdfMethod {
  readonly method: string;
  readonly envelope: KdfEnvelope;
  /** `z.undefined()` for methods that take no params: the key is then left out of the request. */
  readonly params: z.ZodType;
  /** v2: the envelope's `result`. Legacy: the whole reply body (`version` puts `datetime` next to `result`, §2.7). */
  readonly result: z.ZodType;
}

export type ParamsOf<M extends KdfMethod> = z.input<M['params']>;
export type ResultOf<M extends KdfMethod> = z.output<M['result']>;

/** The error object of a v2 error reply (§1.3) and of a task's `Error` status (§2.2). */
export const KdfErrorObject = z.object({
  error: z.string(),
  error_type: z.string(),
  error_path: z.string().optional(),
  error_trace: z.string().optional(),
  // absent for unit variants, a raw value, an object, or a nested `{error_type, error_data}` (§1.3)
  error_data: z.unknown().optional(),
});
export type KdfErrorObject = z.infer<typeof KdfErrorObject>;

/** KDF's limit on the node alias, `activation_params.name`. */
export const NODE_NAME_MAX_BYTES = 32;

/**
 * `activation_params` of `task::enable_lightning::init` (§2.1), also what the client validates before it starts
 * anything. Checked here because KDF reports a bad name or colour as a 500 `Internal` error and a bad port as a
 * serde message, neither naming the field clearly.
 */
export const LightningActivationParams = z.strictObject(
  {
    name: str()
      .refine((name) => name.trim() !== '', 'must not be empty or blank')
      .refine(
        (name) => Buffer.byteLength(name) <= NODE_NAME_MAX_BYTES,
        `must be at most ${NODE_NAME_MAX_BYTES} UTF-8 bytes`
      ),
    // KDF accepts 0 (u16); binding "any port" makes the node unreachable for peers, so we require 1-65535
    listening_port: int().min(1, 'must be 1-65535').max(65_535, 'must be 1-65535').exactOptional(),
    color: str()
      .regex(/^[0-9a-fA-F]{6}$/, 'must be six hex digits without "#", e.g. 000000')
      .exactOptional(),
    // KDF takes any usize; more than 100 retries of one payment is a typo
    payment_retries: int().min(0, 'must be 0-100').max(100, 'must be 0-100').exactOptional(),
    // KDF reads it as an Option: null is the same as absent
    backup_path: str().min(1, 'must not be empty').nullable().exactOptional(),
  },
  { error: expected('an object') }
);
export type LightningActivationParams = z.infer<typeof LightningActivationParams>;

const taskId = z.number().int().nonnegative();

export const EnableLightningInitParams = z.strictObject({
  ticker: z.string().min(1),
  activation_params: LightningActivationParams,
  /** SSE client that receives the task's status transitions (§1.7). @default 0 */
  client_id: z.number().int().nonnegative().optional(),
});
export type EnableLightningInitParams = z.infer<typeof EnableLightningInitParams>;

/** `task_id` 0 is valid (§2.1). */
export const EnableLightningInitResult = z.object({ task_id: taskId });
export type EnableLightningInitResult = z.infer<typeof EnableLightningInitResult>;

export const EnableLightningInit = {
  method: 'task::enable_lightning::init',
  envelope: KdfEnvelope.v2,
  params: EnableLightningInitParams,
  result: EnableLightningInitResult,
} as const satisfies KdfMethod;

export const EnableLightningStatusParams = z.strictObject({
  task_id: taskId,
  /** KDF deletes a finished task on the first read unless this is false (§3.3). @default true (KDF's default) */
  forget_if_finished: z.boolean().optional(),
});
export type EnableLightningStatusParams = z.infer<typeof EnableLightningStatusParams>;

/**
 * The InProgress phases in the order lightning activation emits them (§4.3); a poller may skip any.
 * KDF's enum also has `Finished`, `WaitingForTrezorToConnect` and `WaitingForUserToConfirmPubkey`, never emitted
 * for lightning; `details` stays a plain string so new phases don't fail the schema.
 */
export const LightningActivationPhases = LIGHTNING_PHASES;
export type LightningActivationPhase = (typeof LightningActivationPhases)[number];

/** `balance` values are decimal strings in coin units (§2.2). */
export const LightningActivationResult = z.object({
  platform_coin: z.string(),
  /** the Lightning node id: 66 hex chars */
  address: z.string(),
  balance: z.object({ spendable: z.string(), unspendable: z.string() }),
});
export type LightningActivationResult = z.infer<typeof LightningActivationResult>;

/** `Error` arrives inside an HTTP 200 reply: the status call worked, the task failed (§2.2). */
export const LightningTaskStatus = z.discriminatedUnion('status', [
  z.object({ status: z.literal('InProgress'), details: z.string() }),
  // never happens for lightning (no hardware wallet step), kept because the type exists (§2.2)
  z.object({ status: z.literal('UserActionRequired'), details: z.string() }),
  z.object({ status: z.literal('Ok'), details: LightningActivationResult }),
  z.object({ status: z.literal('Error'), details: KdfErrorObject }),
]);
export type LightningTaskStatus = z.infer<typeof LightningTaskStatus>;

export const EnableLightningStatus = {
  method: 'task::enable_lightning::status',
  envelope: KdfEnvelope.v2,
  params: EnableLightningStatusParams,
  result: LightningTaskStatus,
} as const satisfies KdfMethod;

export const EnableLightningCancelParams = z.strictObject({ task_id: taskId });
export type EnableLightningCancelParams = z.infer<typeof EnableLightningCancelParams>;

export const EnableLightningCancelResult = z.literal('success');
export type EnableLightningCancelResult = z.infer<typeof EnableLightningCancelResult>;

export const EnableLightningCancel = {
  method: 'task::enable_lightning::cancel',
  envelope: KdfEnvelope.v2,
  params: EnableLightningCancelParams,
  result: EnableLightningCancelResult,
} as const satisfies KdfMethod;

/** Order is unspecified; passivized coins are included (§2.5). */
export const GetEnabledCoinsResult = z.object({ coins: z.array(z.object({ ticker: z.string() })) });
export type GetEnabledCoinsResult = z.infer<typeof GetEnabledCoinsResult>;

export const GetEnabledCoins = {
  method: 'get_enabled_coins',
  envelope: KdfEnvelope.v2,
  // a unit struct in KDF: `"params": {}` is a 400 InvalidRequest, only absent/null is accepted (§2.5)
  params: z.undefined(),
  result: GetEnabledCoinsResult,
} as const satisfies KdfMethod;

export const DisableCoinParams = z.strictObject({
  coin: z.string().min(1),
  /** Also remove the coins that depend on it instead of passivizing it (§2.6). @default false */
  force_disable: z.boolean().optional(),
});
export type DisableCoinParams = z.infer<typeof DisableCoinParams>;

export const DisableCoinResult = z.object({
  coin: z.string(),
  cancelled_orders: z.array(z.string()),
  /** true when dependents keep the coin in the map, treated as not enabled (§2.6); nodes from before passivizing
   * existed omit it, and always removed the coin */
  passivized: z.boolean().default(false),
});
export type DisableCoinResult = z.infer<typeof DisableCoinResult>;

export const DisableCoin = {
  method: 'disable_coin',
  envelope: KdfEnvelope.legacy,
  params: DisableCoinParams,
  result: z.object({ result: DisableCoinResult }),
} as const satisfies KdfMethod;

/** `result` is `<crate version>_<git hash or build tag>`, `datetime` the RFC 3339 build time (§2.7). */
export const VersionResult = z.object({ result: z.string(), datetime: z.string() });
export type VersionResult = z.infer<typeof VersionResult>;

export const Version = {
  method: 'version',
  envelope: KdfEnvelope.legacy,
  params: z.undefined(),
  result: VersionResult,
} as const satisfies KdfMethod;
