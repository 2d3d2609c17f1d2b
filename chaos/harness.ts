/**
 * The chaos run: a fleet of enablements on simulated KDF nodes while the worker is SIGKILLed and restarted, the
 * Temporal dev server is stopped and restarted, simulators restart (losing their tasks) and inject latency, 5xx,
 * resets and malformed bodies. Afterwards it checks every enablement's outcome, lost and stuck workflows and
 * duplicate activations, and measures the recovery after each disruption.
 *
 * Duplicate activations, precisely: for each (node, ticker) pair,
 *   started  = tasks the node started for the ticker, summed over every simulated KDF process (snapshots taken
 *              just before each simulator restart, plus the final process);
 *   lost     = restarts of that node that happened while the pair's enablement workflow was still open and the
 *              pair had a task in the process being restarted (at most 1 per restart: that task is gone);
 *   duplicates = max(0, started − 1 − lost), for pairs that end enabled (the issue's "init calls per enabled
 *                pair"): a coin activated twice. A failing ticker activates nothing; its extra tasks (a lost init
 *                retried once its first task had failed) are reported as `failedRetries`, not as duplicates.
 * A restart legitimately costs one bounded re-init; anything beyond is a duplicate.
 *
 * @module
 */
import { setMaxListeners } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { startFleet } from '../client/fleet.js';
import { startSimulator, type RunningSimulator, type Scenario, type TaskSummary } from '../simulator/index.js';
import type { FleetInput, FleetMember, FleetProgress } from '../workflows/api.js';
import { enablementWorkflowId } from '../workflows/api.js';
import {
  freePort,
  PROJECT_ROOT,
  startDevServer,
  startWorker,
  type DevServer,
  type WorkerProcess,
} from './processes.js';

export interface ChaosOptions {
  enablements: number;
  /** Length of the disruption window (the fleet is paced to last about as long). */
  seconds: number;
  /** Simulated KDF nodes; default: one per 10 enablements. */
  nodes?: number;
  workerKills?: number;
  devServerRestarts?: number;
  simulatorRestarts?: number;
  faultBursts?: number;
  /**
   * Inject malformed (truncated, unparsable) replies. Default true. The KDF client classifies them as a
   * retryable `KdfProtocolError` (a body cut off in transfer; JSON of the wrong shape would not be retried).
   */
  malformedFaults?: boolean;
  /**
   * Drop replies after handling them (a lost response: init really starts the task). Default true. A retried init
   * then probes up to 32 task ids for the task it started (activities/enablement.ts `findOrphanTask`).
   */
  lostResponses?: boolean;
  /**
   * Background 5xx and resets on every node for the whole run (low probability). Default true. Latency and the
   * scheduled fault bursts are always on.
   */
  backgroundErrors?: boolean;
  /** Every 10th member's ticker fails on the node (a KDF task error), so failures are exercised too. */
  failEvery?: number;
  phaseMs?: number;
  seed?: number;
  /** Give up waiting for the fleet this long after the disruption window. */
  settleSeconds?: number;
  onPid?: (pid: number) => void;
  log?: (line: string) => void;
  keepDir?: boolean;
}

export type DisruptionKind = 'worker-kill' | 'dev-server-restart' | 'simulator-restart' | 'fault-burst';

export interface Disruption {
  kind: DisruptionKind;
  target: string;
  /** ms since the run started */
  at: number;
  /** ms the component was down (kill → running again; stop → healthy again); 0 for instantaneous ones */
  downMs: number;
  /** ms from the end of the disruption to the next enablement that closed; undefined when none closed after */
  recoveryMs: number | undefined;
  detail?: string;
}

export interface PairResult {
  node: string;
  ticker: string;
  expected: 'enabled' | 'failed';
  status: string;
  correct: boolean;
  started: number;
  lost: number;
  duplicates: number;
  /** extra tasks of a failing ticker beyond the first (and restarts): retries of a failed activation */
  failedRetries: number;
  /** the failure the fleet recorded, when the member did not end enabled */
  failure?: string;
}

