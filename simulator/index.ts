/**
 * A KDF node simulator for tests, the benchmark and `npm start`: the same HTTP contract as a KDF node for lightning
 * activation, scripted scenarios and run-time fault injection. See simulator/README.md.
 *
 * @module
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import type { Fault } from './faults.js';
import { defaultScenario, parseScenario, type Scenario } from './scenario.js';
import { createRequestListener } from './server.js';
import { Simulator } from './simulator.js';
import type { SimulatorStats } from './stats.js';
import type { TaskStatus } from './tasks.js';

export { defaultScenario, parseScenario, loadScenarioFile, ScenarioError } from './scenario.js';
export type { Scenario, ParsedScenario } from './scenario.js';
export { FAULT_KINDS, FaultError } from './faults.js';
export type { Fault, FaultKind } from './faults.js';
export type { SimulatorStats, TaskSummary } from './stats.js';
export type { TaskStatus } from './tasks.js';
export { TaskNotRunningError } from './node.js';
export { ADMIN_HEADERS } from './admin.js';
export { LIGHTNING_PHASES } from './kdf-constants.js';
export type { LightningPhase } from './kdf-constants.js';

export interface SimulatorOptions {
  /** The RPC password requests must carry. */
  userpass: string;
  /** @default '127.0.0.1' */
  host?: string;
  /** 0 or absent: a free port. */
  port?: number;
  /** @default defaultScenario */
  scenario?: Scenario;
  /** Overrides every lightning ticker's phase duration, in ms. */
  phaseMs?: number;
  /** Told of every status change after a task's start, at the instant it is applied (before any read sees it). */
  onTaskStatus?: (taskId: number, status: TaskStatus) => void;
}

export interface RunningSimulator {
  /** `http://127.0.0.1:PORT/` */
  readonly url: string;
  readonly port: number;
  stats(): SimulatorStats;
  /** Throws a `FaultError` naming the bad fields of an invalid fault. */
  injectFault(fault: Fault): void;
  clearFaults(): void;
  /** Like a KDF process restart: tasks, task ids, enabled coins and bans are gone. */
  restart(): void;
  /**
   * Ends a running task now: `ok` registers the coin then reports Ok, `error` reports the ticker's scenario error
   * (or an `Internal` one). Default: the ticker's own outcome, Ok for a hanging ticker.
   * Throws a `TaskNotRunningError` for an unknown, finished or cancelled task.
   */
  finishTask(taskId: number, outcome?: 'ok' | 'error'): void;
  /** Event-stream faults: close the connected streams, refuse new ones, drop frames; `sent` counts frames. */
  readonly eventStreams: {
    closeAll(): void;
    refuse(refusing: boolean): void;
    dropFrames(probability: number): void;
    sent(): number;
  };
  /** Closes every socket and clears every timer; calling it again is harmless. */
  stop(): Promise<void>;
}

const Options = z.object({
  userpass: z.string().min(1),
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(0),
  phaseMs: z.number().int().nonnegative().optional(),
});

export async function startSimulator(options: SimulatorOptions): Promise<RunningSimulator> {
  const parsed = Options.safeParse(options);
  if (!parsed.success) throw new TypeError(`startSimulator: invalid options:\n${z.prettifyError(parsed.error)}`);
  const { userpass, host, port, phaseMs } = parsed.data;
  const scenario = parseScenario(options.scenario ?? defaultScenario);
  const simulator = new Simulator(userpass, scenario, phaseMs, options.onTaskStatus);
  const stopping = new AbortController();
  const server = createServer(createRequestListener(simulator, stopping.signal));
  server.listen(port, host);
  await once(server, 'listening');
  const address = server.address() as AddressInfo;

  let stopped: Promise<void> | undefined;
  const stop = async () => {
    stopping.abort();
    simulator.shutdown();
    const closed = once(server, 'close');
    server.close();
    server.closeAllConnections();
    await closed;
  };
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${address.port}/`,
    port: address.port,
    stats: () => simulator.stats(),
    injectFault: (fault) => simulator.faults.add(fault),
    clearFaults: () => simulator.faults.clear(),
    restart: () => simulator.restart(),
    finishTask: (taskId, outcome) => simulator.finishTask(taskId, outcome),
    eventStreams: {
      closeAll: () => simulator.streams.closeAll(),
      refuse: (refusing) => (simulator.streams.faults.refuse = refusing),
      dropFrames: (probability) => (simulator.streams.faults.dropProbability = probability),
      sent: () => simulator.streams.sent,
    },
    stop: () => (stopped ??= stop()),
  };
}
