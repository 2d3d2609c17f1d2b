// The `kdf-lightning` command line: the program (global options, help) over one module per command in commands/,
// and runCli, which maps whatever a command throws to an exit code. A thin layer over the library in index.ts.
import type { Client } from '@temporalio/client';
import { Command, CommanderError, Option } from 'commander';
import { cancelCommand } from './commands/cancel.js';
import { Exit, writeJson } from './commands/context.js';
import type { CliIo, Context, RunWithContext } from './commands/context.js';
import { enableCommand } from './commands/enable.js';
import { FleetEndedError, FleetNotFoundError } from './commands/fleet-end.js';
import { fleetCancelCommand } from './commands/fleet-cancel.js';
import { fleetScheduleCommand } from './commands/fleet-schedule.js';
import { fleetStatusCommand } from './commands/fleet-status.js';
import { fleetCommand } from './commands/fleet.js';
import { duration } from './commands/flag-parsers.js';
import { listCommand } from './commands/list.js';
import { resultCommand } from './commands/result.js';
import { statusCommand } from './commands/status.js';
import { watchCommand } from './commands/watch.js';
import { connectClient } from './connection.js';
import { EnablementNotFoundError, isUnavailable } from './errors.js';
import { EXIT_CODES_HELP, ExitCode } from './exit-codes.js';
import { InputError } from './schema.js';

export type { CliIo } from './commands/context.js';

/** In the order `--help` lists them. */
const COMMANDS = [
  enableCommand,
  statusCommand,
  watchCommand,
  listCommand,
  cancelCommand,
  resultCommand,
  fleetCommand,
  fleetStatusCommand,
  fleetCancelCommand,
  fleetScheduleCommand,
];

interface GlobalOptions {
  address?: string;
  namespace?: string;
  connectTimeout?: number;
  json?: boolean;
}

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

  const run: RunWithContext =
    (action) =>
    async (...args) => {
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

  for (const addCommand of COMMANDS) addCommand(program, run);
  return program;
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
