/**
 * One simulated KDF process: everything KDF keeps in memory (enabled coins, lightning tasks, the task id counter,
 * the login rate limiter). A restart replaces the whole object. Section numbers (§) refer to the contract.
 *
 * @module
 */
import type { ActivationPlan } from './activation.js';
import { CoinRegistry, type CoinConfig, type EnabledCoin } from './coins.js';
import { ADDRESS_IN_USE, ADDRESS_IN_USE_PATH, DEFAULT_LISTENING_PORT, type LightningPhase } from './kdf-constants.js';
import { alreadyActivated, checkLightningInit } from './lightning-init.js';
import { MmError, errorObject, type ErrorObject } from './mm-error.js';
import { RateLimiter } from './rate-limiter.js';
import type { InitLightningRequest } from './requests.js';
import type { CoinSpec } from './scenario.js';
import { ProcessCounters, type TaskSummary } from './stats.js';
import { ActivationTask, TaskState, type TaskStatus } from './tasks.js';
import { Timeline } from './timeline.js';

/** What stays the same across restarts: the coins config, the activation plans and the coins' addresses. */
export interface NodeSetup {
  readonly coins: readonly CoinSpec[];
  readonly configs: ReadonlyMap<string, CoinConfig>;
  readonly plans: ReadonlyMap<string, ActivationPlan>;
  /** Per ticker; a lightning coin's node id stays the same across disable and re-enable, as in KDF. */
  readonly addresses: ReadonlyMap<string, string>;
}

export interface NodeHooks {
  /** A task started; `running` tasks are running now. */
  taskStarted(running: number): void;
  /** A task's status changed after its start (pushed to SSE clients, §1.7); not called on cancel. */
  taskStatusChanged(clientId: number, taskId: number, status: TaskStatus): void;
}

/** Thrown by `finishTask` for a task that is unknown, finished or cancelled. */
export class TaskNotRunningError extends Error {
  override name = 'TaskNotRunningError';
}

const noSuchTask = (taskId: number, httpStatus: number, path: string) =>
  new MmError('NoSuchTask', httpStatus, `No such task '${taskId}'`, path, taskId);

const addressInUse = errorObject('Internal', ADDRESS_IN_USE, ADDRESS_IN_USE_PATH, ADDRESS_IN_USE);

