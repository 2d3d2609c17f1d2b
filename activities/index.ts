export { createActivities } from './enablement.js';
export { HEARTBEAT_THROTTLE_MS } from './activate.js';
export type { ActivateInput, ActivateResult, FollowError } from './activate.js';
export type {
  ActivationResult,
  ActivityDependencies,
  CancelOutcome,
  CompensateInput,
  CompensationResult,
  EnablementActivities,
  PollInput,
  PollResult,
  StartInput,
  StartResult,
  TaskError,
  TaskRef,
  TaskState,
} from './enablement.js';
export type { KdfNodeConfig, NodeRegistry } from './nodes.js';
export { createFleetActivities } from './fleet.js';
export type { FleetActivities, FleetActivityDependencies } from './fleet.js';
export { createPreflightActivities } from './fleet-preflight.js';
export type {
  NodePreflight,
  NodePreflightInput,
  PreflightActivities,
  PreflightDependencies,
} from './fleet-preflight.js';
export { KdfEventStreams } from './kdf/index.js';
export type { EventStreamHooks } from './kdf/index.js';
