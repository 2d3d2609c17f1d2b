// `fleet-status`: a fleet's progress once: counts by outcome, failures, and its running members by phase.
import type { Client } from '@temporalio/client';
import type { Command } from 'commander';
import { fleetWorkflowId, KdfPhaseAttribute, STARTING_PHASE } from '../../workflows/api.js';
import { ENABLE_WORKFLOW_TYPE } from '../enablements.js';
import { getFleetProgress } from '../fleet.js';
import { fleetScheduleStatus } from '../fleet-schedule.js';
import { fleetDetails, fleetFailuresReport } from '../output.js';
import { writeJson } from './context.js';
import type { Context, RunWithContext } from './context.js';
import { describeFleet, FLEET_EXIT_CODES_HELP, fleetEnd, finishFleet, fleetJson, requireFleetId } from './fleet-end.js';
import type { FleetStatus } from './fleet-end.js';
import { printSchedule } from './fleet-schedule.js';

export function fleetStatusCommand(program: Command, run: RunWithContext): Command {
  return program
    .command('fleet-status')
    .description(
      'Show the progress of a fleet once: counts by outcome, failures, running members by phase; for a scheduled ' +
        'fleet, the schedule and its last runs (how many pairs drifted in each).'
    )
    .argument('<FLEET_ID>', "the manifest's `fleet` id")
    .option('--json', 'print one JSON document')
    .action(run(fleetStatus))
    .addHelpText('after', `\n${FLEET_EXIT_CODES_HELP}`);
}

/** Running members of a fleet by their `KdfPhase` (visibility; members not started by the fleet are not counted). */
export async function fleetMemberPhases(client: Client, fleetId: string): Promise<Record<string, number>> {
  requireFleetId(fleetId);
  const query = `WorkflowType = '${ENABLE_WORKFLOW_TYPE}' AND KdfFleet = '${fleetId}' AND ExecutionStatus = 'Running'`;
  const phases: Record<string, number> = {};
  for await (const info of client.workflow.list({ query, pageSize: 1_000 })) {
    const phase = info.typedSearchAttributes.get(KdfPhaseAttribute) ?? STARTING_PHASE;
    phases[phase] = (phases[phase] ?? 0) + 1;
  }
  return phases;
}

async function fleetStatus(ctx: Context, id: string): Promise<void> {
  const fleetId = requireFleetId(id);
  const client = await ctx.client();
  const schedule = await fleetScheduleStatus(client, fleetId);
  if (schedule) return printSchedule(ctx, schedule);
  const description = await describeFleet(client, fleetId);
  if (description.status.name !== 'RUNNING') {
    finishFleet(ctx, await fleetEnd(client, fleetId), { runningPhases: {} }, '');
    return;
  }
  const workflowId = fleetWorkflowId(fleetId);
  const [progress, runningPhases] = await Promise.all([
    getFleetProgress(client, fleetId),
    fleetMemberPhases(client, fleetId),
  ]);
  const status: FleetStatus = progress.cancel ? 'cancelling' : 'running';
  if (ctx.json) writeJson(ctx.io, fleetJson(workflowId, status, progress, { runningPhases }));
  else
    ctx.io.stdout.write(`${fleetDetails(workflowId, status, progress, runningPhases)}${fleetFailuresReport(progress)}`);
}
