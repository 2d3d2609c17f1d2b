// Start, watch and cancel fleets: one workflow per manifest, one child enablement per (node, ticker).
import type { Client, WorkflowHandle } from '@temporalio/client';
import { fleetCancelSignal, fleetProgressQuery, fleetWorkflowId, KdfFleetAttribute } from '../workflows/api.js';
import type { FleetInput, FleetProgress } from '../workflows/api.js';
import { taskQueueFromEnv } from './connection.js';
import { checkCancelRequest, ID_PATTERN, InputError } from './schema.js';

/** Workflow type name of `enableFleet` in workflows/index.ts. */
export const FLEET_WORKFLOW_TYPE = 'enableFleet';
type EnableFleetWorkflow = (input: FleetInput) => Promise<FleetProgress>;

export interface StartedFleet {
  workflowId: string;
  runId: string;
  handle: WorkflowHandle<EnableFleetWorkflow>;
}

/** A fleet input's size limit in bytes (JSON): Temporal refuses payloads over 2 MB. */
export const MAX_FLEET_INPUT_BYTES = 1_000_000;

/** How many (node, ticker) pairs and nodes a fleet input lists. */
export function fleetSize(input: FleetInput): { pairs: number; nodes: number } {
  const pairs = input.nodes.reduce((sum, node) => sum + (node.tickers ?? input.defaults.tickers ?? []).length, 0);
  return { pairs, nodes: new Set(input.nodes.map(({ node }) => node)).size };
}

/**
 * Starts a fleet, or joins the one running under the same fleet id. The fleet makes every pair enabled now
 * (design.md G6): pairs the node has enabled cost one `get_enabled_coins` per node, the others (a KDF restart
 * dropped them, or they failed before) are enabled again, running ones joined.
 * @throws {InputError} when the input is too large for one workflow payload
 */
export async function startFleet(
  client: Client,
  input: FleetInput,
  options: { taskQueue?: string } = {}
): Promise<StartedFleet> {
  assertFleetId(input.fleetId);
  assertFleetInputSize(input);
  const { pairs, nodes } = fleetSize(input);
  const handle = await client.workflow.start<EnableFleetWorkflow>(FLEET_WORKFLOW_TYPE, {
    args: [input],
    workflowId: fleetWorkflowId(input.fleetId),
    taskQueue: options.taskQueue ?? taskQueueFromEnv(),
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    typedSearchAttributes: [{ key: KdfFleetAttribute, value: input.fleetId }],
    staticSummary: `Fleet ${input.fleetId}: ${pairs} enablements on ${nodes} KDF nodes`,
  });
  return { workflowId: handle.workflowId, runId: handle.firstExecutionRunId, handle };
}

export function fleetHandle(client: Client, fleetId: string): WorkflowHandle<EnableFleetWorkflow> {
  assertFleetId(fleetId);
  return client.workflow.getHandle<EnableFleetWorkflow>(fleetWorkflowId(fleetId));
}

/** Counts by outcome, running members and failures with reasons, of the fleet's latest run. */
export async function getFleetProgress(client: Client, fleetId: string): Promise<FleetProgress> {
  return fleetHandle(client, fleetId).query(fleetProgressQuery);
}

/** Stops starting members and cancels the running ones through their own compensation. */
export async function cancelFleet(client: Client, fleetId: string, reason: string, requestedBy: string): Promise<void> {
  checkCancelRequest(reason, requestedBy);
  await fleetHandle(client, fleetId).signal(fleetCancelSignal, reason, requestedBy);
}

/**
 * Waits for the fleet to finish (across its continue-as-new runs), calling `onProgress` every `intervalMs`.
 * Resolves with the final progress.
 */
export async function waitForFleet(
  client: Client,
  fleetId: string,
  onProgress: (progress: FleetProgress) => void = () => undefined,
  intervalMs = 1_000
): Promise<FleetProgress> {
  const handle = fleetHandle(client, fleetId);
  let finished = false;
  const result = handle.result().finally(() => (finished = true));
  while (!finished) {
    const progress = await handle.query(fleetProgressQuery).catch(() => undefined);
    if (progress && !finished) onProgress(progress);
    await Promise.race([result.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, intervalMs))]);
  }
  const final = await result;
  onProgress(final);
  return final;
}

export function assertFleetInputSize(input: FleetInput): void {
  const bytes = Buffer.byteLength(JSON.stringify(input));
  if (bytes > MAX_FLEET_INPUT_BYTES) {
    throw new InputError(
      `fleet input is ${bytes} bytes; at most ${MAX_FLEET_INPUT_BYTES} (list shared tickers once in ` +
        'defaults.tickers, or split the fleet)',
      'nodes'
    );
  }
}

function assertFleetId(fleetId: string): void {
  if (!ID_PATTERN.test(fleetId)) throw new InputError(`fleet: "${fleetId}" is not a valid fleet id`, 'fleet');
}
