// The `kdf-lightning` command line: a thin layer over the library in client/index.ts.
import { userInfo } from 'node:os';
import { WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import type { Client } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import {
  enablementWorkflowId,
  fleetWorkflowId,
  KdfPhaseAttribute,
  Outcome,
  REPORT_MEMO_KEY,
  STARTING_PHASE,
} from '../workflows/api.js';
import type { EnablementReport, FleetProgress } from '../workflows/api.js';
import { connectClient, taskQueueFromEnv } from './connection.js';
import type { ConnectConfig } from './connection.js';
import { DurationError, parseDuration } from './duration.js';
import {
  cancelEnablement,
  ENABLE_WORKFLOW_TYPE,
  getProgress,
  listEnablements,
  startEnablement,
  waitForReport,
} from './enablements.js';
import type { EnablementSummary, ListFilter } from './enablements.js';
import { EnablementNotFoundError, isUnavailable } from './errors.js';
import { EXIT_CODES_HELP, ExitCode, outcomeExitCode, worstExitCode } from './exit-codes.js';
import { cancelFleet, fleetHandle, getFleetProgress, startFleet, waitForFleet } from './fleet.js';
import { loadFleetManifest } from './manifest.js';
import type { FleetOverrides } from './manifest.js';
import {
  barView,
  fleetBarView,
  fleetDetails,
  fleetFailuresReport,
  fleetLineView,
  lineView,
  progressDetails,
  reportDetails,
  reportTable,
  silentFleetView,
  silentView,
  table,
} from './output.js';
import type { FleetView, ProgressView, Writable } from './output.js';
import { defaultNodeName, ID_PATTERN, InputError, validateEnableInput } from './schema.js';

export interface CliIo {
  stdout: Writable;
  stderr: Writable;
  env: Record<string, string | undefined>;
  /** How to get a Temporal client; tests may inject one. @default connectClient */
  connect?: (config: ConnectConfig) => Promise<Client>;
}

/** Thrown inside commands to end with a given exit code (after the output is written). */
class Exit extends Error {
  constructor(readonly code: ExitCode) {
    super(`exit ${code}`);
  }
}

/** Workflow input field → the flag that sets it, so validation errors name the flag. */
const FLAG_FOR_FIELD: Record<string, string> = {
  node: '--node',
  ticker: '--ticker',
  platformCoin: '--platform-coin',
  'activationParams.name': '--name',
  'activationParams.listening_port': '--port',
  'activationParams.color': '--color',
  'activationParams.payment_retries': '--payment-retries',
  'activationParams.backup_path': '--backup-path',
  timeoutMs: '--timeout',
};

const integer = (value: string): number => {
  if (!/^-?\d+$/.test(value.trim())) throw new InvalidArgumentError('must be an integer.');
  return Number(value);
};

const duration = (value: string): number => {
  try {
    return parseDuration(value);
  } catch (err) {
    if (err instanceof DurationError) throw new InvalidArgumentError(`${err.message}.`);
    throw err;
  }
};

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

const decimal = (value: string): number => {
  if (!/^\d+(\.\d+)?$/.test(value.trim())) throw new InvalidArgumentError('must be a number, e.g. 20 or 0.5.');
  return Number(value);
};

export const FLEET_EXIT_CODES_HELP = `Exit codes (fleet commands):
  0   every member enabled, or the command succeeded (fleet without --wait,
      fleet-status of a running fleet, fleet-cancel --no-wait)
  2   a member failed (KDF error, lost task, terminated), or the fleet workflow itself failed
  3   the fleet was cancelled (whatever its members did before), or a member was cancelled
  4   a member timed out
  64  bad usage or manifest (the message names the flag or the manifest field)
  66  no such fleet; fleet-cancel: the fleet is not running
  69  Temporal server unreachable
  70  unexpected internal error
Unless the fleet was cancelled, the worst member outcome wins: failed > timed out > cancelled > enabled.`;

/** The login name, for `cancel --by` when $USER is not set. */
function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

const OUTCOMES = [Outcome.enabled, Outcome.failed, Outcome.cancelled, Outcome.timedOut];

interface GlobalOptions {
  address?: string;
  namespace?: string;
  connectTimeout?: number;
  json?: boolean;
}

interface Context {
  io: CliIo;
  /** `--json`: exactly one JSON document on stdout, no live output. */
  json: boolean;
  /** The Temporal client, connected on first use and closed when the command ends. */
  client(): Promise<Client>;
}

const writeJson = (io: CliIo, value: unknown): void => void io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

/** Builds the commander program; every client a command connects is recorded in `clients` to be closed. */
function buildProgram(io: CliIo, clients: Client[]): Command {
  const program = new Command('kdf-lightning')
    .description('Enable Lightning on Komodo DeFi Framework nodes through Temporal workflows.')
    .option('--address <host:port>', 'Temporal frontend address (default: TEMPORAL_ADDRESS, else 127.0.0.1:7233)')
    .option('--namespace <name>', 'Temporal namespace (default: TEMPORAL_NAMESPACE, else default)')
    .addOption(
      new Option('--connect-timeout <duration>', 'give up connecting to Temporal after this long')
        .argParser(duration)
        .default(10_000, '10s')
    )
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => void io.stdout.write(text),
      writeErr: (text) => void io.stderr.write(text),
    })
    .addHelpText(
      'after',
      `
Temporal connection: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_* (see client/README.md).
Task queue: KDF_TASK_QUEUE (default kdf-lightning).

${EXIT_CODES_HELP}`
    );

  const withContext =
    <A extends unknown[]>(action: (ctx: Context, ...args: A) => Promise<void>) =>
    async (...args: A): Promise<void> => {
      const command = args[args.length - 1] as Command;
      const options = command.optsWithGlobals<GlobalOptions>();
      let client: Promise<Client> | undefined;
      const ctx: Context = {
        io,
        json: Boolean(options.json),
        client: () =>
          (client ??= (io.connect ?? connectClient)({
            env: io.env,
            ...(options.address !== undefined && { address: options.address }),
            ...(options.namespace !== undefined && { namespace: options.namespace }),
            ...(options.connectTimeout !== undefined && { connectTimeoutMs: options.connectTimeout }),
          }).then((connected) => {
            clients.push(connected);
            return connected;
          })),
      };
      await action(ctx, ...args);
    };

  const addExitHelp = (command: Command) => command.addHelpText('after', `\n${EXIT_CODES_HELP}`);

  addExitHelp(
    program
      .command('enable')
      .description('Start enabling Lightning for one or more tickers on a node (one workflow per ticker).')
      .requiredOption('--node <id>', 'KDF node id (as in the worker’s KDF_NODES_FILE)')
      .option('--ticker <ticker>', 'Lightning ticker, e.g. tBTC-lightning; repeat for several', collect)
      .option('--platform-coin <ticker>', 'fail fast unless this coin is enabled on the node, e.g. tBTC-segwit')
      .option('--name <alias>', 'Lightning node alias, at most 32 UTF-8 bytes (default: <node>-<ticker>, truncated)')
      .option('--port <port>', 'Lightning listening port (KDF default: 9735)', integer)
      .option('--color <hex>', 'node color, six hex digits (KDF default: 000000)')
      .option('--payment-retries <n>', 'payment retries (KDF default: 5)', integer)
      .option('--backup-path <path>', 'channel backup path on the KDF host')
      .addOption(
        new Option('--timeout <duration>', 'deadline for the whole enablement, e.g. 90s, 15m, 1h')
          .argParser(duration)
          .default(900_000, '15m')
      )
      .option('--task-queue <name>', 'Temporal task queue of the workers (default: KDF_TASK_QUEUE, else kdf-lightning)')
      .option('--wait', 'follow progress phase by phase until every enablement ends')
      .option('--json', 'print one JSON document')
      .action(withContext(enableCommand))
  );

  addExitHelp(
    program
      .command('status')
      .description('Show the progress of one enablement once.')
      .requiredOption('--node <id>', 'KDF node id')
      .requiredOption('--ticker <ticker>', 'Lightning ticker')
      .option('--json', 'print one JSON document')
      .action(withContext(statusCommand))
  );

  addExitHelp(
    program
      .command('watch')
      .description('Follow enablements live until they end: one (--node and --ticker) or every running one matching.')
      .option('--node <id>', 'KDF node id')
      .option('--ticker <ticker>', 'Lightning ticker; repeat for several', collect)
      .option('--json', 'print one JSON document (the reports) at the end')
      .action(withContext(watchCommand))
  );

  addExitHelp(
    program
      .command('list')
      .description('List enablements (newest first), filtered by node, ticker, outcome or running.')
      .option('--node <id>', 'only this KDF node')
      .option('--ticker <ticker>', 'only this ticker')
      .addOption(new Option('--outcome <outcome>', 'only finished enablements with this outcome').choices(OUTCOMES))
      .addOption(new Option('--running', 'only running enablements').conflicts('outcome'))
      .option('--limit <n>', 'at most this many', integer, 100)
      .option('--json', 'print one JSON document')
      .action(withContext(listCommand))
  );

  addExitHelp(
    program
      .command('cancel')
      .description(
        'Cancel one running enablement (--node and --ticker), or every running one matching (--all-running); ' +
          'the KDF task is cancelled and the reason recorded.'
      )
      .option('--node <id>', 'KDF node id')
      .option('--ticker <ticker>', 'Lightning ticker')
      .option('--all-running', 'cancel every running enablement matching --node/--ticker (all when neither)')
      .requiredOption('--reason <text>', 'why (recorded in the report and shown in the UI)')
      .option('--by <name>', 'who cancels (default: $USER, else the login name)')
      .option('--no-wait', 'return once cancellation is requested instead of waiting for the outcome')
      .option('--json', 'print one JSON document')
      .action(withContext(cancelCommand))
  );

  addExitHelp(
    program
      .command('result')
      .description('Wait for one enablement to end and print its report.')
      .requiredOption('--node <id>', 'KDF node id')
      .requiredOption('--ticker <ticker>', 'Lightning ticker')
      .option('--json', 'print one JSON document')
      .action(withContext(resultCommand))
  );

  const addFleetExitHelp = (command: Command) => command.addHelpText('after', `\n${FLEET_EXIT_CODES_HELP}`);

  addFleetExitHelp(
    program
      .command('fleet')
      .description(
        'Enable Lightning on many nodes from a manifest: starts the fleet workflow (or joins the running one with ' +
          'the same fleet id). Re-running a manifest is idempotent: enabled pairs are not started again.'
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
      .option('--json', 'print one JSON document (with --wait: the final fleet summary)')
      .action(withContext(fleetCommand))
  );

  addFleetExitHelp(
    program
      .command('fleet-status')
      .description('Show the progress of a fleet once: counts by outcome, failures, running members by phase.')
      .argument('<FLEET_ID>', "the manifest's `fleet` id")
      .option('--json', 'print one JSON document')
      .action(withContext(fleetStatusCommand))
  );

  addFleetExitHelp(
    program
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
      .action(withContext(fleetCancelCommand))
  );
  return program;
}

