export { createActivities } from './enablement.js';
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
export { KdfEventStreams } from './kdf/index.js';
export type { EventStreamHooks } from './kdf/index.js';