export interface ChaosReport {
  seed: number;
  enablements: number;
  nodes: number;
  durationMs: number;
  fleet: FleetProgress | undefined;
  fleetError: string | undefined;
  countsAddUp: boolean;
  correct: number;
  incorrect: PairResult[];
  /** members without a closed enablement workflow in visibility */
  lost: string[];
  /** enablement workflows still open at the deadline */
  stuck: string[];
  duplicates: number;
  failedRetries: number;
  /** re-inits explained by simulator restarts */
  legitimateReinits: number;
  disruptions: Disruption[];
  /** unplanned worker exits (restarted by the supervisor) */
  unplannedWorkerExits: number;
  faultsInjected: Record<string, number>;
  pairs: PairResult[];
  workerLog: string;
}

const USERPASS = 'Chaos-Userpass-5e2a7c1b-never-leak';
const PLATFORM = 'tBTC-segwit';
/** How long a fault burst lasts on its node. */
const BURST_MS = 10_000;

/** mulberry32: a seeded PRNG, so a schedule can be replayed with --seed. */
function rng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

interface NodeSetup {
  id: string;
  tickers: { ticker: string; port: number; fails: boolean }[];
  simulator: RunningSimulator;
  /** stats snapshots taken just before each restart */
  restarts: { at: number; tasks: TaskSummary[]; started: Record<string, number> }[];
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const random = rng(seed);
  /** A node with tasks running, so a disruption there hits enablements; any node when none has. */
  const pickBusy = (candidates: NodeSetup[]): NodeSetup => {
    const busy = candidates.filter((candidate) => candidate.simulator.stats().activeTasks > 0);
    const pool = busy.length > 0 ? busy : candidates;
    return pool[Math.floor(random() * pool.length)]!;
  };
  const total = options.enablements;
  const nodeCount = Math.max(1, options.nodes ?? Math.ceil(total / 10));
  const failEvery = options.failEvery ?? 10;
  const phaseMs = options.phaseMs ?? 400;
  const malformed = options.malformedFaults ?? true;
  const windowMs = options.seconds * 1_000;
  const dir = mkdtempSync(path.join(tmpdir(), 'kdf-chaos-'));
  const workerLogFile = path.join(dir, 'worker.log');
  const runId = seed.toString(36);
  const taskQueue = `chaos-${runId}`;
  const fleetId = `chaos-${runId}`;
  log(`chaos: seed ${seed}, ${total} enablements on ${nodeCount} nodes, ${options.seconds} s window, dir ${dir}`);

  const nodes: NodeSetup[] = [];
  let devServer: DevServer | undefined;
  let worker: WorkerProcess | undefined;
  let connection: Connection | undefined;
  let stopping = false;
  let unplannedWorkerExits = 0;
  const t0 = Date.now();
  const now = () => Date.now() - t0;

