// `fleet`: starts (or joins) the fleet workflow of a manifest, optionally following it to its end.
import type { Command } from 'commander';
import { taskQueueFromEnv } from '../connection.js';
import { fleetHandle, fleetSize, startFleet } from '../fleet.js';
import { loadFleetManifest } from '../manifest.js';
import type { FleetOverrides } from '../manifest.js';
import { hasWorkers, usage, writeJson } from './context.js';
import type { Context, RunWithContext } from './context.js';
import { FLEET_EXIT_CODES_HELP, finishFleet, followFleet } from './fleet-end.js';
import { DRY_RUN_EXIT_CODES_HELP } from '../fleet-dry-run.js';
import { fleetDryRun } from './fleet-dry-run.js';
import { scheduleFromManifest } from './fleet-schedule.js';
import { decimal, duration, integer } from './flag-parsers.js';

export function fleetCommand(program: Command, run: RunWithContext): Command {
  return program
    .command('fleet')
    .description(
      'Enable Lightning on many nodes from a manifest: starts the fleet workflow (or joins the running one with ' +
        'the same fleet id). A run makes every pair enabled now: pairs the node has enabled cost one ' +
        'get_enabled_coins per node; pairs a KDF restart dropped and failed ones are enabled again; running ones ' +
        'are joined.'
    )
    .argument('<MANIFEST>', 'fleet manifest, .yaml/.yml or .json (see examples/fleet.yaml)')
    .option(
      '--concurrency <n>',
      'members running at once across the fleet (overrides the manifest; default 50)',
      integer
    )
    .option('--per-node <n>', 'members running at once on one node (overrides the manifest; default 2)', integer)
    .option('--rate <r>', 'member starts per second (overrides the manifest; default unlimited)', decimal)
    .option('--task-queue <name>', 'Temporal task queue of the workers (default: KDF_TASK_QUEUE, else kdf-lightning)')
    .option('--wait', 'follow the fleet until every member ends, then print the failures')
    .option(
      '--every <interval>',
      'create (or update) a Temporal Schedule that runs the fleet on this interval, e.g. 10m; a run is skipped ' +
        'while the previous one runs (see fleet-schedule)',
      duration
    )
    .option(
      '--catchup-window <duration>',
      'with --every: runs missed during a Temporal outage are taken if missed less than this long ago (default: ' +
        'the interval)',
      duration
    )
    .option(
      '--dry-run',
      'start nothing: ask every node through the worker (reachable, userpass, platform coin, already enabled) ' +
        'and print what a run would do with each pair'
    )
    .option('--json', 'print one JSON document (with --wait: the final fleet summary)')
    .action(run(fleet))
    .addHelpText('after', `\n${FLEET_EXIT_CODES_HELP}\n\n${DRY_RUN_EXIT_CODES_HELP}`);
}

interface FleetOptions {
  concurrency?: number;
  perNode?: number;
  rate?: number;
  taskQueue?: string;
  wait?: boolean;
  every?: number;
  catchupWindow?: number;
  dryRun?: boolean;
}

/** `--concurrency`, `--per-node` and `--rate` → manifest overrides, within the manifest's own limits. */
function fleetOverrides(options: FleetOptions): FleetOverrides {
  const overrides: FleetOverrides = {};
  if (options.concurrency !== undefined) {
    if (!(options.concurrency >= 1 && options.concurrency <= 10_000)) {
      throw usage('--concurrency: must be 1-10000', '--concurrency');
    }
    overrides.concurrency = options.concurrency;
  }
  if (options.perNode !== undefined) {
    if (!(options.perNode >= 1 && options.perNode <= 1_000)) throw usage('--per-node: must be 1-1000', '--per-node');
    overrides.perNodeConcurrency = options.perNode;
  }
  if (options.rate !== undefined) {
    if (!(options.rate > 0 && options.rate <= 10_000)) {
      throw usage('--rate: must be above 0 and at most 10000 starts per second', '--rate');
    }
    overrides.startsPerSecond = options.rate;
  }
  return overrides;
}

async function fleet(ctx: Context, manifest: string, options: FleetOptions): Promise<void> {
  const exclusive = (['every', 'dryRun', 'wait'] as const).filter((flag) => options[flag] !== undefined);
  if (exclusive.length > 1) throw usage('--every, --dry-run and --wait exclude each other', '--every');
  if (options.catchupWindow !== undefined && options.every === undefined) {
    throw usage('--catchup-window: only with --every', '--catchup-window');
  }
  const input = await loadFleetManifest(manifest, fleetOverrides(options));
  const taskQueue = options.taskQueue ?? taskQueueFromEnv(ctx.io.env);
  if (options.dryRun) return fleetDryRun(ctx, input, taskQueue);
  if (options.every !== undefined) {
    return scheduleFromManifest(ctx, input, {
      everyMs: options.every,
      taskQueue,
      ...(options.catchupWindow !== undefined && { catchupWindowMs: options.catchupWindow }),
    });
  }
  const client = await ctx.client();
  const { fleetId } = input;
  const before = await fleetHandle(client, fleetId)
    .describe()
    .catch(() => undefined);
  const joined = before?.status.name === 'RUNNING';
  const started = await startFleet(client, input, { taskQueue });
  if (joined) {
    ctx.io.stderr.write(
      `note: fleet ${fleetId} is already running; following it (it keeps the manifest and limits it started with)\n`
    );
  }
  if (!(await hasWorkers(client, taskQueue))) {
    ctx.io.stderr.write(
      `warning: no worker is polling task queue ${taskQueue}; the fleet waits until one starts (npm run worker)\n`
    );
  }
  const { pairs, nodes } = fleetSize(input);
  if (!options.wait) {
    if (ctx.json) {
      writeJson(ctx.io, {
        workflowId: started.workflowId,
        runId: started.runId,
        fleetId,
        taskQueue,
        total: pairs,
        nodes,
        joined,
      });
    } else {
      ctx.io.stdout.write(
        `${joined ? 'joined running' : 'started'} fleet ${fleetId}: ${pairs} enablement(s) on ` +
          `${nodes} node(s)\n` +
          `workflow ${started.workflowId} (run ${started.runId}) on task queue ${taskQueue}\n` +
          `follow:  kdf-lightning fleet-status ${fleetId}\n` +
          `         kdf-lightning fleet ${manifest} --wait   (joins the running fleet)\n` +
          `cancel:  kdf-lightning fleet-cancel ${fleetId} --reason TEXT\n`
      );
    }
    return;
  }
  if (!ctx.json) {
    ctx.io.stdout.write(
      `${joined ? 'following' : 'started'} fleet ${fleetId}: ${pairs} enablement(s) on ${nodes} ` +
        `node(s), workflow ${started.workflowId}\n`
    );
  }
  finishFleet(ctx, await followFleet(ctx, client, fleetId));
}
