// `cancel`: cancels one running enablement, or every running one matching (--all-running), recording why and by whom.
import type { Client } from '@temporalio/client';
import type { Command } from 'commander';
import { enablementWorkflowId } from '../../workflows/api.js';
import { cancelEnablement, listEnablements, waitForReport } from '../enablements.js';
import type { ListFilter } from '../enablements.js';
import { EnablementNotFoundError } from '../errors.js';
import { EXIT_CODES_HELP } from '../exit-codes.js';
import { cancelRequest, requireId, writeJson } from './context.js';
import type { Context, RunWithContext } from './context.js';
import { finish } from './reports.js';
import type { Target } from './reports.js';

export function cancelCommand(program: Command, run: RunWithContext): Command {
  return program
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
    .action(run(cancel))
    .addHelpText('after', `\n${EXIT_CODES_HELP}`);
}

interface CancelOptions {
  node?: string;
  ticker?: string;
  allRunning?: boolean;
  reason: string;
  by?: string;
  wait: boolean;
}

async function cancel(ctx: Context, options: CancelOptions): Promise<void> {
  const { reason, by } = cancelRequest(ctx, options);
  if (options.allRunning) return cancelAllRunning(ctx, options, reason, by);
  const node = requireId(options.node, '--node');
  const ticker = requireId(options.ticker, '--ticker');
  const client = await ctx.client();
  const cancelled = await cancelEnablement(client, node, ticker, reason, by);
  if (!options.wait) {
    if (ctx.json) writeJson(ctx.io, { ...cancelled, node, ticker, cancelRequested: true });
    else ctx.io.stdout.write(`cancellation requested for ${cancelled.workflowId}\n`);
    return;
  }
  if (!ctx.json) ctx.io.stdout.write(`cancellation requested for ${cancelled.workflowId}; waiting for the outcome\n`);
  finish(ctx, [await waitForReport(client, node, ticker)], true);
}

async function cancelAllRunning(ctx: Context, options: CancelOptions, reason: string, by: string): Promise<void> {
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
  const requested = await requestEach(ctx, client, running, reason, by);
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

/** Requests cancellation of each enablement in turn, with a progress line each; those that ended meanwhile drop out. */
async function requestEach(
  ctx: Context,
  client: Client,
  running: readonly (Target & { workflowId: string })[],
  reason: string,
  by: string
): Promise<Target[]> {
  const requested: Target[] = [];
  for (const [index, entry] of running.entries()) {
    try {
      await cancelEnablement(client, entry.node, entry.ticker, reason, by);
      requested.push({ node: entry.node, ticker: entry.ticker });
    } catch (err) {
      if (!(err instanceof EnablementNotFoundError)) throw err;
    }
    if (!ctx.json) ctx.io.stdout.write(`[${index + 1}/${running.length}] cancel requested: ${entry.workflowId}\n`);
  }
  return requested;
}