  try {
    // simulated nodes: the members spread over them, each ticker with its own listening port
    for (let n = 0; n < nodeCount; n++) {
      const count = Math.floor(total / nodeCount) + (n < total % nodeCount ? 1 : 0);
      const tickers = Array.from({ length: count }, (_, i) => {
        const fails = failEvery > 0 && (n * 7 + i) % failEvery === failEvery - 1;
        return { ticker: `${fails ? 'lnfail' : 'ln'}-${i}`, port: 9735 + i, fails };
      });
      const scenario: Scenario = {
        coins: [
          { ticker: PLATFORM, protocol: 'UTXO', enabled: true },
          ...tickers.map(({ ticker, fails }) => ({
            ticker,
            protocol: 'LIGHTNING' as const,
            platform: PLATFORM,
            activation: {
              phaseMs,
              outcome: fails
                ? {
                    kind: 'error' as const,
                    atPhase: 'InitializingPeerManager' as const,
                    error: 'chaos: scripted failure',
                  }
                : { kind: 'ok' as const },
            },
          })),
        ],
      };
      const simulator = await startSimulator({ userpass: USERPASS, scenario });
      nodes.push({ id: `chaos-${runId}-n${String(n).padStart(2, '0')}`, tickers, simulator, restarts: [] });
    }
    // background faults on every node, at a low rate, for the whole run
    for (const node of nodes) {
      node.simulator.injectFault({ kind: 'latency', latencyMs: 300, probability: 0.08 });
      if (options.backgroundErrors ?? true) {
        node.simulator.injectFault({ kind: 'http503', probability: 0.02 });
        node.simulator.injectFault({ kind: 'http500', probability: 0.01 });
        node.simulator.injectFault({ kind: 'reset', probability: 0.02 });
      }
      if (options.lostResponses ?? true) node.simulator.injectFault({ kind: 'drop-after-handling', probability: 0.01 });
      if (malformed) node.simulator.injectFault({ kind: 'malformed', probability: 0.02 });
    }

    const port = await freePort();
    const dbFile = path.join(dir, 'temporal.sqlite');
    const serverLog = path.join(dir, 'temporal.log');
    devServer = await startDevServer(port, dbFile, serverLog);
    options.onPid?.(devServer.pid);
    const address = devServer.address;
    log(`chaos: dev server on ${address} (pid ${devServer.pid})`);

    const bundleFile = path.join(dir, 'workflow-bundle.js');
    const bundle = await bundleWorkflowCode({
      workflowsPath: path.join(PROJECT_ROOT, 'workflows', 'index.ts'),
      logger: { log: () => {}, trace: () => {}, debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
    });
    writeFileSync(bundleFile, bundle.code);

    const workerOptions = {
      temporalAddress: address,
      taskQueue,
      nodes: Object.fromEntries(nodes.map((node) => [node.id, node.simulator.url])),
      userpass: USERPASS,
      dir,
      workflowBundle: bundleFile,
      logFile: workerLogFile,
      ...(options.onPid && { onPid: options.onPid }),
    };
    /** Starts a worker and keeps one running: an exit we did not cause is counted and answered with a restart. */
    let planned = false;
    const launchWorker = async (): Promise<void> => {
      for (;;) {
        try {
          const started = await startWorker(workerOptions);
          worker = started;
          void started.exited.then(() => {
            if (stopping || planned || worker !== started) return;
            unplannedWorkerExits++;
            log(`chaos: worker ${started.pid} exited unplanned at ${now()} ms; restarting`);
            void launchWorker();
          });
          return;
        } catch (error) {
          if (stopping) return;
          log(`chaos: worker start failed (${(error as Error).message.split('\n')[0]}); retrying`);
          await sleep(1_000);
        }
      }
    };
    await launchWorker();
    log(`chaos: worker running (pid ${worker?.pid})`);

    connection = await Connection.connect({ address });
    const client = new Client({ connection, namespace: 'default' });

    const members: FleetMember[] = nodes.flatMap((node) =>
      node.tickers.map(({ ticker, port: listeningPort }) => ({
        node: node.id,
        ticker,
        activationParams: { listening_port: listeningPort },
      }))
    );
    const perNode = Math.max(...nodes.map((node) => node.tickers.length));
    // the fleet starts about 1 member per (seconds / total), so starting lasts at least the disruption window
    const startsPerSecond = Math.max(1, Math.floor(total / Math.max(1, options.seconds)));
    const input: FleetInput = {
      fleetId,
      defaults: {
        activationParams: {},
        platformCoin: PLATFORM,
        poll: { initialIntervalMs: 200, maxIntervalMs: 1_000, backoffCoefficient: 1.5 },
      },
      members,
      concurrency: 1_000,
      perNodeConcurrency: perNode,
      startsPerSecond,
    };
    const fleetStartedAt = now();
    await startFleet(client, input, { taskQueue });
    log(`chaos: fleet ${fleetId} started (${members.length} members, ${startsPerSecond} starts/s)`);

    // the disruption schedule: evenly spread slots with jitter, shuffled kinds
    const kinds: DisruptionKind[] = [
      ...Array<DisruptionKind>(options.workerKills ?? 3).fill('worker-kill'),
      ...Array<DisruptionKind>(options.devServerRestarts ?? 1).fill('dev-server-restart'),
      ...Array<DisruptionKind>(Math.min(options.simulatorRestarts ?? 2, nodes.length)).fill('simulator-restart'),
      ...Array<DisruptionKind>(options.faultBursts ?? 2).fill('fault-burst'),
    ];
    for (let i = kinds.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [kinds[i], kinds[j]] = [kinds[j]!, kinds[i]!];
    }
    const slot = windowMs / (kinds.length + 1);
    const schedule = kinds.map((kind, i) => ({ kind, at: fleetStartedAt + slot * (i + 0.75 + random() * 0.5) }));
    const restartable = [...nodes];
    const disruptions: Disruption[] = [];

    let fleetDone = false;
    const chaos = (async () => {
      for (const event of schedule) {
        const wait = event.at - now();
        if (wait > 0) await sleep(wait);
        if (fleetDone) {
          log(`chaos: fleet finished before the ${event.kind} planned at ${Math.round(event.at)} ms`);
          continue;
        }
        const at = now();
        switch (event.kind) {
          case 'worker-kill': {
            const victim = worker;
            planned = true;
            await victim?.kill('SIGKILL');
            planned = false;
            await launchWorker();
            disruptions.push({
              kind: event.kind,
              target: `pid ${victim?.pid}`,
              at,
              downMs: now() - at,
              recoveryMs: undefined,
            });
            break;
          }
          case 'dev-server-restart': {
            await devServer?.stop();
            await sleep(1_000 + random() * 2_000);
            devServer = await startDevServer(port, dbFile, serverLog);
            options.onPid?.(devServer.pid);
            disruptions.push({ kind: event.kind, target: address, at, downMs: now() - at, recoveryMs: undefined });
            break;
          }
          case 'simulator-restart': {
            // each node restarts at most once
            const node = pickBusy(restartable);
            restartable.splice(restartable.indexOf(node), 1);
            const stats = node.simulator.stats();
            node.restarts.push({ at: Date.now(), tasks: stats.tasks, started: stats.tasksStartedByTicker });
            node.simulator.restart();
            const running = stats.tasks.filter((task) => task.state === 'InProgress').length;
            disruptions.push({
              kind: event.kind,
              target: node.id,
              at,
              downMs: 0,
              recoveryMs: undefined,
              detail: `${stats.tasks.length} tasks dropped (${running} running)`,
            });
            break;
          }
          case 'fault-burst': {
            const node = pickBusy(nodes);
            const running = node.simulator.stats().activeTasks;
            const kinds = malformed
              ? (['http502', 'http503', 'reset', 'malformed'] as const)
              : (['http502', 'http503', 'reset'] as const);
            const kind = kinds[Math.floor(random() * kinds.length)]!;
            // a window of time, as a real outage is: a count of failed requests would last as long as the
            // retries (backing off to 30 s) took to use it up, minutes on a node that few enablements use
            node.simulator.injectFault({ kind, durationMs: BURST_MS });
            node.simulator.injectFault({ kind: 'latency', latencyMs: 1_500, durationMs: BURST_MS });
            disruptions.push({
              kind: event.kind,
              target: node.id,
              at,
              downMs: BURST_MS,
              recoveryMs: undefined,
              detail: `${BURST_MS / 1_000} s of ${kind}, each reply 1.5 s late (${running} tasks running)`,
            });
            break;
          }
        }
        log(`chaos: ${event.kind} at ${at} ms (${disruptions[disruptions.length - 1]?.target ?? ''})`);
      }
    })();

    // wait for the fleet, through outages (the client reconnects by itself; result() long-polls again)
    const deadline = t0 + fleetStartedAt + windowMs + (options.settleSeconds ?? 180) * 1_000;
    let fleet: FleetProgress | undefined;
    let fleetError: string | undefined;
    const handle = client.workflow.getHandle(`fleet/${fleetId}`);
    while (Date.now() < deadline) {
      // aborted at the deadline, so no long-poll outlives the run (and the connection it uses)
      const abort = new AbortController();
      // result() long-polls again and again under this one signal, adding a listener each time
      setMaxListeners(100, abort.signal);
      const timer = setTimeout(() => abort.abort(), Math.max(1, deadline - Date.now()));
      try {
        fleet = (await connection.withAbortSignal(abort.signal, () => handle.result())) as FleetProgress;
        break;
      } catch (error) {
        if (error instanceof WorkflowFailedError) {
          fleetError = `${error.message}: ${error.cause?.message ?? ''}`;
          break;
        }
        if (Date.now() < deadline) await sleep(500);
      } finally {
        clearTimeout(timer);
      }
    }
    fleetDone = true;
    await chaos;
    if (!fleet && !fleetError) fleetError = `fleet not finished by the deadline`;

    // visibility: every member must have a closed enablement workflow
    const closeTimes: number[] = [];
    const statusById = new Map<string, { status: string; closeTime: number | undefined }>();
    const readVisibility = async () => {
      statusById.clear();
      closeTimes.length = 0;
      const query = `WorkflowType = 'enableLightning' AND KdfFleet = '${fleetId}'`;
      for await (const info of client.workflow.list({ query, pageSize: 500 })) {
        const closeTime = info.closeTime?.getTime();
        statusById.set(info.workflowId, { status: info.status.name, closeTime });
        if (closeTime !== undefined) closeTimes.push(closeTime);
      }
    };
    const settled = Date.now() + 20_000;
    for (;;) {
      try {
        await readVisibility();
        const closed = [...statusById.values()].filter((entry) => entry.status !== 'RUNNING').length;
        if (closed >= total || Date.now() > settled) break;
      } catch {
        if (Date.now() > settled) break;
      }
      await sleep(500);
    }
    closeTimes.sort((a, b) => a - b);

    for (const disruption of disruptions) {
      const end = t0 + disruption.at + disruption.downMs;
      const next = closeTimes.find((time) => time > end);
      disruption.recoveryMs = next === undefined ? undefined : next - end;
    }

    // outcomes, lost, stuck and duplicates per pair
    const pairs: PairResult[] = [];
    const lost: string[] = [];
    const stuck: string[] = [];
    const faultsInjected: Record<string, number> = {};
    for (const node of nodes) {
      const final = node.simulator.stats();
      for (const [kind, count] of Object.entries(final.faultsInjected)) {
        faultsInjected[kind] = (faultsInjected[kind] ?? 0) + count;
      }
      for (const { ticker, fails } of node.tickers) {
        const workflowId = enablementWorkflowId(node.id, ticker);
        const entry = statusById.get(workflowId);
        if (!entry) lost.push(workflowId);
        else if (entry.status === 'RUNNING') stuck.push(workflowId);
        const started =
          node.restarts.reduce((sum, restart) => sum + (restart.started[ticker] ?? 0), 0) +
          (final.tasksStartedByTicker[ticker] ?? 0);
        const lostTasks = node.restarts.filter(
          (restart) =>
            restart.tasks.some((task) => task.ticker === ticker) &&
            (entry?.closeTime === undefined || entry.closeTime > restart.at)
        ).length;
        const expected = fails ? 'failed' : 'enabled';
        const status = entry?.status ?? 'MISSING';
        pairs.push({
          node: node.id,
          ticker,
          expected,
          status,
          correct: status === (fails ? 'FAILED' : 'COMPLETED'),
          started,
          lost: lostTasks,
          duplicates: fails ? 0 : Math.max(0, started - 1 - lostTasks),
          failedRetries: fails ? Math.max(0, started - 1 - lostTasks) : 0,
        });
      }
    }
    // an enabled member's report must name a task of its own ticker (checked on nodes that never restarted, where
    // task ids are unique): a retried init that adopted another member's task would pass every other check
    for (const pair of pairs) {
      const node = nodes.find((candidate) => candidate.id === pair.node)!;
      if (pair.status !== 'COMPLETED' || node.restarts.length > 0) continue;
      try {
        const result = (await client.workflow.getHandle(enablementWorkflowId(pair.node, pair.ticker)).result()) as {
          taskId: number | null;
        };
        const task = node.simulator.stats().tasks.find((candidate) => candidate.id === result.taskId);
        if (result.taskId !== null && task?.ticker !== pair.ticker) {
          pair.correct = false;
          pair.failure = `reported task ${result.taskId}, which belongs to ${task?.ticker ?? 'no ticker'}`;
        }
      } catch (error) {
        pair.correct = false;
        pair.failure = `result unreadable: ${(error as Error).message}`;
      }
    }
    // a failed member must have failed for the scripted KDF error, not for the chaos
    if (fleet) {
      for (const failure of fleet.failures) {
        const pair = pairs.find((p) => p.node === failure.node && p.ticker === failure.ticker);
        if (!pair) continue;
        pair.failure = `${failure.type}: ${failure.message}`;
        if (pair.expected !== 'failed' || failure.type !== 'Internal') pair.correct = false;
      }
    }
    const incorrect = pairs.filter((pair) => !pair.correct);
    const expectedFailed = pairs.filter((pair) => pair.expected === 'failed').length;
    const counts = fleet?.counts;
    const countsAddUp =
      counts !== undefined &&
      counts.enabled + counts.failed + counts.cancelled + counts.timed_out === total &&
      counts.enabled === total - expectedFailed &&
      counts.failed === expectedFailed;

    return {
      seed,
      enablements: total,
      nodes: nodeCount,
      durationMs: now(),
      fleet,
      fleetError,
      countsAddUp,
      correct: pairs.length - incorrect.length,
      incorrect,
      lost,
      stuck,
      duplicates: pairs.reduce((sum, pair) => sum + pair.duplicates, 0),
      failedRetries: pairs.reduce((sum, pair) => sum + pair.failedRetries, 0),
      legitimateReinits: pairs.reduce((sum, pair) => sum + Math.min(pair.lost, Math.max(0, pair.started - 1)), 0),
      disruptions,
      unplannedWorkerExits,
      faultsInjected,
      pairs,
      workerLog: workerLogFile,
    };
  } finally {
    stopping = true;
    await worker?.kill('SIGKILL').catch(() => undefined);
    await connection?.close().catch(() => undefined);
    await devServer?.stop().catch(() => undefined);
    await Promise.all(nodes.map((node) => node.simulator.stop()));
    if (!options.keepDir) rmSync(dir, { recursive: true, force: true });
  }
}

/** The report as an aligned text table. */
export function formatReport(report: ChaosReport): string {
  const lines: string[] = [];
  const row = (cells: (string | number)[], widths: number[]) =>
    cells
      .map((cell, i) => String(cell).padEnd(widths[i] ?? 10))
      .join('  ')
      .trimEnd();
  const counts = report.fleet?.counts;
  lines.push(
    `Chaos run (seed ${report.seed}): ${report.enablements} enablements on ${report.nodes} nodes, ${(report.durationMs / 1_000).toFixed(1)} s`
  );
  lines.push('');
  const summary: [string, string | number][] = [
    [
      'enabled / failed / cancelled / timed out',
      counts
        ? `${counts.enabled} / ${counts.failed} / ${counts.cancelled} / ${counts.timed_out}`
        : `n/a (${report.fleetError ?? ''})`,
    ],
    ['fleet counts add up to the total', report.countsAddUp ? 'yes' : 'NO'],
    ['correct final outcomes', `${report.correct} / ${report.enablements}`],
    ['lost workflows', report.lost.length],
    ['stuck workflows', report.stuck.length],
    ['duplicate activations', report.duplicates],
    ['extra tasks of failing tickers', report.failedRetries],
    ['re-inits explained by simulator restarts', report.legitimateReinits],
    ['unplanned worker exits', report.unplannedWorkerExits],
    [
      'faults injected',
      Object.entries(report.faultsInjected)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') || 'none',
    ],
  ];
  for (const [key, value] of summary) lines.push(row([key, value], [42, 0]));
  lines.push('');
  const widths = [3, 19, 30, 9, 9, 13, 0];
  lines.push(row(['#', 'disruption', 'target', 'at (s)', 'down (s)', 'recovery (s)', 'detail'], widths));
  report.disruptions.forEach((d, i) =>
    lines.push(
      row(
        [
          i + 1,
          d.kind,
          d.target,
          (d.at / 1_000).toFixed(1),
          (d.downMs / 1_000).toFixed(1),
          d.recoveryMs === undefined ? 'none' : (d.recoveryMs / 1_000).toFixed(1),
          d.detail ?? '',
        ],
        widths
      )
    )
  );
  if (report.incorrect.length > 0) {
    lines.push('');
    lines.push('incorrect outcomes:');
    for (const pair of report.incorrect.slice(0, 20))
      lines.push(
        `  ${pair.node}/${pair.ticker}: expected ${pair.expected}, got ${pair.status}${pair.failure ? ` (${pair.failure})` : ''}`
      );
  }
  const dups = report.pairs.filter((pair) => pair.duplicates > 0);
  if (dups.length > 0) {
    lines.push('');
    lines.push('duplicate activations:');
    for (const pair of dups.slice(0, 20))
      lines.push(`  ${pair.node}/${pair.ticker}: ${pair.started} tasks, ${pair.lost} lost to restarts`);
  }
  return `${lines.join('\n')}\n`;
}