function usage(message: string, field = ''): InputError {
  return new InputError(message, field);
}

function requireId(value: string | undefined, flag: string): string {
  if (value === undefined || value === '') throw usage(`${flag}: is required`, flag);
  return value;
}

/** Renames workflow-input fields to the flags that set them: `activationParams.color: …` → `--color: …`. */
function flagMessage(err: InputError): InputError {
  let message = err.message;
  for (const [field, flag] of Object.entries(FLAG_FOR_FIELD)) {
    message = message.split(`${field}: `).join(`${flag}: `);
  }
  return new InputError(message, FLAG_FOR_FIELD[err.field] ?? err.field);
}

interface EnableOptions {
  node: string;
  ticker?: string[];
  platformCoin?: string;
  name?: string;
  port?: number;
  color?: string;
  paymentRetries?: number;
  backupPath?: string;
  timeout: number;
  taskQueue?: string;
  wait?: boolean;
}

/** Flags → one validated workflow input per ticker; throws before anything starts. */
export function enableInputs(options: EnableOptions) {
  if (!options.ticker?.length) throw usage('--ticker: is required (repeat it for several tickers)', '--ticker');
  const tickers = [...new Set(options.ticker)];
  return tickers.map((ticker) => {
    const input = {
      node: options.node,
      ticker,
      ...(options.platformCoin !== undefined && { platformCoin: options.platformCoin }),
      activationParams: {
        name: options.name ?? defaultNodeName(options.node, ticker),
        ...(options.port !== undefined && { listening_port: options.port }),
        ...(options.color !== undefined && { color: options.color }),
        ...(options.paymentRetries !== undefined && { payment_retries: options.paymentRetries }),
        ...(options.backupPath !== undefined && { backup_path: options.backupPath }),
      },
      timeoutMs: options.timeout,
    };
    try {
      return validateEnableInput(input);
    } catch (err) {
      throw err instanceof InputError ? flagMessage(err) : err;
    }
  });
}