export class KdfNode {
  readonly counters = new ProcessCounters();
  readonly rateLimiter = new RateLimiter();
  readonly #coins = new CoinRegistry();
  /** KDF's task map: finished tasks stay until read with `forget_if_finished`, cancelled ones leave at once. */
  readonly #tasks = new Map<number, ActivationTask>();
  /** Every task this process started, for the stats. */
  readonly #history: ActivationTask[] = [];
  /** Listening port → id of the task (or the coin it activated) bound to it. */
  readonly #ports = new Map<number, number>();
  readonly #timeline = new Timeline<ActivationTask>(
    () => this.advance(),
    () => performance.now()
  );
  #nextTaskId = 0;
  #running = 0;

  constructor(
    private readonly setup: NodeSetup,
    private readonly hooks: NodeHooks
  ) {
    for (const spec of setup.coins) {
      if (spec.enabled) {
        this.#coins.add({
          ticker: spec.ticker,
          address: this.#addressOf(spec.ticker),
          platform: spec.platform,
          passive: false,
        });
      }
    }
  }

  /** Applies every step that is due. Every public method starts here, so each reply reflects the present. */
  advance(): number {
    const now = performance.now();
    for (let task = this.#timeline.popDue(now); task !== undefined; task = this.#timeline.popDue(now)) {
      if (task.state !== TaskState.InProgress) continue;
      this.#runStep(task);
      this.#schedule(task);
    }
    this.#timeline.rearm();
    return now;
  }

  /** Stops the timer; the process is gone. */
  shutdown(): void {
    this.#timeline.clear();
  }

  get runningTasks(): number {
    this.advance();
    return this.#running;
  }

  taskSummaries(): TaskSummary[] {
    const now = this.advance();
    return this.#history.map((task) => ({
      id: task.id,
      ticker: task.ticker,
      state: task.state,
      phase: task.phase(now),
    }));
  }

  enabledCoins(): readonly EnabledCoin[] {
    this.advance();
    return this.#coins.list();
  }

  /** `task::enable_lightning::init` (§2.1): the checks, then a new task with the next global id (§3.1). */
  initLightning(request: InitLightningRequest): { task_id: number } {
    const now = this.advance();
    this.counters.initCallsByTicker.add(request.ticker);
    const platform = checkLightningInit(request, this.setup.configs, this.#coins);
    const plan = this.setup.plans.get(request.ticker) as ActivationPlan;
    const port = request.activation_params.listening_port ?? DEFAULT_LISTENING_PORT;
    const task = new ActivationTask(this.#nextTaskId++, request.ticker, platform, plan, now, port, request.client_id);
    this.#tasks.set(task.id, task);
    this.#history.push(task);
    this.#running++;
    this.counters.tasksStartedByTicker.add(task.ticker);
    this.hooks.taskStarted(this.#running);
    this.#schedule(task);
    return { task_id: task.id };
  }

  /** `task::enable_lightning::status` (§2.2, §3.3). */
  taskStatus(taskId: number, forgetIfFinished: boolean): TaskStatus {
    const now = this.advance();
    const task = this.#tasks.get(taskId);
    if (task === undefined) throw noSuchTask(taskId, 400, 'init_l2');
    if (task.finished && forgetIfFinished) this.#tasks.delete(taskId);
    return task.status(now);
  }

  /**
   * `task::enable_lightning::cancel` (§2.3, §3.4). KDF's short `Cancelling` state is not reproduced: the task is
   * gone at once, and a cancel beats a completion due in the same instant, unless `completionWins`: then the answer
   * is the same but the task completes now, as `finishTask` would, which is the race of §3.4.
   */
  cancelTask(taskId: number, completionWins = false): 'success' {
    const now = this.advance();
    const task = this.#tasks.get(taskId);
    if (task === undefined) throw noSuchTask(taskId, 404, 'init_l2.manager');
    if (task.finished) throw new MmError('TaskFinished', 409, 'Task is finished already', 'init_l2.manager', taskId);
    if (completionWins) {
      this.#complete(task, task.phase(now));
    } else {
      this.#tasks.delete(taskId);
      this.counters.cancelledTasks++;
      this.#end(task, TaskState.Cancelled, task.phase(now));
    }
    return 'success';
  }

  /** `task::enable_lightning::user_action` (§2.4): lightning never waits for one. */
  userAction(taskId: number): never {
    this.advance();
    const task = this.#tasks.get(taskId);
    if (task === undefined) throw noSuchTask(taskId, 400, 'init_l2');
    const message = `RPC '${taskId}' task is in unexpected status. Actual: '${task.state}', expected: 'AwaitingUserAction'`;
    throw new MmError('Internal', 500, `Internal error: ${message}`, 'init_l2.manager', message);
  }

  /** Forces a running task to its end now (admin); by default to the ticker's own outcome, Ok for a hanging one. */
  finishTask(taskId: number, outcome?: 'ok' | 'error'): void {
    const now = this.advance();
    const task = this.#tasks.get(taskId);
    if (task === undefined || task.state !== TaskState.InProgress) {
      throw new TaskNotRunningError(`task ${taskId} is not running`);
    }
    this.#complete(task, task.phase(now), outcome);
  }

  /** Legacy `disable_coin` (§2.6): dependents passivize a platform unless `force`, which removes them too. */
  disableCoin(ticker: string, force: boolean): 'not-found' | 'removed' | 'passivized' {
    this.advance();
    const coin = this.#coins.find(ticker);
    if (coin === undefined) return 'not-found';
    const dependents = this.#coins.dependentsOf(ticker);
    if (dependents.length > 0 && !force) {
      coin.passive = true;
      return 'passivized';
    }
    for (const removed of [...dependents, coin]) this.#removeCoin(removed);
    return 'removed';
  }

  /** Legacy `electrum`/`enable` of a coin from the coins config; returns an error text when KDF would refuse. */
  enableCoin(ticker: string): EnabledCoin | string {
    this.advance();
    const protocol = (this.setup.configs.get(ticker)?.['protocol'] as { type?: unknown } | undefined)?.type;
    if (protocol === undefined) return `Coin ${ticker} is not found in the coins config`;
    if (protocol === 'LIGHTNING') return 'Lightning protocol is not supported by lp_coininit';
    const existing = this.#coins.find(ticker);
    if (existing !== undefined && !existing.passive) return `Coin ${ticker} already initialized`;
    if (existing !== undefined) {
      existing.passive = false;
      return existing;
    }
    const coin = { ticker, address: this.#addressOf(ticker), passive: false };
    this.#coins.add(coin);
    return coin;
  }

  #addressOf(ticker: string): string {
    return this.setup.addresses.get(ticker) as string;
  }

  #schedule(task: ActivationTask): void {
    const at = task.nextStepAt();
    if (at !== undefined) this.#timeline.push(at, task);
  }

  #runStep(task: ActivationTask): void {
    const step = task.takeStep();
    switch (step.kind) {
      case 'phase':
        this.hooks.taskStatusChanged(task.clientId, task.id, { status: 'InProgress', details: step.phase });
        break;
      case 'bind-port':
        // two activations on one port: the later one fails like KDF's TCP bind (§3.6)
        if (this.#ports.has(task.listeningPort)) {
          this.#fail(task, step.phase, addressInUse);
        } else {
          this.#ports.set(task.listeningPort, task.id);
          task.boundPort = true;
        }
        break;
      case 'fail':
        this.#fail(task, step.phase, step.error);
        break;
      case 'register':
        this.#register(task, step.phase);
        break;
      case 'finish':
        this.#succeed(task, step.phase);
        break;
    }
  }

  /** The coin shows in `get_enabled_coins` a moment before the status turns Ok (§2.5); a duplicate task loses here. */
  #register(task: ActivationTask, phase: LightningPhase): void {
    if (this.#coins.find(task.ticker) !== undefined) {
      this.#fail(task, phase, alreadyActivated(task.ticker).toObject());
      return;
    }
    this.#coins.add({
      ticker: task.ticker,
      address: this.#addressOf(task.ticker),
      platform: task.platform,
      taskId: task.id,
      listeningPort: task.boundPort ? task.listeningPort : undefined,
      passive: false,
    });
    task.registered = true;
  }

  /** Ends a running task now with `outcome`; by default the plan's own, Ok for a hanging one. */
  #complete(task: ActivationTask, phase: LightningPhase, outcome?: 'ok' | 'error'): void {
    if ((outcome ?? (task.plan.outcome === 'error' ? 'error' : 'ok')) === 'ok') this.#succeed(task, phase);
    else this.#fail(task, phase, task.plan.forcedError);
  }

  #succeed(task: ActivationTask, phase: LightningPhase): void {
    if (!task.registered) this.#register(task, phase);
    if (task.state !== TaskState.InProgress) return;
    const details = { platform_coin: task.platform, address: this.#addressOf(task.ticker), balance: task.plan.balance };
    this.#end(task, TaskState.Ok, phase, { status: 'Ok', details });
    this.counters.okTasksByTicker.add(task.ticker);
  }

  #fail(task: ActivationTask, phase: LightningPhase, error: ErrorObject): void {
    this.#end(task, TaskState.Error, phase, { status: 'Error', details: error });
  }

  /** Cancel and failure free the port; a task forced to fail after registering takes its coin back. */
  #end(task: ActivationTask, state: Exclude<TaskState, 'InProgress'>, phase: LightningPhase, final?: TaskStatus): void {
    task.end(state, phase, final);
    this.#running--;
    if (state !== TaskState.Ok && task.boundPort) this.#releasePort(task.listeningPort, task.id);
    const coin = this.#coins.find(task.ticker);
    // KDF's cancel hook removes any active coin with the ticker (init_l2.rs `InitL2Task::cancel`)
    const removes = state === TaskState.Cancelled || (state === TaskState.Error && coin?.taskId === task.id);
    if (coin !== undefined && !coin.passive && removes) this.#removeCoin(coin);
    if (final !== undefined) this.hooks.taskStatusChanged(task.clientId, task.id, final);
  }

  #removeCoin(coin: EnabledCoin): void {
    this.#coins.remove(coin.ticker);
    if (coin.taskId !== undefined && coin.listeningPort !== undefined) {
      this.#releasePort(coin.listeningPort, coin.taskId);
    }
  }

  #releasePort(port: number, taskId: number): void {
    if (this.#ports.get(port) === taskId) this.#ports.delete(port);
  }
}
