/**
 * The params structs of the v2 methods, decoded like KDF's serde structs (unknown fields ignored, contract §2).
 *
 * @module
 */
import { bool, optional, string, struct, taggedEnum, u16, u64, unitStruct, usize, withDefault } from './serde.js';

/** Optional fields are `Option`s in KDF: absent and `null` both mean "use the default" (§2.1). */
export interface LightningActivationParams {
  readonly name: string;
  readonly listening_port: number | undefined;
  readonly color: string | undefined;
  readonly payment_retries: number | undefined;
  readonly backup_path: string | undefined;
}

export interface InitLightningRequest {
  readonly ticker: string;
  readonly activation_params: LightningActivationParams;
  /** The SSE client that receives the task's status changes (§1.7). */
  readonly client_id: number;
}

export const InitLightningRequest = struct<InitLightningRequest>('InitL2Req', {
  ticker: string,
  activation_params: struct<LightningActivationParams>('LightningActivationParams', {
    name: string,
    listening_port: optional(u16),
    color: optional(string),
    payment_retries: optional(usize),
    backup_path: optional(string),
  }),
  client_id: withDefault(u64, 0),
});

export interface TaskStatusRequest {
  readonly task_id: number;
  readonly forget_if_finished: boolean;
}

export const TaskStatusRequest = struct<TaskStatusRequest>('RpcTaskStatusRequest', {
  task_id: u64,
  forget_if_finished: withDefault(bool, true),
});

export interface CancelTaskRequest {
  readonly task_id: number;
}

export const CancelTaskRequest = struct<CancelTaskRequest>('CancelRpcTaskRequest', { task_id: u64 });

type UserAction = { readonly pin: string } | { readonly passphrase: string };

export interface UserActionRequest {
  readonly task_id: number;
  readonly user_action: UserAction;
}

export const UserActionRequest = struct<UserActionRequest>('RpcTaskUserActionRequest', {
  task_id: u64,
  user_action: taggedEnum<UserAction>('HwRpcTaskUserAction', 'action_type', {
    TrezorPin: struct('TrezorPin', { pin: string }),
    TrezorPassphrase: struct('TrezorPassphrase', { passphrase: string }),
  }),
});

/** A unit struct: `params` must be absent or `null`; `{}` is an `InvalidRequest` (§2.5). */
export const GetEnabledCoinsRequest = unitStruct('GetEnabledCoinsRequest');
