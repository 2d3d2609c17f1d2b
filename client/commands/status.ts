// `status`: the progress of one enablement, once (the live view while it runs, its report once it ended).
import type { Command } from 'commander';
import { enablementWorkflowId } from '../../workflows/api.js';
import { getProgress } from '../enablements.js';
import { EXIT_CODES_HELP, ExitCode, outcomeExitCode } from '../exit-codes.js';
import { progressDetails } from '../output.js';
import { Exit, writeJson } from './context.js';
import type { Context, RunWithContext } from './context.js';

export function statusCommand(program: Command, run: RunWithContext): Command {
  return program
    .command('status')
    .description('Show the progress of one enablement once.')
    .requiredOption('--node <id>', 'KDF node id')
    .requiredOption('--ticker <ticker>', 'Lightning ticker')
    .option('--json', 'print one JSON document')
    .action(run(status))
    .addHelpText('after', `\n${EXIT_CODES_HELP}`);
}

async function status(ctx: Context, options: { node: string; ticker: string }): Promise<void> {
  const client = await ctx.client();
  const progress = await getProgress(client, options.node, options.ticker);
  const workflowId = enablementWorkflowId(options.node, options.ticker);
  const state = progress.outcome ? 'finished' : 'running';
  if (ctx.json) writeJson(ctx.io, { workflowId, status: state, ...progress });
  else ctx.io.stdout.write(progressDetails(workflowId, state, progress));
  if (progress.outcome) {
    const code = outcomeExitCode(progress.outcome);
    if (code !== ExitCode.ok) throw new Exit(code);
  }
}