const reportJson = (report: EnablementReport) => ({
  workflowId: enablementWorkflowId(report.node, report.ticker),
  ...report,
});

async function enableCommand(ctx: Context, options: EnableOptions): Promise<void> {
  const inputs = enableInputs(options);
  const client = await ctx.client();
  const taskQueue = options.taskQueue ?? taskQueueFromEnv(ctx.io.env);
  const started = [];
  for (const input of inputs) started.push(await startEnablement(client, input, { taskQueue }));
  if (!(await hasWorkers(client, taskQueue))) {
    ctx.io.stderr.write(
      `warning: no worker is polling task queue ${taskQueue}; the enablement waits until one starts (npm run worker)\n`
    );
  }
  if (!options.wait) {
    if (ctx.json) {
      writeJson(
        ctx.io,
        started.map(({ workflowId, runId, node, ticker }) => ({ workflowId, runId, node, ticker, taskQueue }))
      );
    } else {
      ctx.io.stdout.write(
        table(
          ['WORKFLOW ID', 'RUN ID'],
          started.map((s) => [s.workflowId, s.runId])
        )
      );
      ctx.io.stdout.write(
        `started on task queue ${taskQueue}; follow with: kdf-lightning watch --node ${options.node}\n`
      );
    }
    return;
  }
  const reports = await follow(ctx, client, started);
  finish(ctx, reports);
}

