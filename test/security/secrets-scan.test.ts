// Secrets scan: every enablement path (enabled, failed, timed out, signal-cancelled, Temporal-cancelled, a fleet)
// runs through a worker PROCESS with metrics on, driven by the CLI (--json and human output) and the client, with
// a distinctive userpass. Afterwards every workflow history (payloads decoded), the worker's logs, the Prometheus
// /metrics text and every CLI output are scanned for the userpass (plain, base64 and JSON-escaped forms).
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startSimulator, type RunningSimulator } from '../../simulator/index.js';
import { cancelSignal, enablementWorkflowId } from '../../workflows/api.js';
import { cliRun, type CliRun } from '../helpers/cli.js';
import { freePort } from '../helpers/ports.js';
import { historyText, secretFindings, secretNeedles } from '../helpers/secret-scan.js';
import { eventually } from '../helpers/enablement-stack.js';
import { connectTestEnvironment, uniqueTaskQueue } from '../helpers/temporal.js';
import { killProcess, startWorkerProcess } from '../helpers/worker-process.js';

const SECRET = `Leak-Canary-${randomUUID()}-userpass`;
const taskQueue = uniqueTaskQueue('secrets');
const suffix = randomUUID().slice(0, 6);
const nodeA = `sec-a-${suffix}`;
const nodeB = `sec-b-${suffix}`;
const nodeC = `sec-c-${suffix}`;

let env: TestWorkflowEnvironment;
const simulators: RunningSimulator[] = [];
let worker: Awaited<ReturnType<typeof startWorkerProcess>>;
let metricsAddress: string;
let dir: string;
/** Every text the scan covers, by source. */
const scanned: { source: string; text: string }[] = [];

async function cli(argv: string[]): Promise<CliRun> {
  const env = { TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS, KDF_TASK_QUEUE: taskQueue };
  const run = await cliRun(argv, { env, connect: 'real' });
  scanned.push({ source: `cli ${argv.join(' ')}`, text: run.stdout + run.stderr });
  return run;
}

const findings = (text: string): string[] => secretFindings(text, SECRET);

beforeAll(async () => {
  env = await connectTestEnvironment();
  dir = mkdtempSync(path.join(tmpdir(), 'kdf-secrets-'));
  for (let i = 0; i < 3; i++) simulators.push(await startSimulator({ userpass: SECRET, phaseMs: 100 }));
  metricsAddress = `127.0.0.1:${await freePort()}`;
  worker = await startWorkerProcess({
    taskQueue,
    nodes: { [nodeA]: simulators[0]!.url, [nodeB]: simulators[1]!.url, [nodeC]: simulators[2]!.url },
    userpass: SECRET,
    env: { KDF_METRICS_ADDRESS: metricsAddress, KDF_LOG_LEVEL: 'debug' },
  });
}, 90_000);

