export { enableLightning } from './enable-lightning.js';
export { enableFleet } from './enable-fleet.js';
export { cancelKdfTask } from './cancel-kdf-task.js';
export { fleetDryRun } from './fleet-dry-run.js';
