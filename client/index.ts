// The kdf-lightning client library: what backend code imports to start, watch, list and cancel enablements.
export {
  connectClient,
  resolveConnectConfig,
  taskQueueFromEnv,
  DEFAULT_ADDRESS,
  DEFAULT_NAMESPACE,
} from './connection.js';
export type { ConnectConfig, ResolvedConnectConfig } from './connection.js';
export {
  startEnablement,
  cancelEnablement,
  getProgress,
  waitForReport,
  listEnablements,
  listQuery,
  progressFromReport,
  ENABLE_WORKFLOW_TYPE,
} from './enablements.js';
export type {
  StartEnablementOptions,
  StartedEnablement,
  CancelledEnablement,
  ListFilter,
  EnablementSummary,
} from './enablements.js';
export { decodePollHeartbeat, mergePollHeartbeat, PollHeartbeatShape } from './live-progress.js';
export type { LivePoll, PendingActivityLike } from './live-progress.js';
export {
  startFleet,
  fleetHandle,
  fleetSize,
  getFleetProgress,
  cancelFleet,
  waitForFleet,
  FLEET_WORKFLOW_TYPE,
  MAX_FLEET_INPUT_BYTES,
} from './fleet.js';
export type { StartedFleet } from './fleet.js';
export {
  scheduleFleet,
  fleetScheduleStatus,
  pauseFleetSchedule,
  resumeFleetSchedule,
  deleteFleetSchedule,
  fleetScheduleId,
} from './fleet-schedule.js';
export type { FleetScheduleOptions, FleetScheduleRun, FleetScheduleStatus, ScheduledFleet } from './fleet-schedule.js';
export { dryRunFleet, planExitCode, worstFinding, FLEET_DRY_RUN_WORKFLOW_TYPE } from './fleet-dry-run.js';
export {
  loadFleetManifest,
  fleetInputFromManifest,
  FleetManifest,
  MAX_FLEET_PAIRS,
  MAX_MANIFEST_BYTES,
} from './manifest.js';
export type { FleetOverrides } from './manifest.js';
export { fleetExitCode, FleetNotFoundError, FleetEndedError } from './commands/fleet-end.js';
export { fleetMemberPhases } from './commands/fleet-status.js';
export { validateEnableInput, defaultNodeName, EnableLightningInputSchema, InputError } from './schema.js';
export { reportFromWorkflowError, reportFromResult, asReport } from './report.js';
export { parseDuration, formatDuration, DurationError } from './duration.js';
export { ExitCode, outcomeExitCode, worstExitCode } from './exit-codes.js';
export { TemporalUnavailableError, EnablementNotFoundError } from './errors.js';
export {
  enablementWorkflowId,
  fleetWorkflowId,
  fleetNodesOf,
  Outcome,
  DEFAULT_TASK_QUEUE,
  ACTIVATE_ACTIVITY,
  POLL_ACTIVITY,
} from '../workflows/api.js';
export type {
  EnableLightningInput,
  EnablementReport,
  EnablementProgress,
  PollHeartbeat,
  TaskHandle,
  LightningActivationParams,
  CancelRequest,
  FleetInput,
  FleetMember,
  FleetNode,
  FleetTicker,
  FleetPlan,
  PlanFinding,
  PlanRow,
  FleetDefaults,
  FleetProgress,
  FleetCounts,
  FleetFailure,
} from '../workflows/api.js';
