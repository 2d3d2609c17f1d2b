/**
 * The chaos run: a fleet of enablements on simulated KDF nodes while the worker is SIGKILLed and restarted, the
 * Temporal dev server (with `cluster`: the Temporal server and PostgreSQL) is stopped and restarted, simulators
 * restart (losing their tasks) and inject latency, 5xx, resets, malformed bodies, lost and late replies, cancels
 * that lose the race to a completion, a restart right after an Ok reply, and cancel outages timed around the
 * deadlines of members whose activation hangs. Afterwards
 * it checks every enablement's outcome against the node's real state, lost and stuck workflows, duplicate
 * activations, the compensation workflows and the tasks left running, and measures the recovery after each
 * disruption. The members are laid out in chaos/layout.ts, the faults in chaos/faults.ts, what is known of each
 * KDF process in chaos/observer.ts; the checks, with their exact definitions, are in chaos/checks.ts.
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
import { startSimulator } from '../simulator/index.js';
import { workflowBundleOptions } from '../worker/create-worker.js';
import { enablementWorkflowId, fleetNodesOf, type FleetInput, type FleetProgress } from '../workflows/api.js';
import { checkPair, runningTasks, type PairResult, type RunningTask } from './checks.js';
import { injectBackgroundFaults, injectRestartAfterOk, kindsInjected, type BackgroundFaults } from './faults.js';
import {
  countsAddUp,
  historyLines,
  readCompensations,
  readEnabledCoins,
  readReports,
  readVisibility,
} from './outcomes.js';
import { membersFor, nodeId, planNodes, scenarioFor, type TickerPlan } from './layout.js';
import { NodeObserver } from './observer.js';
import { WorkerSupervisor } from './processes.js';
import type { ChaosReport, Disruption } from './report.js';
import { rng, type ChaosOptions } from './options.js';
import { observeNodes, runSchedule, type ScheduleContext } from './schedule.js';
import { startTemporalBackend, type TemporalBackend } from './temporal-backend.js';

export { formatReport, passed, type ChaosReport, type Disruption, type DisruptionKind } from './report.js';
export type { PairResult } from './checks.js';
export type { ChaosOptions } from './options.js';

const USERPASS = 'Chaos-Userpass-5e2a7c1b-never-leak';
/** How long after that it waits for tasks still running to end by themselves (an activation lasts ~3 s). */
const DRAIN_WAIT_MS = 15_000;

export interface ChaosNode {
  id: string;
  tickers: TickerPlan[];
  observer: NodeObserver;
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const random = rng(seed);
  const total = options.enablements;
  const nodeCount = Math.max(1, options.nodes ?? Math.ceil(total / 10));
  const hangMembers = options.hangMembers ?? Math.max(1, Math.round(total / 50));
  const hangTimeoutMs = options.hangTimeoutMs ?? 15_000;
  const background: BackgroundFaults = {
    errors: options.backgroundErrors ?? true,
    lostResponses: options.lostResponses ?? true,
    malformed: options.malformedFaults ?? true,
    completeOnCancel: options.completeOnCancel ?? 0.2,
  };
  const restartAfterOk = options.restartAfterOk ?? true;
  const windowMs = options.seconds * 1_000;
  const dir = mkdtempSync(path.join(tmpdir(), 'kdf-chaos-'));
  const workerLogFile = path.join(dir, 'worker.log');
  const runId = seed.toString(36);
  const taskQueue = `chaos-${runId}`;
  const fleetId = `chaos-${runId}`;
  log(`chaos: seed ${seed}, ${total} enablements on ${nodeCount} nodes, ${options.seconds} s window, dir ${dir}`);

