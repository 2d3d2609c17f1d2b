// `result`: waits for one enablement to end and prints its report in full.
import type { Command } from 'commander';
import { waitForReport } from '../enablements.js';
import { EXIT_CODES_HELP } from '../exit-codes.js';
import type { Context, RunWithContext } from './context.js';
import { finish } from './reports.js';

export function resultCommand(program: Command, run: RunWithContext): Command {
  return program
    .command('result')
    .description('Wait for one enablement to end and print its report.')
    .requiredOption('--node <id>', 'KDF node id')
    .requiredOption('--ticker <ticker>', 'Lightning ticker')
    .option('--json', 'print one JSON document')
    .action(run(result))
    .addHelpText('after', `\n${EXIT_CODES_HELP}`);
}

async function result(ctx: Context, options: { node: string; ticker: string }): Promise<void> {
  const client = await ctx.client();
  finish(ctx, [await waitForReport(client, options.node, options.ticker)], true);
}
