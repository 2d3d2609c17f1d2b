// `watch`: follows enablements live until they end, the given ones or every running one matching a filter.
import type { Command } from 'commander';
import { listEnablements } from '../enablements.js';
import type { ListFilter } from '../enablements.js';
import { EXIT_CODES_HELP } from '../exit-codes.js';
import { writeJson } from './context.js';
import type { Context, RunWithContext } from './context.js';
import { collect } from './flag-parsers.js';
import { finish, follow } from './reports.js';
import type { Target } from './reports.js';

export function watchCommand(program: Command, run: RunWithContext): Command {
  return program
    .command('watch')
    .description('Follow enablements live until they end: one (--node and --ticker) or every running one matching.')
    .option('--node <id>', 'KDF node id')
    .option('--ticker <ticker>', 'Lightning ticker; repeat for several', collect)
    .option('--json', 'print one JSON document (the reports) at the end')
    .action(run(watch))
    .addHelpText('after', `\n${EXIT_CODES_HELP}`);
}

async function watch(ctx: Context, flags: { node?: string; ticker?: string[] }): Promise<void> {
  const options = { ...flags, ticker: flags.ticker ?? [] };
  const client = await ctx.client();
  let targets: Target[];
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