/** Whether any worker polled the task queue recently; true when the server cannot tell. */
async function hasWorkers(client: Client, taskQueue: string): Promise<boolean> {
  try {
    const response = await client.workflowService.describeTaskQueue({
      namespace: client.options.namespace,
      taskQueue: { name: taskQueue },
      taskQueueType: 1, // workflow
    });
    return (response.pollers?.length ?? 0) > 0;
  } catch {
    return true;
  }
}

/** Prints the reports (table or JSON) and ends with the worst outcome's exit code. */
function finish(ctx: Context, reports: EnablementReport[], single = false): void {
  if (ctx.json) writeJson(ctx.io, single && reports[0] ? reportJson(reports[0]) : reports.map(reportJson));
  else if (single && reports[0])
    ctx.io.stdout.write(reportDetails(enablementWorkflowId(reports[0].node, reports[0].ticker), reports[0]));
  else ctx.io.stdout.write(`\n${reportTable(reports)}`);
  const code = worstExitCode(reports.map((report) => outcomeExitCode(report.outcome)));
  if (code !== ExitCode.ok) throw new Exit(code);
}

function viewFor(ctx: Context, keyWidth: number): ProgressView {
  if (ctx.json) return silentView();
  return ctx.io.stdout.isTTY ? barView(ctx.io.stdout, keyWidth) : lineView(ctx.io.stdout, keyWidth);
}

const POLL_MS = 500;

/** Follows enablements with the `progress` query until each one's report is in; reports in input order. */
async function follow(
  ctx: Context,
  client: Client,
  targets: readonly { node: string; ticker: string }[]
): Promise<EnablementReport[]> {
  const severalNodes = new Set(targets.map((t) => t.node)).size > 1;
  const keyOf = (target: { node: string; ticker: string }) =>
    severalNodes ? `${target.node}/${target.ticker}` : target.ticker;
  const view = viewFor(ctx, Math.max(...targets.map((target) => keyOf(target).length)));
  const reports = new Map<number, EnablementReport>();
  try {
    await Promise.all(
      targets.map(async (target, index) => {
        const key = keyOf(target);
        const report = waitForReport(client, target.node, target.ticker).then((value) => {
          reports.set(index, value);
          return value;
        });
        while (!reports.has(index)) {
          const progress = await getProgress(client, target.node, target.ticker).catch(() => undefined);
          if (progress && !reports.has(index)) view.update(key, progress);
          await Promise.race([report, new Promise((resolve) => setTimeout(resolve, POLL_MS))]);
        }
        view.done(key, await report);
      })
    );
  } finally {
    view.stop();
  }
  return targets.map((_, index) => reports.get(index) as EnablementReport);
}

