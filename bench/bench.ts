/**
 * The benchmark without its command line: a Temporal server (its own dev server on a SQLite file with a write-ahead
 * log, with `--cluster` its own `npm run cluster` stack, or the one given), the prebuilt workflow bundle, then every
 * run the options ask for, and the floor.
 *
 * @module
 */
import { mkdtempSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { connectClient } from '../client/index.js';
import type { OnSpawn } from './child-process.js';
import { startClusterServer, startDevServer } from './dev-server.js';
import { measureFloor, type FloorResult } from './floor.js';
import { measureMemoryFloor } from './memory-floor.js';
import { measureRun, type RunResult } from './measure.js';
import type { BenchOptions } from './options.js';
import { round } from './summary.js';
import { checkTargets, type TargetCheck } from './targets.js';
import { buildWorker } from './worker-build.js';
import { BENCH_WORKER_TUNING } from './worker-tuning.js';
import type { WorkloadSize } from './workload.js';

/** The enablement counts the chart plots. */
const CHART_ENABLEMENTS = [100, 500, 1_000] as const;

export interface BenchReport extends RunResult {
  generatedAt: string;
  environment: {
    cpus: number;
    /** 1-, 5- and 15-minute load averages before the first run and after the last. */
    loadAverage: { before: number[]; after: number[] };
    temporal: string;
    workerTuning: Record<string, string>;
    workDir: string;
  };
  targets: TargetCheck[];
  /** The main workload at each `--phase-ms` value, in order (the first is the main run). */
  phaseComparison: RunResult[];
  /** With `--chart`: runs at each of CHART_ENABLEMENTS. */
  sweep: RunResult[];
  /** With `--floor`: N trivial workflows on the same server, right after the main run. */
  floor?: FloorResult;
}

export interface BenchHooks {
  /** Called with the PID of every process the benchmark starts (the smoke test records them for clean-up). */
  onSpawn?: OnSpawn;
  /** Progress lines and the report. @default console.log */
  log?: (line: string) => void;
}

export async function runBench(options: BenchOptions, hooks: BenchHooks = {}): Promise<BenchReport> {
  const { onSpawn, log = console.log } = hooks;
  const workDir = mkdtempSync(path.join(tmpdir(), 'kdf-bench-'));
  const loadBefore = loadavg().map((value) => round(value, 2));
  const server =
    options.temporalAddress !== undefined
      ? undefined
      : options.cluster
        ? await startClusterServer(path.join(workDir, 'cluster'))
        : await startDevServer(path.join(workDir, 'temporal.db'), path.join(workDir, 'temporal.log'));
  if (server) onSpawn?.(server.pid);
  if (server?.databasePid !== undefined) onSpawn?.(server.databasePid);
  const temporalAddress = server?.address ?? (options.temporalAddress as string);
  const client = await connectClient({ address: temporalAddress, namespace: 'default' });
  const workerTuning: Record<string, string> = { ...BENCH_WORKER_TUNING };
  if (options.workerCache !== undefined) workerTuning.KDF_MAX_CACHED_WORKFLOWS = String(options.workerCache);
  try {
    const context = {
      client,
      temporalAddress,
      devServerPid: server?.pid,
      databasePid: server?.databasePid,
      worker: await buildWorker(workDir, onSpawn),
      workDir,
      path: options.path,
      workerTuning,
      push: options.push,
      onSpawn,
      log,
    };
    const measured = new Map<string, RunResult>();
    const run = async (size: WorkloadSize) => {
      const key = `${size.enablements}/${size.nodes}/${size.phaseMs}`;
      const known = measured.get(key);
      if (known) return known;
      log(`bench: ${size.enablements} enablements over ${size.nodes} nodes, ${size.phaseMs} ms phases`);
      const result = await measureRun(size, context);
      measured.set(key, result);
      return result;
    };
    const { enablements, nodes } = options;
    const [firstPhaseMs, ...otherPhasesMs] = options.phaseMs as [number, ...number[]];
    const main = await run({ enablements, nodes, phaseMs: firstPhaseMs });
    let floor: FloorResult | undefined;
    if (options.floor) {
      log(`bench: floor, ${enablements} trivial workflows`);
      const makespans = { baselineMakespanMs: main.baseline.makespanMs, temporalMakespanMs: main.temporal.makespanMs };
      const timedFloor = await measureFloor(enablements, makespans, context);
      log(`  floor: ${(timedFloor.makespanMs / 1000).toFixed(1)} s, cost ratio ${timedFloor.costRatio}`);
      floor = { ...timedFloor, memory: await measureMemoryFloor(enablements, context) };
      log(`  memory floor: ${floor.memory.heldRssMb} MB RSS with ${enablements} held`);
    }
    const phaseComparison = [main];
    for (const phaseMs of otherPhasesMs) phaseComparison.push(await run({ enablements, nodes, phaseMs }));
    const sweep: RunResult[] = [];
    if (options.chart) {
      for (const enablementCount of CHART_ENABLEMENTS) {
        sweep.push(await run({ enablements: enablementCount, nodes, phaseMs: firstPhaseMs }));
      }
    }
    return {
      generatedAt: new Date().toISOString(),
      ...main,
      environment: {
        cpus: availableParallelism(),
        loadAverage: { before: loadBefore, after: loadavg().map((value) => round(value, 2)) },
        temporal: server?.description ?? temporalAddress,
        workerTuning,
        workDir,
      },
      targets: checkTargets(main, phaseComparison, floor),
      phaseComparison,
      sweep,
      ...(floor && { floor }),
    };
  } finally {
    await client.connection.close();
    await server?.stop();
  }
}
