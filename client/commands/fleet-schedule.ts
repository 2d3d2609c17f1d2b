// Scheduled fleets: `fleet MANIFEST --every 10m` creates (or updates) the schedule, `fleet-schedule` pauses, resumes,
// shows or deletes it, and `fleet-status` of a scheduled fleet shows the schedule with its last runs.
import type { Command } from 'commander';
import type { FleetInput } from '../../workflows/api.js';
import { formatDuration } from '../duration.js';
import { ExitCode } from '../exit-codes.js';
import {
  deleteFleetSchedule,
  fleetScheduleStatus,
  pauseFleetSchedule,
  resumeFleetSchedule,
  scheduleFleet,
  type FleetScheduleStatus,
} from '../fleet-schedule.js';
import { table } from '../output.js';
import { Exit, usage, writeJson } from './context.js';
import type { Context, RunWithContext } from './context.js';
import { fleetExitCode, FleetNotFoundError, requireFleetId } from './fleet-end.js';

const ACTIONS = ['show', 'pause', 'resume', 'delete'] as const;
type Action = (typeof ACTIONS)[number];

export const FLEET_SCHEDULE_HELP = `Exit codes (fleet-schedule):
  0   done
  64  bad usage (ACTION, FLEET_ID)
  66  the fleet has no schedule
  69  Temporal server unreachable
fleet-status of a scheduled fleet exits with the code of its latest finished run.`;

export function fleetScheduleCommand(program: Command, run: RunWithContext): Command {
  return program
    .command('fleet-schedule')
    .description(
      'Manage the schedule that `fleet MANIFEST --every <interval>` created: show it with its last runs, pause ' +
        'it (no run starts; a running one goes on), resume it, or delete it.'
    )
    .argument('<ACTION>', ACTIONS.join(' | '))
    .argument('<FLEET_ID>', "the manifest's `fleet` id")
    .option('--note <text>', 'pause/resume: why (shown on the schedule and in the UI)')
    .option('--json', 'print one JSON document')
    .action(run(fleetSchedule))
    .addHelpText('after', `\n${FLEET_SCHEDULE_HELP}`);
}

async function fleetSchedule(ctx: Context, action: string, id: string, options: { note?: string }): Promise<void> {
  if (!ACTIONS.includes(action as Action)) throw usage(`ACTION: must be one of ${ACTIONS.join(', ')}`, 'ACTION');
  const fleetId = requireFleetId(id);
  const client = await ctx.client();
  const schedule = await fleetScheduleStatus(client, fleetId);
  if (!schedule) throw noSchedule(fleetId);
  const note = options.note ?? `${action} from the kdf-lightning CLI`;
  if (action === 'pause') await pauseFleetSchedule(client, fleetId, note);
  if (action === 'resume') await resumeFleetSchedule(client, fleetId, note);
  if (action === 'delete') {
    await deleteFleetSchedule(client, fleetId);
    if (ctx.json) writeJson(ctx.io, { scheduleId: schedule.scheduleId, deleted: true });
    else ctx.io.stdout.write(`deleted schedule ${schedule.scheduleId} (a run it started goes on)\n`);
    return;
  }
  printSchedule(ctx, (await fleetScheduleStatus(client, fleetId)) ?? schedule);
}

/** `fleet MANIFEST --every <interval>`. */
export async function scheduleFromManifest(
  ctx: Context,
  input: FleetInput,
  options: { everyMs: number; catchupWindowMs?: number; taskQueue: string }
): Promise<void> {
  const client = await ctx.client();
  const scheduled = await scheduleFleet(client, input, options);
  if (ctx.json) {
    writeJson(ctx.io, { ...scheduled, fleetId: input.fleetId, everyMs: options.everyMs });
    return;
  }
  ctx.io.stdout.write(
    `${scheduled.updated ? 'updated' : 'created'} schedule ${scheduled.scheduleId}: fleet ${input.fleetId} every ` +
      `${formatDuration(options.everyMs)} (a run is skipped while the previous one runs)\n` +
      `next runs: ${scheduled.nextRuns.join(', ')}\n` +
      `status:  kdf-lightning fleet-status ${input.fleetId}\n` +
      `pause:   kdf-lightning fleet-schedule pause ${input.fleetId} --note TEXT\n` +
      `delete:  kdf-lightning fleet-schedule delete ${input.fleetId}\n`
  );
}

/** `fleet-status` of a fleet with a schedule: the schedule and its last runs; exit code of the latest finished. */
export function printSchedule(ctx: Context, schedule: FleetScheduleStatus): void {
  const latest = schedule.recentRuns.find((run) => run.status !== 'running');
  const code = !latest ? ExitCode.ok : latest.summary ? fleetExitCode(latest.summary) : ExitCode.failed;
  if (ctx.json) writeJson(ctx.io, schedule);
  else ctx.io.stdout.write(scheduleReport(schedule));
  if (code !== ExitCode.ok) throw new Exit(code);
}

function scheduleReport(schedule: FleetScheduleStatus): string {
  const every = schedule.everyMs === undefined ? '?' : formatDuration(schedule.everyMs);
  const rows = schedule.recentRuns.map((run) => {
    const counts = run.summary?.counts;
    const cell = (value: number | undefined) => (value === undefined ? '' : String(value));
    return [
      run.scheduledAt,
      run.status,
      cell(counts?.enabled),
      cell(counts?.alreadyEnabled),
      cell(counts && counts.enabledNow + counts.reEnabled),
      cell(counts?.drifted),
      cell(counts && counts.failed + counts.timed_out + counts.cancelled),
      run.error ?? run.workflowId,
    ];
  });
  const lines = [
    `schedule   ${schedule.scheduleId}: every ${every}, overlap ${schedule.overlap}, catch-up window ` +
      formatDuration(schedule.catchupWindowMs),
    `state      ${schedule.paused ? 'paused' : 'active'}${schedule.note ? ` (${schedule.note})` : ''}`,
    `next runs  ${schedule.nextRuns.join(', ') || '(none)'}`,
    rows.length === 0
      ? 'no runs yet'
      : `recent runs (latest first)\n${table(
          ['SCHEDULED', 'STATUS', 'ENABLED', 'ALREADY', 'ENABLED NOW', 'DRIFTED', 'NOT ENABLED', 'WORKFLOW / ERROR'],
          rows
        ).trimEnd()}`,
  ];
  return `${lines.join('\n')}\n`;
}

const noSchedule = (fleetId: string): FleetNotFoundError =>
  new FleetNotFoundError(`fleet ${fleetId} has no schedule (create it: kdf-lightning fleet MANIFEST --every 10m)`, '');
