// The worker process end to end: configuration errors, JSON logs without secrets, Prometheus metrics, SIGTERM.
// The two enablement cases have their own task queue, node and worker processes and mostly wait: they run at once.
import { ACTIVATE_ACTIVITY, LIGHTNING_PHASES } from '../../workflows/api.js';
import type { EnablementReport } from '../../workflows/api.js';
import { cliRun } from '../helpers/cli.js';
import type { Proc } from './helpers.js';
import {
  cli,
  eventually,
  freePort,
  json,
  startSimulatorProcess,
  startWorkerProcess,
  uniqueId,
  USERPASS,
  writeNodesFile,
} from './helpers.js';

let sim: { proc: Proc; url: string };
const procs: Proc[] = [];

beforeAll(async () => {
  sim = await startSimulatorProcess({ phaseMs: 1_500 });
  procs.push(sim.proc);
}, 60_000);

afterAll(async () => {
  for (const proc of procs.reverse()) await proc.stop('SIGTERM');
}, 60_000);

const worker = async (env: Record<string, string | undefined>, waitReady = true) => {
  const proc = await startWorkerProcess(env, waitReady);
  procs.push(proc);
  return proc;
};

describe('bad configuration: a clear error naming the field, exit 78, before connecting', () => {
  // Each configuration error is a unit test of loadWorkerConfig (test/worker/config.test.ts); the process adds the
  // exit code and stderr, the same for all, so one error (after the nodes and their userpass have loaded) shows them.
  test('metrics on a public interface: exit 78 naming KDF_METRICS_ADDRESS, no userpass in the output', async () => {
    const proc = await worker(
      {
        TEMPORAL_ADDRESS: '127.0.0.1:1',
        KDF_NODES_FILE: writeNodesFile({ alpha: 'http://127.0.0.1:1/' }),
        KDF_METRICS_ADDRESS: '0.0.0.0:9464',
      },
      false
    );
    const { code } = await proc.exited;
    expect(code).toBe(78);
    expect(proc.stderr).toContain('KDF_METRICS_ADDRESS: "0.0.0.0:9464" must be a loopback host:port');
    expect(proc.stdout + proc.stderr).not.toContain(USERPASS);
  });

  test('an unreachable Temporal server exits 69', async () => {
    const proc = await worker(
      { TEMPORAL_ADDRESS: '127.0.0.1:1', KDF_NODES_FILE: writeNodesFile({ alpha: 'http://127.0.0.1:1/' }) },
      false
    );
    expect((await proc.exited).code).toBe(69);
    expect(proc.stderr).toContain('cannot reach Temporal at 127.0.0.1:1');
  }, 60_000);
});

test.concurrent(
  'JSON logs carry workflow/activity context and no userpass; the Prometheus endpoint serves SDK and kdf_ series',
  async () => {
    const taskQueue = uniqueId('e2e-obs');
    const node = uniqueId('obs-node');
    const metricsPort = await freePort();
    const proc = await worker({
      KDF_TASK_QUEUE: taskQueue,
      KDF_NODES_FILE: writeNodesFile({ [node]: sim.url }),
      KDF_METRICS_ADDRESS: `127.0.0.1:${metricsPort}`,
      KDF_LOG_LEVEL: 'debug',
    });
    const run = await cli(['enable', '--node', node, '--ticker', 'tBTC-lightning', '--wait', '--json'], {
      KDF_TASK_QUEUE: taskQueue,
    });
    expect(run.code).toBe(0);

    const workflowId = `enable-lightning/${node}/tBTC-lightning`;
    // the worker's last lines may still be in the pipe when the CLI returns
    await proc.waitFor(/"msg":"Workflow completed"/, 10_000);
    const lines = proc.stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.length).toBeGreaterThan(5);
    const summary = lines.find((line) => line.msg === 'starting kdf-lightning worker');
    expect(summary?.config).toMatchObject({
      taskQueue,
      nodes: [{ id: node, url: expect.stringContaining('127.0.0.1') }],
    });
    expect(lines.some((line) => line.workflowId === workflowId && line.msg === 'Workflow completed')).toBe(true);
    expect(
      lines.some(
        (line) => line.workflowId === workflowId && line.activityType === ACTIVATE_ACTIVITY && line.level === 'debug'
      )
    ).toBe(true);
    expect(proc.stdout + proc.stderr).not.toContain(USERPASS);

    const metrics = await eventually(
      async () => {
        const text = await fetch(`http://127.0.0.1:${metricsPort}/metrics`).then((response) => response.text());
        return text.includes('kdf_enablements_total') ? text : undefined;
      },
      20_000,
      'kdf_enablements_total in /metrics'
    );
    expect(metrics).toMatch(/^temporal_\w+/m);
    expect(metrics).toMatch(/^temporal_workflow_completed_total\{/m);
    expect(metrics).toMatch(/^kdf_enablements_total\{[^}]*outcome="enabled"/m);
    expect(metrics).toMatch(/^kdf_rpc_latency_ms_bucket\{/m);
    expect(metrics).toMatch(/^kdf_phase_duration_ms_count\{/m);
    expect(metrics).not.toContain(USERPASS);
  },
  120_000
);

test.concurrent(
  'SIGTERM on the worker mid-enablement, then a restart: the enablement completes',
  async () => {
    const taskQueue = uniqueId('e2e-restart');
    const node = uniqueId('restart-node');
    // a simulator of its own: the coin must not be enabled there yet
    const own = await startSimulatorProcess({ phaseMs: 1_500 });
    procs.push(own.proc);
    const env = {
      KDF_TASK_QUEUE: taskQueue,
      KDF_NODES_FILE: writeNodesFile({ [node]: own.url }),
      KDF_SHUTDOWN_GRACE_MS: '2000',
    };
    const first = await worker(env);
    expect(
      (await cli(['enable', '--node', node, '--ticker', 'tBTC-lightning'], { KDF_TASK_QUEUE: taskQueue })).code
    ).toBe(0);
    // read in this process: a spawned CLI per read can miss the 12 s activation on a loaded machine
    await eventually(
      async () => {
        const run = await cliRun(['status', '--node', node, '--ticker', 'tBTC-lightning', '--json'], {
          env: { ...process.env, KDF_TASK_QUEUE: taskQueue },
          connect: 'real',
        });
        const phase = run.code === 0 ? (JSON.parse(run.stdout) as { phase: string }).phase : '';
        return (LIGHTNING_PHASES as readonly string[]).includes(phase) ? phase : undefined;
      },
      30_000,
      'a KDF phase'
    );

    const stopped = await first.stop('SIGTERM');
    expect(stopped.code).toBe(0);
    expect(first.stdout).toContain('"msg":"worker stopped"');

    await worker(env);
    const result = await cli(['result', '--node', node, '--ticker', 'tBTC-lightning', '--json'], {
      KDF_TASK_QUEUE: taskQueue,
    });
    expect(result.code).toBe(0);
    const report = json<EnablementReport>(result);
    expect(report.outcome).toBe('enabled');
    // the same KDF task carried on: a fresh simulator numbers tasks from 0, a second init would be task 1
    expect(report.taskId).toBe(0);
  },
  150_000
);
