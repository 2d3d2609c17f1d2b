/**
 * The KDF RPC layer: typed client, method schemas, errors and their classification.
 *
 * @module
 */
export { createKdfClient } from './client.js';
export type { KdfCallEvent, KdfCallOptions, KdfClient, KdfClientOptions, LightningStatusOptions } from './client.js';
export {
  KdfErrorTypeClassification,
  classificationOf,
  failureTypeOf,
  isRetryable,
  toApplicationFailure,
  unknownErrorTypeClassification,
} from './classification.js';
export type { KdfFailureDetails, RetryDecision } from './classification.js';
export {
  KdfClientFailureType,
  KdfError,
  KdfInvalidParamsError,
  KdfProtocolError,
  KdfRpcError,
  KdfTransportError,
} from './errors.js';
export type { KdfTransportErrorOptions } from './errors.js';
export {
  DisableCoin,
  DisableCoinParams,
  DisableCoinResult,
  EnableLightningCancel,
  EnableLightningCancelParams,
  EnableLightningCancelResult,
  EnableLightningInit,
  EnableLightningInitParams,
  EnableLightningInitResult,
  EnableLightningStatus,
  EnableLightningStatusParams,
  GetEnabledCoins,
  GetEnabledCoinsResult,
  KdfEnvelope,
  KdfErrorObject,
  LightningActivationParams,
  LightningActivationPhases,
  LightningActivationResult,
  LightningTaskStatus,
  Version,
  VersionResult,
} from './methods.js';
export type { KdfMethod, LightningActivationPhase, ParamsOf, ResultOf } from './methods.js';
export { KdfEventStream, KdfEventStreams } from './event-stream.js';
export type { EventStreamHooks } from './event-stream.js';
