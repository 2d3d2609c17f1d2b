// `fleet-cancel`: cancels a running fleet (no more members start, running ones compensate), waiting for its end.
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Command } from 'commander';
import { fleetWorkflowId } from '../../workflows/api.js';
import { cancelFleet } from '../fleet.js';
import { cancelRequest, writeJson } from './context.js';
import type { Context, RunWithContext } from './context.js';
import {
  describeFleet,
  FLEET_EXIT_CODES_HELP,
  finishFleet,
  FleetNotFoundError,
  followFleet,
  requireFleetId,
} from './fleet-end.js';

export function fleetCancelCommand(program: Command, run: RunWithContext): Command {
  return program
    .command('fleet-cancel')
    .description(
      'Cancel a running fleet: no more members start, running ones are cancelled through their own ' +
        'compensation (their KDF tasks are cancelled); waits for the fleet to end unless --no-wait.'
    )
    .argument('<FLEET_ID>', "the manifest's `fleet` id")
    .requiredOption('--reason <text>', "why (recorded in the fleet summary and every member's report)")
    .option('--by <name>', 'who cancels (default: $USER, else the login name)')
    .option('--no-wait', 'return once cancellation is requested instead of waiting for the fleet to end')
    .option('--json', 'print one JSON document')
    .action(run(fleetCancel))
    .addHelpText('after', `\n${FLEET_EXIT_CODES_HELP}`);
}

interface FleetCancelOptions {
  reason: string;
  by?: string;
  wait: boolean;
}

async function fleetCancel(ctx: Context, id: string, options: FleetCancelOptions): Promise<void> {
  const fleetId = requireFleetId(id);
  const { reason, by } = cancelRequest(ctx, options);
  const client = await ctx.client();
  const workflowId = fleetWorkflowId(fleetId);
  const notRunning = (status: string) =>
    new FleetNotFoundError(`fleet ${fleetId} is not running (${status}): nothing to cancel`, workflowId);
  const description = await describeFleet(client, fleetId);
  if (description.status.name !== 'RUNNING') throw notRunning(description.status.name.toLowerCase());
  try {
    await cancelFleet(client, fleetId, reason, by);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw notRunning('it ended meanwhile');
    throw err;
  }
  if (!options.wait) {
    if (ctx.json) writeJson(ctx.io, { workflowId, fleetId, cancelRequested: true, reason, by });
    else {
      ctx.io.stdout.write(
        `cancellation requested for fleet ${fleetId} (${workflowId}); follow with: kdf-lightning fleet-status ${fleetId}\n`
      );
    }
    return;
  }
  if (!ctx.json) {
    ctx.io.stdout.write(`cancellation requested for fleet ${fleetId}; waiting for its running members to stop\n`);
  }
  finishFleet(ctx, await followFleet(ctx, client, fleetId));
}
