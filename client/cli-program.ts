// The `kdf-lightning` command line: a thin layer over the library in client/index.ts.
import { userInfo } from 'node:os';
import type { Client } from '@temporalio/client';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { enablementWorkflowId, Outcome } from '../workflows/api.js';
import type { EnablementReport } from '../workflows/api.js';
import { connectClient, taskQueueFromEnv } from './connection.js';
import type { ConnectConfig } from './connection.js';
import { DurationError, parseDuration } from './duration.js';
import { cancelEnablement, getProgress, listEnablements, startEnablement, waitForReport } from './enablements.js';
import type { EnablementSummary, ListFilter } from './enablements.js';
import { EnablementNotFoundError, isUnavailable } from './errors.js';
import { EXIT_CODES_HELP, ExitCode, outcomeExitCode, worstExitCode } from './exit-codes.js';
import { barView, lineView, progressDetails, reportDetails, reportTable, silentView, table } from './output.js';
import type { ProgressView, Writable } from './output.js';
import { defaultNodeName, InputError, validateEnableInput } from './schema.js';

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

/** Exit code and message for an error a command threw. */
export function classifyError(err: unknown): { code: ExitCode; kind: string; message: string; field?: string } {
  if (err instanceof InputError) return { code: ExitCode.usage, kind: 'usage', message: err.message, field: err.field };
  if (err instanceof CommanderError) return { code: ExitCode.usage, kind: 'usage', message: err.message };
  if (err instanceof EnablementNotFoundError)
    return { code: ExitCode.notFound, kind: 'not_found', message: err.message };
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