async function statusCommand(ctx: Context, options: { node: string; ticker: string }): Promise<void> {
  const client = await ctx.client();
  const progress = await getProgress(client, options.node, options.ticker);
  const workflowId = enablementWorkflowId(options.node, options.ticker);
  const status = progress.outcome ? 'finished' : 'running';
  if (ctx.json) writeJson(ctx.io, { workflowId, status, ...progress });
  else ctx.io.stdout.write(progressDetails(workflowId, status, progress));
  if (progress.outcome) {
    const code = outcomeExitCode(progress.outcome);
    if (code !== ExitCode.ok) throw new Exit(code);
  }
}

async function watchCommand(ctx: Context, flags: { node?: string; ticker?: string[] }): Promise<void> {
  const options = { ...flags, ticker: flags.ticker ?? [] };
  const client = await ctx.client();
  let targets: { node: string; ticker: string }[];
  if (options.node !== undefined && options.ticker.length > 0) {
    targets = options.ticker.map((ticker) => ({ node: options.node as string, ticker }));
  } else {
    const filter: ListFilter = { running: true, limit: 1_000 };
    if (options.node !== undefined) filter.node = options.node;
    if (options.ticker.length === 1 && options.ticker[0] !== undefined) filter.ticker = options.ticker[0];
    const running = await listEnablements(client, filter);
    targets = running
      .filter((entry) => options.ticker.length === 0 || options.ticker.includes(entry.ticker))
      .map(({ node, ticker }) => ({ node, ticker }));
  }
  if (targets.length === 0) {
    if (ctx.json) writeJson(ctx.io, []);
    else ctx.io.stdout.write('no running enablement matches\n');
    return;
  }
  finish(ctx, await follow(ctx, client, targets));
}

interface ListOptions {
  node?: string;
  ticker?: string;
  outcome?: Outcome;
  running?: boolean;
  limit: number;
}

async function listCommand(ctx: Context, options: ListOptions): Promise<void> {
  const filter: ListFilter = { limit: options.limit };
  if (options.node !== undefined) filter.node = options.node;
  if (options.ticker !== undefined) filter.ticker = options.ticker;
  if (options.outcome !== undefined) filter.outcome = options.outcome;
  if (options.running) filter.running = true;
  if (!(options.limit >= 1)) throw usage('--limit: must be at least 1', '--limit');
  const client = await ctx.client();
  const found = await listEnablements(client, filter);
  if (ctx.json) {
    writeJson(ctx.io, found);
    return;
  }
  if (found.length === 0) {
    ctx.io.stdout.write('no enablement matches\n');
    return;
  }
  ctx.io.stdout.write(
    table(
      ['NODE', 'TICKER', 'STATUS', 'PHASE/OUTCOME', 'STARTED', 'CLOSED', 'WORKFLOW ID'],
      found.map((entry: EnablementSummary) => [
        entry.node,
        entry.ticker,
        entry.status,
        entry.outcome ?? entry.phase ?? '-',
        entry.startTime.slice(0, 19).replace('T', ' '),
        entry.closeTime?.slice(0, 19).replace('T', ' ') ?? '-',
        entry.workflowId,
      ])
    )
  );
}

interface CancelOptions {
  node?: string;
  ticker?: string;
  allRunning?: boolean;
  reason: string;
  by?: string;
  wait: boolean;
}

async function cancelCommand(ctx: Context, options: CancelOptions): Promise<void> {
  const by = options.by ?? ctx.io.env.USER ?? ctx.io.env.USERNAME ?? osUser();
  if (!options.reason.trim()) throw usage('--reason: must not be empty', '--reason');
  if (!by.trim()) throw usage('--by: must not be empty', '--by');
  if (!options.allRunning) {
    const node = requireId(options.node, '--node');
    const ticker = requireId(options.ticker, '--ticker');
    const client = await ctx.client();
    const cancelled = await cancelEnablement(client, node, ticker, options.reason, by);
    if (!options.wait) {
      if (ctx.json) writeJson(ctx.io, { ...cancelled, node, ticker, cancelRequested: true });
      else ctx.io.stdout.write(`cancellation requested for ${cancelled.workflowId}\n`);
      return;
    }
    if (!ctx.json) ctx.io.stdout.write(`cancellation requested for ${cancelled.workflowId}; waiting for the outcome\n`);
    finish(ctx, [await waitForReport(client, node, ticker)], true);
    return;
  }

  const client = await ctx.client();
  const filter: ListFilter = { running: true, limit: 10_000 };
  if (options.node !== undefined) filter.node = options.node;
  if (options.ticker !== undefined) filter.ticker = options.ticker;
  const running = await listEnablements(client, filter);
  if (running.length === 0) {
    if (ctx.json) writeJson(ctx.io, []);
    else ctx.io.stdout.write('no running enablement matches\n');
    return;
  }
  const requested: { node: string; ticker: string }[] = [];
  const skipped: string[] = [];
  for (const [index, entry] of running.entries()) {
    try {
      await cancelEnablement(client, entry.node, entry.ticker, options.reason, by);
      requested.push({ node: entry.node, ticker: entry.ticker });
    } catch (err) {
      if (!(err instanceof EnablementNotFoundError)) throw err;
      skipped.push(entry.workflowId); // ended meanwhile
    }
    if (!ctx.json) ctx.io.stdout.write(`[${index + 1}/${running.length}] cancel requested: ${entry.workflowId}\n`);
  }
  if (!options.wait) {
    if (ctx.json)
      writeJson(
        ctx.io,
        requested.map((t) => ({ ...t, workflowId: enablementWorkflowId(t.node, t.ticker) }))
      );
    else ctx.io.stdout.write(`cancellation requested for ${requested.length} enablement(s)\n`);
    return;
  }
  const reports = await Promise.all(requested.map((t) => waitForReport(client, t.node, t.ticker)));
  finish(ctx, reports);
}

