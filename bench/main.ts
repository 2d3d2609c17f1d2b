/**
 * `npm run bench` as a function, for bench/run.ts and the smoke test: parse the options, run, print the table,
 * write the JSON (and the chart); with `--cluster`, the same on the dev server and on the cluster, side by side.
 * Resolves with the exit code: 0, 1 when an enablement (or a floor workflow) failed, 2 on a bad option.
 *
 * @module
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runBench, type BenchHooks, type BenchReport } from './bench.js';
import { drawChart } from './chart.js';
import { formatJson } from './json.js';
import { parseOptions, USAGE, UsageError } from './options.js';
import { formatServerComparison, runServerComparison } from './server-comparison.js';
import { formatReport } from './table.js';

const CHART_FILES = { svg: 'bench/results/chart.svg', png: 'bench/results/chart.png' };

export async function main(argv: string[], hooks: BenchHooks = {}): Promise<number> {
  const log = hooks.log ?? console.log;
  let options;
  try {
    options = parseOptions(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    log(`bench: ${error.message}\n\n${USAGE}`);
    return 2;
  }
  if (options === undefined) {
    log(USAGE);
    return 0;
  }
  if (options.cluster) {
    const comparison = await runServerComparison(options, hooks);
    log(formatServerComparison(comparison));
    writeFile(options.json, formatJson(comparison));
    log(`\nJSON written to ${options.json}`);
    return succeeded(comparison.devServer) && succeeded(comparison.cluster) ? 0 : 1;
  }
  const report = await runBench(options, hooks);
  log(formatReport(report));
  writeFile(options.json, formatJson(report));
  log(`\nJSON written to ${options.json}`);
  if (options.chart) {
    const chart = await drawChart(report.sweep);
    writeFile(CHART_FILES.svg, chart.svg);
    writeFile(CHART_FILES.png, chart.png);
    log(`chart written to ${CHART_FILES.svg} and ${CHART_FILES.png}`);
  }
  return succeeded(report) ? 0 : 1;
}

/** Every enablement enabled on every side of every run, and no floor workflow failed. */
function succeeded(report: BenchReport): boolean {
  const everyEnablementEnabled = [...report.phaseComparison, ...report.sweep].every(
    ({ config, baseline, temporal, push }) =>
      [baseline, temporal, ...(push ? [push] : [])].every((side) => side.enabled === config.enablements)
  );
  const { floor } = report;
  return (
    everyEnablementEnabled && !floor?.failed && !floor?.fleet.failed && !floor?.starts.failed && !floor?.memory.failed
  );
}

function writeFile(file: string, content: string | Buffer): void {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  writeFileSync(file, content);
}