  const nodes: ChaosNode[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let temporal: TemporalBackend | undefined;
  let supervisor: WorkerSupervisor | undefined;
  let connection: Connection | undefined;
  const t0 = Date.now();
  const now = () => Date.now() - t0;

  try {
    const plans = planNodes({
      total,
      nodeCount,
      failEvery: options.failEvery ?? 10,
      hangMembers,
      cancelOutages: options.cancelOutages ?? Math.ceil(hangMembers / 2),
      refusedMembers: options.refusedMembers ?? Math.max(1, Math.round(total / 100)),
      runId,
    });
    for (const [n, tickers] of plans.entries()) {
      const id = nodeId(runId, n);
      const observer = new NodeObserver(id, new Map(tickers.map(({ ticker, address }) => [address, ticker])));
      const simulator = await startSimulator({
        userpass: USERPASS,
        scenario: scenarioFor(tickers, options.phaseMs ?? 400),
        onTaskStatus: observer.onTaskStatus,
      });
      observer.attach(simulator);
      injectBackgroundFaults(
        simulator,
        background,
        tickers.some(({ cancelOutage }) => cancelOutage)
      );
      nodes.push({ id, tickers, observer });
    }
    // on a node without a refused member, whose init count is checked exactly
    const restartable = nodes.filter((node) => node.tickers.every(({ kind }) => kind !== 'refused'));
    const restartNode = restartable[Math.floor(random() * restartable.length)];
    if (restartAfterOk && restartNode) {
      injectRestartAfterOk(restartNode.observer.simulator);
      log(`chaos: ${restartNode.id} restarts after its first Ok status reply`);
    }

    temporal = await startTemporalBackend(options.cluster ?? false, dir, (pid) => options.onPid?.(pid));
    const address = temporal.address;
    log(`chaos: ${temporal.describe()}`);

    const bundleFile = path.join(dir, 'workflow-bundle.js');
    const bundle = await bundleWorkflowCode({
      ...workflowBundleOptions(),
      logger: { log: () => {}, trace: () => {}, debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
    });
    writeFileSync(bundleFile, bundle.code);

    const workerOptions = {
      temporalAddress: address,
      taskQueue,
      nodes: Object.fromEntries(nodes.map((node) => [node.id, node.observer.simulator.url])),
      userpass: USERPASS,
      dir,
      workflowBundle: bundleFile,
      logFile: workerLogFile,
      ...(options.onPid && { onPid: options.onPid }),
    };
    supervisor = new WorkerSupervisor(workerOptions, log);
    await supervisor.launch();
    log(`chaos: worker running (pid ${supervisor.pid})`);

    connection = await Connection.connect({ address });
    const client = new Client({ connection, namespace: 'default' });

    const members = membersFor(nodes, hangTimeoutMs);
    const perNode = Math.max(...nodes.map((node) => node.tickers.length));
    // the fleet starts about 1 member per (seconds / total), so starting lasts at least the disruption window
    const startsPerSecond = Math.max(1, Math.floor(total / Math.max(1, options.seconds)));
    const input: FleetInput = {
      fleetId,
      defaults: {
        activationParams: {},
        platformCoin: 'tBTC-segwit',
        poll: { initialIntervalMs: 200, maxIntervalMs: 1_000, backoffCoefficient: 1.5 },
      },
      nodes: fleetNodesOf(members),
      concurrency: 1_000,
      perNodeConcurrency: perNode,
      startsPerSecond,
    };
    const fleetStartedAt = now();
    await startFleet(client, input, { taskQueue });
    log(`chaos: fleet ${fleetId} started (${members.length} members, ${startsPerSecond} starts/s)`);

    const disruptions: Disruption[] = [];
    const observing = observeNodes({ nodes, hangTimeoutMs, disruptions, timers, now, log });
    timers.add(observing);

    const context: ScheduleContext = {
      options,
      random,
      nodes,
      disruptions,
      windowMs,
      fleetStartedAt,
      now,
      log,
      fleetDone: false,
      killWorker: () => supervisor!.kill(),
      restartDevServer: () => temporal!.restart(1_000 + random() * 2_000),
    };
    const chaos = runSchedule(context);

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
    context.fleetDone = true;
    await chaos;
    if (!fleet && !fleetError) fleetError = `fleet not finished by the deadline`;
    log(`chaos: fleet ${fleet ? 'done' : 'NOT done'} at ${now()} ms`);

    const visibility = await readVisibility(client, fleetId, total);
    disruptions.sort((a, b) => a.at - b.at);
    for (const disruption of disruptions) {
      const end = t0 + disruption.at + disruption.downMs;
      const next = visibility.closeTimes.find((time) => time > end);
      disruption.recoveryMs = next === undefined ? undefined : next - end;
    }
    const reports = await readReports(client, nodes, visibility.entries);
    const compensations = await readCompensations(
      client,
      reports,
      Date.now() + (options.compensationWaitSeconds ?? 120) * 1_000
    );
    log(`chaos: ${compensations.length} compensation workflows read at ${now()} ms`);

    // tasks still running end by themselves within an activation's length (those nothing explains)
    const reportsByNode = (node: ChaosNode) =>
      new Map(
        node.tickers.flatMap(({ ticker }) => {
          const report = reports.get(`${node.id}/${ticker}`)?.report;
          return report ? [[ticker, report] as const] : [];
        })
      );
    const leftRunning = () =>
      nodes.map((node) =>
        runningTasks(node.observer, node.tickers, node.observer.observe().tasks, reportsByNode(node))
      );
    const drainBy = Date.now() + DRAIN_WAIT_MS;
    while (Date.now() < drainBy && leftRunning().some(({ unexplained }) => unexplained.length > 0)) await sleep(500);
    for (const timer of timers) clearTimeout(timer);
    for (const node of nodes) node.observer.simulator.clearFaults();
    const enabledCoins = await readEnabledCoins(nodes, USERPASS);
    const running = leftRunning();
    const finals = new Map(nodes.map((node) => [node.id, node.observer.finish()]));

    const pairs: PairResult[] = nodes.flatMap((node) =>
      node.tickers.map((plan) => {
        const key = `${node.id}/${plan.ticker}`;
        const read = reports.get(key);
        const workflowId = read?.report?.compensation?.workflowId;
        return checkPair({
          observer: node.observer,
          plan,
          entry: visibility.entries.get(key),
          report: read?.report,
          reportError: read?.error,
          coinListed: enabledCoins.get(node.id)?.includes(plan.ticker),
          compensation: compensations.find((c) => c.workflowId === workflowId),
          finalTasks: finals.get(node.id)?.tasks ?? [],
        });
      })
    );
    const faultsInjected: Record<string, number> = Object.fromEntries(
      kindsInjected(background, restartAfterOk && restartNode !== undefined).map((kind) => [kind, 0])
    );
    for (const stats of finals.values()) {
      for (const [kind, count] of Object.entries(stats.faultsInjected)) {
        faultsInjected[kind] = (faultsInjected[kind] ?? 0) + count;
      }
    }
    const incorrect = pairs.filter((pair) => !pair.correct);
    const lost = pairs.filter((pair) => pair.status === 'MISSING').map((pair) => `${pair.node}/${pair.ticker}`);
    const stuck = pairs.filter((pair) => pair.status === 'RUNNING').map((pair) => `${pair.node}/${pair.ticker}`);
    const histories: Record<string, string[]> = {};
    const interesting = pairs.filter((p) => p.correct && (p.kind === 'hang' || p.residual !== undefined));
    for (const pair of [...incorrect.slice(0, 10), ...interesting]) {
      const workflowId = enablementWorkflowId(pair.node, pair.ticker);
      histories[workflowId] = await historyLines(client, workflowId).catch((error: Error) => [error.message]);
    }
    const flatten = (key: 'explained' | 'unexplained'): RunningTask[] => running.flatMap((r) => r[key]);

    return {
      seed,
      enablements: total,
      nodes: nodeCount,
      durationMs: now(),
      fleet,
      fleetError,
      countsAddUp: countsAddUp(fleet, pairs),
      correct: pairs.length - incorrect.length,
      incorrect,
      residuals: pairs.filter((pair) => pair.residual !== undefined),
      lost,
      stuck,
      duplicates: pairs.reduce((sum, pair) => sum + pair.duplicates, 0),
      tasksStarted: pairs.reduce((sum, pair) => sum + pair.started, 0),
      initsInDoubt: pairs.reduce((sum, pair) => sum + pair.initsInDoubt, 0),
      compensations,
      compensationsNotEnded: compensations
        .filter((c) => c.status !== 'COMPLETED' || c.report?.result === 'unconfirmed')
        .map((c) => c.workflowId),
      leftRunning: flatten('unexplained'),
      leftRunningByInitsInDoubt: flatten('explained'),
      faultRestarts: nodes.reduce(
        (sum, node) => sum + node.observer.processes.filter((p) => p.end === 'fault-restart').length,
        0
      ),
      disruptions,
      unplannedWorkerExits: supervisor.unplannedExits,
      faultsInjected,
      pairs,
      histories,
      workerLog: workerLogFile,
    };
  } finally {
    for (const timer of timers) clearTimeout(timer);
    await supervisor?.stop();
    await connection?.close().catch(() => undefined);
    await temporal?.stop().catch(() => undefined);
    await Promise.all(nodes.map((node) => node.observer.simulator.stop()));
    if (!options.keepDir) rmSync(dir, { recursive: true, force: true });
  }
}
