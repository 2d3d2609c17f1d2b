// What a fleet run would do, asked of every node through the worker (which holds the node credentials).
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import {
  fleetDryRunWorkflowId,
  PLAN_FINDINGS_BY_SEVERITY,
  type FleetInput,
  type FleetPlan,
  type PlanFinding,
} from '../workflows/api.js';
import { taskQueueFromEnv } from './connection.js';
import { ExitCode } from './exit-codes.js';
import { assertFleetInputSize } from './fleet.js';
import { InputError } from './schema.js';

/** Workflow type name of `fleetDryRun` in workflows/index.ts. */
export const FLEET_DRY_RUN_WORKFLOW_TYPE = 'fleetDryRun';

/** A dry run's own deadline: one bounded look per node (a minute at most each, 20 nodes at once). */
const DRY_RUN_TIMEOUT = '15 minutes';
/**
 * One dry run is one workflow with no continue-as-new, returning a row per pair: these bounds keep its history far
 * below Temporal's event limit and its result below the 2 MB payload limit (a down node's detail on every row).
 */
export const MAX_DRY_RUN_PAIRS = 5_000;
export const MAX_DRY_RUN_NODES = 2_000;

/**
 * Asks every node of the fleet, without starting anything: reachable, userpass accepted, platform coin enabled,
 * ticker already enabled or an enablement running. Runs as a short workflow whose activity reads each node.
 */
export async function dryRunFleet(
  client: Client,
  input: FleetInput,
  options: { taskQueue?: string } = {}
): Promise<FleetPlan> {
  assertFleetInputSize(input);
  const pairs = input.nodes.reduce((sum, node) => sum + (node.tickers ?? input.defaults.tickers ?? []).length, 0);
  if (pairs > MAX_DRY_RUN_PAIRS || input.nodes.length > MAX_DRY_RUN_NODES) {
    throw new InputError(
      `--dry-run: at most ${MAX_DRY_RUN_PAIRS} pairs on ${MAX_DRY_RUN_NODES} nodes per dry run ` +
        `(this manifest: ${pairs} pairs on ${input.nodes.length} nodes); dry-run part of it at a time`,
      '--dry-run'
    );
  }
  return client.workflow.execute<(input: FleetInput) => Promise<FleetPlan>>(FLEET_DRY_RUN_WORKFLOW_TYPE, {
    args: [input],
    workflowId: fleetDryRunWorkflowId(input.fleetId, randomUUID()),
    taskQueue: options.taskQueue ?? taskQueueFromEnv(),
    workflowExecutionTimeout: DRY_RUN_TIMEOUT,
    staticSummary: `Dry run of fleet ${input.fleetId}`,
  });
}

const FINDING_EXIT: Record<PlanFinding, ExitCode> = {
  already_enabled: ExitCode.ok,
  ready: ExitCode.ok,
  running: ExitCode.ok,
  platform_missing: ExitCode.failed,
  node_down: ExitCode.nodeDown,
  bad_userpass: ExitCode.nodeRefused,
  unknown_node: ExitCode.nodeRefused,
};

/** The worst finding of the plan, or undefined for an empty one. */
export function worstFinding(plan: FleetPlan): PlanFinding | undefined {
  return PLAN_FINDINGS_BY_SEVERITY.findLast((finding) => plan.counts[finding] > 0);
}

/** 0 when every pair would start, be joined or is enabled; else the exit code of the worst finding. */
export const planExitCode = (plan: FleetPlan): ExitCode => {
  const worst = worstFinding(plan);
  return worst === undefined ? ExitCode.ok : FINDING_EXIT[worst];
};

export const DRY_RUN_EXIT_CODES_HELP = `Exit codes (fleet --dry-run), by the worst finding:
  0   every pair would start, is already enabled, or would join a running enablement
  2   a pair's platform coin is not enabled on its node (its enablement would fail)
  5   a node did not answer (down, timed out, HTTP or protocol error)
  6   a node refused the worker's userpass, or is not in the worker's KDF_NODES_FILE`;
