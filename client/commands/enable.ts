// `enable`: starts one enablement workflow per ticker on a node, optionally following them to their end.
import { Option } from 'commander';
import type { Command } from 'commander';
import { taskQueueFromEnv } from '../connection.js';
import { startEnablement } from '../enablements.js';
import { EXIT_CODES_HELP } from '../exit-codes.js';
import { table } from '../output.js';
import { defaultNodeName, InputError, validateEnableInput } from '../schema.js';
import { hasWorkers, usage, writeJson } from './context.js';
import type { Context, RunWithContext } from './context.js';
import { collect, duration, integer } from './flag-parsers.js';
import { finish, follow } from './reports.js';

export function enableCommand(program: Command, run: RunWithContext): Command {
  return program
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
    .action(run(enable))
    .addHelpText('after', `\n${EXIT_CODES_HELP}`);
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

/** Renames workflow-input fields to the flags that set them: `activationParams.color: …` → `--color: …`. */
function flagMessage(err: InputError): InputError {
  let message = err.message;
  for (const [field, flag] of Object.entries(FLAG_FOR_FIELD)) {
    message = message.split(`${field}: `).join(`${flag}: `);
  }
  return new InputError(message, FLAG_FOR_FIELD[err.field] ?? err.field);
}

/** Flags → one validated workflow input per ticker; throws before anything starts. */
function enableInputs(options: EnableOptions) {
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

async function enable(ctx: Context, options: EnableOptions): Promise<void> {
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
  finish(ctx, await follow(ctx, client, started));
}
