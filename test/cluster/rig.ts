// A fleet rig for the cluster suite: simulated KDF nodes in this process (their stats are the ground truth for lost
// and duplicate activations) and worker replicas as real processes sharing one task queue.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startSimulator, type RunningSimulator } from '../../simulator/index.js';
import type { Scenario } from '../../simulator/scenario.js';
import type { FleetProgress } from '../../workflows/api.js';
import { cli, eventually, json, startWorkerProcess, uniqueId, USERPASS, writeNodesFile } from '../e2e/helpers.js';
import type { Proc } from '../e2e/helpers.js';

/** A ticker whose activation never ends on its own. */
export const HANGING_TICKER = 'tBTC-lightning-hang';

export type FleetDoc = FleetProgress & { workflowId: string; status: string };

export interface RigOptions {
  nodes: number;
  /** Lightning tickers every node can enable; each ends Ok after 8 phases of `phaseMs`. */
  tickers: string[];
  phaseMs: number;
  workers: number;
  /** TEMPORAL_ADDRESS of the workers and the CLI; the suite's cluster when absent. */
  temporalAddress?: string;
}

export class FleetRig {
  readonly taskQueue = uniqueId('cluster');
  readonly nodes = new Map<string, RunningSimulator>();
  readonly workers: Proc[] = [];
  readonly #dir = mkdtempSync(path.join(tmpdir(), 'kdf-cluster-rig-'));
  #nodesFile = '';

  private constructor(readonly options: RigOptions) {}

  static async start(options: RigOptions): Promise<FleetRig> {
    const rig = new FleetRig(options);
    const scenario: Scenario = {
      coins: [
        { ticker: 'tBTC-segwit', protocol: 'UTXO', enabled: true },
        {
          ticker: HANGING_TICKER,
          protocol: 'LIGHTNING',
          platform: 'tBTC-segwit',
          activation: { outcome: { kind: 'hang' } },
        },
        ...options.tickers.map((ticker) => ({
          ticker,
          protocol: 'LIGHTNING' as const,
          platform: 'tBTC-segwit',
          activation: { phaseMs: options.phaseMs },
        })),
      ],
    };
    for (let index = 0; index < options.nodes; index += 1) {
      rig.nodes.set(uniqueId(`node${index}`), await startSimulator({ userpass: USERPASS, scenario }));
    }
    rig.#nodesFile = writeNodesFile(Object.fromEntries([...rig.nodes].map(([id, sim]) => [id, sim.url])));
    for (let index = 0; index < options.workers; index += 1) await rig.addWorker();
    return rig;
  }

  /** Env for the workers and the CLI. */
  get env(): Record<string, string> {
    const env: Record<string, string> = { KDF_TASK_QUEUE: this.taskQueue };
    if (this.options.temporalAddress) env.TEMPORAL_ADDRESS = this.options.temporalAddress;
    return env;
  }

  async addWorker(): Promise<Proc> {
    // debug: the log shows which replica ran which activity
    const worker = await startWorkerProcess({ ...this.env, KDF_NODES_FILE: this.#nodesFile, KDF_LOG_LEVEL: 'debug' });
    this.workers.push(worker);
    return worker;
  }

  /** Forgets every task and enabled coin on every node (and their stats), like KDF restarts. */
  restartNodes(): void {
    for (const sim of this.nodes.values()) sim.restart();
  }

  /** Starts a fleet of every ticker on every node (no --wait); returns its id. */
  async startFleet(timeout = '5m'): Promise<string> {
    const fleet = uniqueId('fleet');
    const manifest = {
      fleet,
      concurrency: 50,
      perNodeConcurrency: this.options.tickers.length,
      defaults: {
        tickers: this.options.tickers.map((ticker, index) => ({
          ticker,
          activationParams: { listening_port: 9735 + index },
        })),
        platformCoin: 'tBTC-segwit',
        timeout,
        poll: { initialIntervalMs: 200, maxIntervalMs: 1_000 },
      },
      nodes: Object.fromEntries([...this.nodes.keys()].map((id) => [id, {}])),
    };
    const file = path.join(this.#dir, `${fleet}.json`);
    writeFileSync(file, JSON.stringify(manifest));
    const run = await cli(['fleet', file], this.env);
    if (run.code !== 0) throw new Error(`fleet did not start (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
    return fleet;
  }

  /** `fleet-status --json` until the fleet workflow has closed; a failed read (server or database down) is retried. */
  async fleetDone(fleet: string, timeoutMs: number): Promise<FleetDoc> {
    return eventually(
      async () => {
        const run = await cli(['fleet-status', fleet, '--json'], this.env, 30_000);
        // exit 0 running or enabled, 2 failures, 3 cancelled, 4 timed out; anything else is an outage to wait out
        if (![0, 2, 3, 4].includes(run.code ?? -1)) return undefined;
        const doc = json<FleetDoc>(run);
        // `done` comes from the fleet's query; the workflow closes a moment later
        return doc.done && doc.status !== 'running' ? doc : undefined;
      },
      timeoutMs,
      `fleet ${fleet} done`
    );
  }

  /**
   * The fleet converged: it finished with every member enabled (0 lost), one Ok task per ticker per node (0
   * duplicate activations) and no enablement of the rig's nodes left running (0 stuck).
   */
  async expectConverged(fleet: string, timeoutMs: number): Promise<void> {
    const done = await this.fleetDone(fleet, timeoutMs);
    const total = this.nodes.size * this.options.tickers.length;
    expect(done).toMatchObject({
      status: 'finished',
      total,
      started: total,
      running: 0,
      counts: { enabled: total, failed: 0, cancelled: 0, timed_out: 0 },
    });
    expect(this.okTasks()).toEqual(this.expectedOkTasks());
    const running = await cli(['list', '--running', '--json'], this.env);
    expect(json<{ node: string }[]>(running).filter((entry) => this.nodes.has(entry.node))).toEqual([]);
  }

  /** Per node: how many tasks ended Ok for each ticker (1 each: none lost, none duplicated). */
  okTasks(): Record<string, number>[] {
    return [...this.nodes.values()].map((sim) => sim.stats().okTasksByTicker);
  }

  /** Every ticker enabled exactly once on every node. */
  expectedOkTasks(): Record<string, number>[] {
    return [...this.nodes.keys()].map(() => Object.fromEntries(this.options.tickers.map((ticker) => [ticker, 1])));
  }

  /** Whether a worker's log shows it running an activity of this rig's task queue. */
  static ranActivities(worker: Proc): boolean {
    return /"activityType":"/.test(worker.stdout);
  }

  async stop(): Promise<void> {
    for (const worker of this.workers) await worker.stop('SIGTERM', 15_000);
    await Promise.all([...this.nodes.values()].map((sim) => sim.stop()));
  }
}
