// `list`: enablements from visibility, newest first, filtered by node, ticker, outcome or running.
import { Option } from 'commander';
import type { Command } from 'commander';
import { Outcome } from '../../workflows/api.js';
import { listEnablements } from '../enablements.js';
import type { EnablementSummary, ListFilter } from '../enablements.js';
import { EXIT_CODES_HELP } from '../exit-codes.js';
import { table } from '../output.js';
import { usage, writeJson } from './context.js';
import type { Context, RunWithContext } from './context.js';
import { integer } from './flag-parsers.js';

const OUTCOMES = [Outcome.enabled, Outcome.failed, Outcome.cancelled, Outcome.timedOut];

export function listCommand(program: Command, run: RunWithContext): Command {
  return program
    .command('list')
    .description('List enablements (newest first), filtered by node, ticker, outcome or running.')
    .option('--node <id>', 'only this KDF node')
    .option('--ticker <ticker>', 'only this ticker')
    .addOption(new Option('--outcome <outcome>', 'only finished enablements with this outcome').choices(OUTCOMES))
    .addOption(new Option('--running', 'only running enablements').conflicts('outcome'))
    .option('--limit <n>', 'at most this many', integer, 100)
    .option('--json', 'print one JSON document')
    .action(run(list))
    .addHelpText('after', `\n${EXIT_CODES_HELP}`);
}

interface ListOptions {
  node?: string;
  ticker?: string;
  outcome?: Outcome;
  running?: boolean;
  limit: number;
}

const timestamp = (iso: string): string => iso.slice(0, 19).replace('T', ' ');

async function list(ctx: Context, options: ListOptions): Promise<void> {
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
        timestamp(entry.startTime),
        entry.closeTime === undefined ? '-' : timestamp(entry.closeTime),
        entry.workflowId,
      ])
    )
  );
}