afterAll(async () => {
  if (worker) await killProcess(worker.child);
  await Promise.all(simulators.map((simulator) => simulator.stop()));
  await env?.teardown();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('every path runs, and the userpass appears in no history, log, metric or CLI output', async () => {
  // enabled: --json and human output
  expect((await cli(['enable', '--node', nodeA, '--ticker', 'tBTC-lightning', '--wait', '--json'])).code).toBe(0);
  expect((await cli(['enable', '--node', nodeB, '--ticker', 'tBTC-lightning', '--wait'])).code).toBe(0);
  // failed (KDF task error), both outputs
  expect(
    (await cli(['enable', '--node', nodeA, '--ticker', 'tBTC-lightning-port-in-use', '--wait', '--json'])).code
  ).toBe(2);
  expect((await cli(['enable', '--node', nodeB, '--ticker', 'tBTC-lightning-transport-error', '--wait'])).code).toBe(2);
  // timed out
  expect(
    (await cli(['enable', '--node', nodeA, '--ticker', 'tBTC-lightning-hang', '--timeout', '2s', '--wait', '--json']))
      .code
  ).toBe(4);

  // cancelled with a reason (the signal, then Temporal cancellation) and without one (as from the UI)
  const started = await cli(['enable', '--node', nodeA, '--ticker', 'tBTC-lightning-hang-2', '--json']);
  expect(started.code).toBe(0);
  expect((await cli(['enable', '--node', nodeB, '--ticker', 'tBTC-lightning-hang'])).code).toBe(0);
  const signalled = env.client.workflow.getHandle(enablementWorkflowId(nodeA, 'tBTC-lightning-hang-2'));
  const temporalCancelled = env.client.workflow.getHandle(enablementWorkflowId(nodeB, 'tBTC-lightning-hang'));
  await eventually(
    () => Promise.all([signalled, temporalCancelled].map((handle) => handle.describe())),
    (descriptions) => descriptions.every((d) => d.status.name === 'RUNNING'),
    20_000
  );
  await new Promise((resolve) => setTimeout(resolve, 1_500)); // let both reach the hanging KDF task
  await signalled.signal(cancelSignal, 'secrets scan: signal path', 'secrets-test');
  await signalled.cancel();
  await temporalCancelled.cancel();
  const settle = (handle: WorkflowHandle) =>
    handle.result().then(
      () => 'completed',
      () => 'ended'
    );
  // neither may claim success: both end cancelled (a failure or a cancellation to the caller)
  expect(await Promise.all([settle(signalled), settle(temporalCancelled)])).toEqual(['ended', 'ended']);
  // the CLI's cancel (signal + cancellation) on one more hanging enablement
  expect((await cli(['enable', '--node', nodeB, '--ticker', 'tBTC-lightning-hang-2', '--json'])).code).toBe(0);
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  expect(
    (await cli(['cancel', '--node', nodeB, '--ticker', 'tBTC-lightning-hang-2', '--reason', 'secrets scan', '--json']))
      .code
  ).toBe(3);

  // a fleet: one member enabled, one failing, followed to the end (json), then its status (human)
  const manifest = path.join(dir, 'fleet.json');
  const fleetId = `secrets-${suffix}`;
  writeFileSync(
    manifest,
    JSON.stringify({
      fleet: fleetId,
      nodes: {
        [nodeC]: {
          tickers: [
            { ticker: 'tBTC-lightning', activationParams: { listening_port: 9735 } },
            { ticker: 'tBTC-lightning-port-in-use', activationParams: { listening_port: 9736 } },
          ],
        },
      },
    })
  );
  expect((await cli(['fleet', manifest, '--wait', '--json'])).code).toBe(2);
  expect((await cli(['fleet-status', fleetId])).code).toBe(2);

  // read-only commands, both outputs
  for (const json of [[], ['--json']]) {
    await cli(['status', '--node', nodeA, '--ticker', 'tBTC-lightning', ...json]);
    await cli(['result', '--node', nodeA, '--ticker', 'tBTC-lightning-port-in-use', ...json]);
    await cli(['list', '--node', nodeA, ...json]);
    await cli(['list', '--node', nodeB, ...json]);
    await cli(['fleet-status', fleetId, ...json]);
  }

  // every workflow on the task queue: histories with payloads decoded
  let histories = 0;
  for await (const info of env.client.workflow.list({ query: `TaskQueue = '${taskQueue}'` })) {
    const history = await env.client.workflow.getHandle(info.workflowId, info.runId).fetchHistory();
    scanned.push({ source: `history ${info.workflowId}`, text: historyText(history) });
    histories++;
  }
  // the /metrics text
  const metrics = await (await fetch(`http://${metricsAddress}/metrics`)).text();
  scanned.push({ source: 'metrics', text: metrics });
  // the worker's logs, at debug level
  scanned.push({ source: 'worker log', text: worker.output() });

  // the scan saw real data: every path, each source non-trivial
  expect(histories).toBeGreaterThanOrEqual(10);
  const size = (prefix: string) =>
    scanned.filter((entry) => entry.source.startsWith(prefix)).reduce((sum, entry) => sum + entry.text.length, 0);
  expect(size('history')).toBeGreaterThan(50_000);
  expect(size('cli')).toBeGreaterThan(3_000);
  expect(size('metrics')).toBeGreaterThan(1_000);
  expect(metrics).toMatch(/kdf|temporal/);
  expect(size('worker log')).toBeGreaterThan(2_000);
  // the scanner can fail: it finds the secret in each encoding it looks for
  for (const needle of secretNeedles(SECRET)) expect(findings(`x${needle}y`).length).toBeGreaterThan(0);
  expect(findings(Buffer.from(`{"userpass":"${SECRET}"}`).toString('base64')).length).toBeGreaterThan(0);
  // the worker really used the secret: the simulated nodes refuse any other userpass and enabled a coin
  expect(simulators[0]!.stats().tasksStartedByTicker['tBTC-lightning']).toBe(1);

  const leaks = scanned.flatMap(({ source, text }) => findings(text).map((needle) => `${source}: ${needle}`));
  expect(leaks).toEqual([]);
}, 170_000);
