// Following enablements to their end and printing their reports: shared by enable, watch, cancel and result.
import type { Client } from '@temporalio/client';
import { enablementWorkflowId } from '../../workflows/api.js';
import type { EnablementReport } from '../../workflows/api.js';
import { getProgress, waitForReport } from '../enablements.js';
import { ExitCode, outcomeExitCode, worstExitCode } from '../exit-codes.js';
import { barView, lineView, reportDetails, reportTable, silentView } from '../output.js';
import type { ProgressView } from '../output.js';
import { Exit, writeJson } from './context.js';
import type { Context } from './context.js';

export interface Target {
  node: string;
  ticker: string;
}

const reportJson = (report: EnablementReport) => ({
  workflowId: enablementWorkflowId(report.node, report.ticker),
  ...report,
});

/** Prints the reports (table or JSON; `single`: one report in full) and ends with the worst outcome's exit code. */
export function finish(ctx: Context, reports: EnablementReport[], single = false): void {
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
export async function follow(ctx: Context, client: Client, targets: readonly Target[]): Promise<EnablementReport[]> {
  const severalNodes = new Set(targets.map((t) => t.node)).size > 1;
  const keyOf = (target: Target) => (severalNodes ? `${target.node}/${target.ticker}` : target.ticker);
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
