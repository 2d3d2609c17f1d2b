// `fleet MANIFEST --dry-run`: what a fleet run would do with each pair, as a table or one JSON document.
import type { FleetInput, FleetPlan } from '../../workflows/api.js';
import { PLAN_FINDINGS_BY_SEVERITY } from '../../workflows/api.js';
import { dryRunFleet, planExitCode, worstFinding } from '../fleet-dry-run.js';
import { table } from '../output.js';
import { Exit, hasWorkers, writeJson } from './context.js';
import type { Context } from './context.js';

export async function fleetDryRun(ctx: Context, input: FleetInput, taskQueue: string): Promise<void> {
  const client = await ctx.client();
  if (!(await hasWorkers(client, taskQueue))) {
    ctx.io.stderr.write(
      `warning: no worker is polling task queue ${taskQueue}; the dry run waits until one starts (npm run worker)\n`
    );
  }
  const plan = await dryRunFleet(client, input, { taskQueue });
  const code = planExitCode(plan);
  if (ctx.json) writeJson(ctx.io, { ...plan, worst: worstFinding(plan) ?? null, exitCode: code });
  else ctx.io.stdout.write(planReport(plan));
  throw new Exit(code);
}

/** The plan table, then one count per finding that occurs. */
export function planReport(plan: FleetPlan): string {
  const rows = plan.rows.map((row) => [row.node, row.ticker, row.finding, row.detail ?? '']);
  const counts = PLAN_FINDINGS_BY_SEVERITY.filter((finding) => plan.counts[finding] > 0)
    .map((finding) => `${finding} ${plan.counts[finding]}`)
    .join(' · ');
  return (
    `dry run of fleet ${plan.fleetId}: ${plan.total} pair(s), nothing started\n` +
    `${table(['NODE', 'TICKER', 'FINDING', 'DETAIL'], rows)}${counts}\n`
  );
}