async function resultCommand(ctx: Context, options: { node: string; ticker: string }): Promise<void> {
  const client = await ctx.client();
  finish(ctx, [await waitForReport(client, options.node, options.ticker)], true);
}

/** Thrown when no fleet workflow exists under an id, or (fleet-cancel) it is not running: exit 66. */
export class FleetNotFoundError extends Error {
  override name = 'FleetNotFoundError';
  constructor(
    message: string,
    readonly workflowId: string
  ) {
    super(message);
  }
}

/** The fleet workflow itself ended without a summary (terminated, failed): exit with `code`. */
export class FleetEndedError extends Error {
  override name = 'FleetEndedError';
  constructor(
    message: string,
    readonly code: ExitCode
  ) {
    super(message);
  }
}

const fleetNotFound = (fleetId: string): FleetNotFoundError =>
  new FleetNotFoundError(`no fleet ${fleetId} (workflow ${fleetWorkflowId(fleetId)})`, fleetWorkflowId(fleetId));

/** Checked before connecting: the id ends up in a workflow id and a visibility query. */
function requireFleetId(fleetId: string): string {
  if (!ID_PATTERN.test(fleetId)) {
    throw usage(
      `FLEET_ID: "${fleetId}" is not a valid fleet id (1-64 letters, digits, ".", "_" or "-", starting with a letter or digit)`,
      'FLEET_ID'
    );
  }
  return fleetId;
}

export interface FleetOptions {
  concurrency?: number;
  perNode?: number;
  rate?: number;
  taskQueue?: string;
  wait?: boolean;
}

