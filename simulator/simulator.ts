/**
 * A simulated KDF node without its HTTP server: the current KDF process, the faults, the event streams and the
 * figures that outlive restarts.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { planActivation } from './activation.js';
import { deriveAddress, kdfCoinConfig } from './coins.js';
import { dispatch } from './dispatcher.js';
import { EventStreams } from './event-stream.js';
import { FaultInjector, NO_HANDLING_FAULTS, type HandlingFaults } from './faults.js';
import { KdfNode, type NodeHooks, type NodeSetup } from './node.js';
import type { Reply } from './reply.js';
import type { ParsedScenario } from './scenario.js';
import type { SimulatorStats } from './stats.js';
import type { TaskStatus } from './tasks.js';

export class Simulator {
  readonly faults = new FaultInjector();
  readonly streams: EventStreams;
  readonly #setup: NodeSetup;
  readonly #hooks: NodeHooks;
  #node: KdfNode;
  #restarts = 0;
  #maxActiveTasks = 0;

  /**
   * @param phaseMs overrides every lightning ticker's phase duration
   * @param onTaskStatus told of every status change after a task's start, when it is applied
   */
  constructor(
    private readonly userpass: string,
    scenario: ParsedScenario,
    phaseMs: number | undefined,
    onTaskStatus?: (taskId: number, status: TaskStatus) => void
  ) {
    const seed = randomBytes(16).toString('hex');
    const { realistic } = scenario;
    this.#setup = {
      coins: scenario.coins,
      configs: new Map(scenario.coins.map((coin) => [coin.ticker, kdfCoinConfig(coin)])),
      plans: new Map(
        scenario.coins.map((coin) => [coin.ticker, planActivation(coin.activation, { phaseMs, realistic })])
      ),
      addresses: new Map(
        scenario.coins.map((coin) => [
          coin.ticker,
          coin.address ?? deriveAddress(seed, coin.ticker, coin.protocol === 'LIGHTNING'),
        ])
      ),
    };
    this.streams = new EventStreams(scenario.eventStreaming);
    this.#hooks = {
      taskStarted: (running) => {
        this.#maxActiveTasks = Math.max(this.#maxActiveTasks, running);
      },
      taskStatusChanged: (clientId, taskId, status) => {
        onTaskStatus?.(taskId, status);
        this.streams.pushTaskStatus(clientId, taskId, status);
      },
    };
    this.#node = new KdfNode(this.#setup, this.#hooks);
  }

  /** Answers a parsed RPC body from `clientIp`, with what injected `faults` change. */
  dispatch(body: unknown, clientIp: string, faults: HandlingFaults = NO_HANDLING_FAULTS): Reply {
    return dispatch(body, { node: this.#node, userpass: this.userpass, clientIp, faults });
  }

  stats(): SimulatorStats {
    const node = this.#node;
    return {
      calls: node.counters.calls.toRecord(),
      initCallsByTicker: node.counters.initCallsByTicker.toRecord(),
      tasksStartedByTicker: node.counters.tasksStartedByTicker.toRecord(),
      okTasksByTicker: node.counters.okTasksByTicker.toRecord(),
      activeTasks: node.runningTasks,
      maxActiveTasks: this.#maxActiveTasks,
      cancelledTasks: node.counters.cancelledTasks,
      restarts: this.#restarts,
      faultsInjected: this.faults.applied.toRecord(),
      tasks: node.taskSummaries(),
    };
  }

  /** Zeroes the counters; the high-water mark starts again from the tasks running now. */
  resetStats(): void {
    this.#node.counters.reset();
    this.faults.applied.clear();
    this.#restarts = 0;
    this.#maxActiveTasks = this.#node.runningTasks;
  }

  /** Like a KDF process restart: tasks, task ids, enabled coins, bans and SSE connections are gone (§3.1). */
  restart(): void {
    this.#node.shutdown();
    this.streams.closeAll();
    this.#node = new KdfNode(this.#setup, this.#hooks);
    this.#restarts++;
  }

  finishTask(taskId: number, outcome?: 'ok' | 'error'): void {
    this.#node.finishTask(taskId, outcome);
  }

  shutdown(): void {
    this.#node.shutdown();
    this.streams.closeAll();
  }
}