/** `--concurrency`, `--per-node` and `--rate` → manifest overrides, within the manifest's own limits. */
export function fleetOverrides(options: FleetOptions): FleetOverrides {
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

/**
 * Exit code of a finished fleet: cancelled (3) when the fleet was cancelled, else the worst member outcome;
 * 0 only when every member ended enabled.
 */
export function fleetExitCode(progress: FleetProgress, cancelled = progress.cancel !== undefined): ExitCode {
  if (cancelled) return ExitCode.cancelled;
  const { counts } = progress;
  const codes: ExitCode[] = [];
  if (counts.failed > 0) codes.push(ExitCode.failed);
  if (counts.timed_out > 0) codes.push(ExitCode.timedOut);
  if (counts.cancelled > 0) codes.push(ExitCode.cancelled);
  const worst = worstExitCode(codes);
  // members that never ended (a fleet cut short) did not get enabled either
  if (worst === ExitCode.ok && counts.enabled < progress.total) return ExitCode.failed;
  return worst;
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

type FleetStatus = 'running' | 'cancelling' | 'finished' | 'cancelled';

interface FleetEnd {
  progress: FleetProgress;
  /** Cancelled through `fleet-cancel` (progress.cancel) or by a Temporal cancellation (e.g. from the UI). */
  cancelled: boolean;
}

const isFleetProgress = (value: unknown): value is FleetProgress =>
  typeof value === 'object' && value !== null && 'fleetId' in value && 'counts' in value && 'total' in value;

async function describeFleet(client: Client, fleetId: string) {
  try {
    return await fleetHandle(client, fleetId).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw fleetNotFound(fleetId);
    throw err;
  }
}

/** The summary of a fleet whose result() threw: the memo of a cancelled one, else an error with its exit code. */
async function fleetEndFromError(client: Client, fleetId: string, err: unknown): Promise<FleetEnd> {
  if (err instanceof WorkflowNotFoundError) throw fleetNotFound(fleetId);
  if (!(err instanceof WorkflowFailedError)) throw err;
  if (err.cause instanceof CancelledFailure) {
    const memo = await fleetHandle(client, fleetId)
      .describe()
      .then(
        (description) => description.memo?.[REPORT_MEMO_KEY],
        () => undefined
      );
    if (isFleetProgress(memo)) return { progress: memo, cancelled: true };
    throw new FleetEndedError(`fleet ${fleetId} was cancelled before it recorded a summary`, ExitCode.cancelled);
  }
  const cause = err.cause ? `: ${err.cause.message}` : '';
  throw new FleetEndedError(`fleet ${fleetId}: ${err.message}${cause}`, ExitCode.failed);
}

/** The final summary of a finished fleet (across its continue-as-new runs). */
async function fleetEnd(client: Client, fleetId: string): Promise<FleetEnd> {
  try {
    const progress = await fleetHandle(client, fleetId).result();
    return { progress, cancelled: progress.cancel !== undefined };
  } catch (err) {
    return fleetEndFromError(client, fleetId, err);
  }
}

function fleetViewFor(ctx: Context): FleetView {
  if (ctx.json) return silentFleetView();
  return ctx.io.stdout.isTTY ? fleetBarView(ctx.io.stdout) : fleetLineView(ctx.io.stdout);
}

const FLEET_POLL_MS = 1_000;

/** Follows a fleet with its `progress` query until it ends. */
async function followFleet(ctx: Context, client: Client, fleetId: string): Promise<FleetEnd> {
  const view = fleetViewFor(ctx);
  try {
    const progress = await waitForFleet(client, fleetId, (update) => view.update(update), FLEET_POLL_MS);
    return { progress, cancelled: progress.cancel !== undefined };
  } catch (err) {
    return await fleetEndFromError(client, fleetId, err);
  } finally {
    view.stop();
  }
}

const fleetJson = (workflowId: string, status: FleetStatus, progress: FleetProgress, extra: object = {}) => ({
  workflowId,
  status,
  ...progress,
  ...extra,
});

/** Prints a finished fleet (summary and failures table, or JSON) and ends with its exit code. */
function finishFleet(ctx: Context, end: FleetEnd): void {
  const workflowId = fleetWorkflowId(end.progress.fleetId);
  const status: FleetStatus = end.cancelled ? 'cancelled' : 'finished';
  if (ctx.json) writeJson(ctx.io, fleetJson(workflowId, status, end.progress));
  else ctx.io.stdout.write(`\n${fleetDetails(workflowId, status, end.progress)}${fleetFailuresReport(end.progress)}`);
  const code = fleetExitCode(end.progress, end.cancelled);
  if (code !== ExitCode.ok) throw new Exit(code);
}

async function fleetCommand(ctx: Context, manifest: string, options: FleetOptions): Promise<void> {
  const input = await loadFleetManifest(manifest, fleetOverrides(options));
  const client = await ctx.client();
  const taskQueue = options.taskQueue ?? taskQueueFromEnv(ctx.io.env);
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
  const nodes = new Set(input.members.map((member) => member.node)).size;
  if (!options.wait) {
    if (ctx.json) {
      writeJson(ctx.io, {
        workflowId: started.workflowId,
        runId: started.runId,
        fleetId,
        taskQueue,
        total: input.members.length,
        nodes,
        joined,
      });
    } else {
      ctx.io.stdout.write(
        `${joined ? 'joined running' : 'started'} fleet ${fleetId}: ${input.members.length} enablement(s) on ` +
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
      `${joined ? 'following' : 'started'} fleet ${fleetId}: ${input.members.length} enablement(s) on ${nodes} ` +
        `node(s), workflow ${started.workflowId}\n`
    );
  }
  finishFleet(ctx, await followFleet(ctx, client, fleetId));
}

async function fleetStatusCommand(ctx: Context, id: string): Promise<void> {
  const fleetId = requireFleetId(id);
  const client = await ctx.client();
  const workflowId = fleetWorkflowId(fleetId);
  const description = await describeFleet(client, fleetId);
  if (description.status.name === 'RUNNING') {
    const [progress, runningPhases] = await Promise.all([
      getFleetProgress(client, fleetId),
      fleetMemberPhases(client, fleetId),
    ]);
    const status: FleetStatus = progress.cancel ? 'cancelling' : 'running';
    if (ctx.json) writeJson(ctx.io, fleetJson(workflowId, status, progress, { runningPhases }));
    else
      ctx.io.stdout.write(
        `${fleetDetails(workflowId, status, progress, runningPhases)}${fleetFailuresReport(progress)}`
      );
    return;
  }
  const end = await fleetEnd(client, fleetId);
  const status: FleetStatus = end.cancelled ? 'cancelled' : 'finished';
  if (ctx.json) writeJson(ctx.io, fleetJson(workflowId, status, end.progress, { runningPhases: {} }));
  else ctx.io.stdout.write(`${fleetDetails(workflowId, status, end.progress)}${fleetFailuresReport(end.progress)}`);
  const code = fleetExitCode(end.progress, end.cancelled);
  if (code !== ExitCode.ok) throw new Exit(code);
}

interface FleetCancelOptions {
  reason: string;
  by?: string;
  wait: boolean;
}

async function fleetCancelCommand(ctx: Context, id: string, options: FleetCancelOptions): Promise<void> {
  const fleetId = requireFleetId(id);
  const by = options.by ?? ctx.io.env.USER ?? ctx.io.env.USERNAME ?? osUser();
  if (!options.reason.trim()) throw usage('--reason: must not be empty', '--reason');
  if (!by.trim()) throw usage('--by: must not be empty', '--by');
  const client = await ctx.client();
  const workflowId = fleetWorkflowId(fleetId);
  const notRunning = (status: string) =>
    new FleetNotFoundError(`fleet ${fleetId} is not running (${status}): nothing to cancel`, workflowId);
  const description = await describeFleet(client, fleetId);
  if (description.status.name !== 'RUNNING') throw notRunning(description.status.name.toLowerCase());
  try {
    await cancelFleet(client, fleetId, options.reason, by);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw notRunning('it ended meanwhile');
    throw err;
  }
  if (!options.wait) {
    if (ctx.json) writeJson(ctx.io, { workflowId, fleetId, cancelRequested: true, reason: options.reason, by });
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

/** Exit code and message for an error a command threw. */
export function classifyError(err: unknown): { code: ExitCode; kind: string; message: string; field?: string } {
  if (err instanceof InputError) return { code: ExitCode.usage, kind: 'usage', message: err.message, field: err.field };
  if (err instanceof CommanderError) return { code: ExitCode.usage, kind: 'usage', message: err.message };
  if (err instanceof EnablementNotFoundError || err instanceof FleetNotFoundError)
    return { code: ExitCode.notFound, kind: 'not_found', message: err.message };
  if (err instanceof FleetEndedError) {
    return { code: err.code, kind: err.code === ExitCode.cancelled ? 'cancelled' : 'failed', message: err.message };
  }
  if (isUnavailable(err)) {
    return { code: ExitCode.unavailable, kind: 'unavailable', message: (err as Error).message };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { code: ExitCode.internal, kind: 'internal', message };
}

/** Runs the CLI on `argv` (without `node` and the script) and returns the exit code; never calls process.exit. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  const clients: Client[] = [];
  const program = buildProgram(io, clients);
  const json = argv.includes('--json');
  if (argv.length === 0) {
    io.stderr.write(program.helpInformation());
    return ExitCode.usage;
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return ExitCode.ok;
  } catch (err) {
    if (err instanceof Exit) return err.code;
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.help' || err.code === 'commander.version') {
        return ExitCode.ok;
      }
      // commander already printed its message (naming the flag) to stderr
      if (json) writeJson(io, { error: { code: ExitCode.usage, kind: 'usage', message: err.message } });
      return ExitCode.usage;
    }
    const { code, kind, message, field } = classifyError(err);
    io.stderr.write(`error: ${message}\n`);
    if (code === ExitCode.internal && err instanceof Error && err.stack) io.stderr.write(`${err.stack}\n`);
    if (json) writeJson(io, { error: { code, kind, message, ...(field && { field }) } });
    return code;
  } finally {
    await Promise.all(clients.map((client) => client.connection.close().catch(() => undefined)));
  }
}
