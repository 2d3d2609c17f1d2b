// The CLI end to end: real simulator, real worker, `node bin/kdf-lightning.js` against the jest dev server.
import { connectClient, listEnablements } from '../../client/index.js';
import { enablementWorkflowId } from '../../workflows/api.js';
import type { EnablementReport } from '../../workflows/api.js';
import type { Proc } from './helpers.js';
import { workflowBundlePath } from '../helpers/workflow-bundle.mjs';
import {
  cli,
  cliProcess,
  eventually,
  json,
  startSimulatorProcess,
  startWorkerProcess,
  uniqueId,
  USERPASS,
  writeNodesFile,
} from './helpers.js';

type ReportEntry = EnablementReport & { workflowId: string };

const TASK_QUEUE = uniqueId('e2e-cli');
const NODE = uniqueId('cli-node');
const env = { KDF_TASK_QUEUE: TASK_QUEUE };
let sim: Proc;
let worker: Proc;

beforeAll(async () => {
  const started = await startSimulatorProcess();
  sim = started.proc;
  // production mode: the prebuilt bundle of `npm run build` (worker/build-bundle.ts, built once for the run)
  worker = await startWorkerProcess({
    KDF_TASK_QUEUE: TASK_QUEUE,
    KDF_NODES_FILE: writeNodesFile({ [NODE]: started.url }),
  });
  expect(worker.stdout).toContain(`"workflowCode":"${await workflowBundlePath()}"`);
}, 120_000);

afterAll(async () => {
  await worker?.stop('SIGTERM');
  await sim?.stop('SIGTERM');
}, 60_000);

/** Waits until the enablement of `ticker` reports `phase` through `status --json`. */
const reachPhase = (node: string, ticker: string, phase: string) =>
  eventually(
    async () => {
      const run = await cli(['status', '--node', node, '--ticker', ticker, '--json'], env);
      return run.code === 0 && (JSON.parse(run.stdout) as { phase: string }).phase === phase ? true : undefined;
    },
    30_000,
    `${ticker} in ${phase}`
  );

test('enable --wait --json: exit 0, one entry per ticker with outcome enabled and an address', async () => {
  const run = await cli(['enable', '--node', NODE, '--ticker', 'tBTC-lightning', '--wait', '--json'], env);
  expect(run.code).toBe(0);
  const entries = json<ReportEntry[]>(run);
  expect(entries).toHaveLength(1);
  expect(entries[0]).toMatchObject({
    workflowId: `enable-lightning/${NODE}/tBTC-lightning`,
    node: NODE,
    ticker: 'tBTC-lightning',
    outcome: 'enabled',
    alreadyEnabled: false,
  });
  expect(entries[0]?.address).toEqual(expect.any(String));
  expect(entries[0]?.phases.length).toBeGreaterThan(0);
  expect(run.stdout + run.stderr).not.toContain(USERPASS);
  expect(run.stderr).not.toContain('no worker is polling');

  // human output of the same report
  const result = await cli(['result', '--node', NODE, '--ticker', 'tBTC-lightning'], env);
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(/outcome\s+enabled/);
  expect(result.stdout).toContain(entries[0]?.address as string);
}, 90_000);

test('a failed enablement exits 2 with the KDF error; with several tickers the worst outcome wins', async () => {
  const node = NODE;
  const run = await cli(
    [
      'enable',
      '--node',
      node,
      '--ticker',
      'tBTC-lightning-port-in-use',
      '--ticker',
      'tBTC-lightning-hang',
      '--timeout',
      '6s',
      '--wait',
      '--json',
    ],
    env
  );
  const entries = json<ReportEntry[]>(run);
  expect(entries.map((entry) => [entry.ticker, entry.outcome])).toEqual([
    ['tBTC-lightning-port-in-use', 'failed'],
    ['tBTC-lightning-hang', 'timed_out'],
  ]);
  expect(entries[0]?.error?.type).toEqual(expect.any(String));
  expect(run.code).toBe(2);
}, 90_000);

test('--timeout 3s on a hanging activation: exit 4, outcome timed_out', async () => {
  const node = NODE;
  const run = await cli(
    ['enable', '--node', node, '--ticker', 'tBTC-lightning-hang-2', '--timeout', '3s', '--wait', '--json'],
    env
  );
  expect(run.code).toBe(4);
  expect(json<ReportEntry[]>(run)[0]).toMatchObject({ outcome: 'timed_out', error: { type: 'EnablementTimedOut' } });
}, 60_000);

test('cancel from the CLI while running: exit 3, outcome cancelled with reason and who; list and result agree', async () => {
  const ticker = 'tBTC-lightning-hang';
  const started = await cli(['enable', '--node', NODE, '--ticker', ticker, '--json'], env);
  expect(started.code).toBe(0);
  expect(json<{ workflowId: string }[]>(started)[0]?.workflowId).toBe(`enable-lightning/${NODE}/${ticker}`);
  const watcher = cliProcess(['watch', '--node', NODE, '--ticker', ticker], env);
  await reachPhase(NODE, ticker, 'ActivatingCoin');

  const running = await cli(['list', '--node', NODE, '--ticker', ticker, '--running', '--json'], env);
  // KdfPhase says `starting` until the outcome or a KDF phase that lasts 30 s (v5: each upsert is a history event);
  // `status` and `watch` show the live phase and task
  expect(json<{ status: string; phase: string }[]>(running)[0]).toMatchObject({
    status: 'RUNNING',
    phase: 'starting',
  });

  const cancel = await cli(
    ['cancel', '--node', NODE, '--ticker', ticker, '--reason', 'e2e test', '--by', 'jest', '--json'],
    env
  );
  expect(cancel.code).toBe(3);
  const report = json<ReportEntry>(cancel);
  expect(report).toMatchObject({
    outcome: 'cancelled',
    node: NODE,
    ticker,
    cancel: { reason: 'e2e test', requestedBy: 'jest' },
  });

  const result = await cli(['result', '--node', NODE, '--ticker', ticker, '--json'], env);
  expect(result.code).toBe(3);
  expect(json<ReportEntry>(result)).toMatchObject({ outcome: 'cancelled', cancel: { reason: 'e2e test' } });

  const watched = await watcher.exited;
  expect(watched.code).toBe(3);
  expect(watcher.stdout).toContain('ActivatingCoin');
  expect(watcher.stdout).toContain('cancelled');

  const cancelledList = await cli(['list', '--node', NODE, '--outcome', 'cancelled', '--json'], env);
  expect(json<{ ticker: string; outcome: string }[]>(cancelledList)).toContainEqual(
    expect.objectContaining({ ticker, outcome: 'cancelled' })
  );
  const none = await cli(['cancel', '--node', NODE, '--ticker', ticker, '--reason', 'again'], env);
  expect(none.code).toBe(66);
  expect(none.stderr).toContain('no running enablement');
}, 120_000);

test('a Temporal cancellation alone (as from the UI): the workflow ends Canceled and result reports cancelled', async () => {
  const ticker = 'tBTC-lightning-hang-2';
  expect((await cli(['enable', '--node', NODE, '--ticker', ticker], env)).code).toBe(0);
  await reachPhase(NODE, ticker, 'ActivatingCoin');
  const client = await connectClient();
  try {
    await client.workflow.getHandle(enablementWorkflowId(NODE, ticker)).cancel();
    const result = await cli(['result', '--node', NODE, '--ticker', ticker, '--json'], env);
    expect(result.code).toBe(3);
    expect(json<ReportEntry>(result)).toMatchObject({
      outcome: 'cancelled',
      node: NODE,
      ticker,
      taskId: expect.any(Number),
    });
    const [entry] = await listEnablements(client, { node: NODE, ticker, limit: 1 });
    expect(entry).toMatchObject({ status: 'CANCELLED', outcome: 'cancelled' });
  } finally {
    await client.connection.close();
  }
}, 90_000);

test('bulk cancel: --all-running on a node cancels every running enablement', async () => {
  const node = NODE;
  for (const ticker of ['tBTC-lightning-hang', 'tBTC-lightning-hang-2']) {
    expect((await cli(['enable', '--node', node, '--ticker', ticker], env)).code).toBe(0);
  }
  await reachPhase(node, 'tBTC-lightning-hang-2', 'ActivatingCoin');
  const run = await cli(['cancel', '--all-running', '--node', node, '--reason', 'bulk', '--json'], env);
  expect(run.code).toBe(3);
  const reports = json<ReportEntry[]>(run);
  expect(reports.map((report) => [report.ticker, report.outcome]).sort()).toEqual([
    ['tBTC-lightning-hang', 'cancelled'],
    ['tBTC-lightning-hang-2', 'cancelled'],
  ]);
  expect(json<unknown[]>(await cli(['list', '--node', node, '--running', '--json'], env))).toEqual([]);
}, 120_000);

test('list and status in human form', async () => {
  const list = await cli(['list', '--node', NODE], env);
  expect(list.code).toBe(0);
  expect(list.stdout).toMatch(/NODE\s+TICKER\s+STATUS/);
  expect(list.stdout).toMatch(/tBTC-lightning\s+COMPLETED\s+enabled/);
  const failed = json<{ ticker: string }[]>(await cli(['list', '--node', NODE, '--outcome', 'failed', '--json'], env));
  expect(failed.map((entry) => entry.ticker)).toEqual(['tBTC-lightning-port-in-use']);
  const status = await cli(['status', '--node', NODE, '--ticker', 'tBTC-lightning'], env);
  expect(status.code).toBe(0);
  expect(status.stdout).toMatch(/phase\s+enabled/);
}, 60_000);

test('exit codes for bad input, an unknown enablement and an unreachable server', async () => {
  // independent CLI processes, run side by side
  const [bad, badFlag, missing, unpolled, unreachable] = await Promise.all([
    cli(['enable', '--node', NODE, '--ticker', 'tBTC-lightning', '--color', 'purple'], env),
    cli(['enable', '--node', NODE, '--ticker', 'x', '--timeout', 'soon'], env),
    cli(['status', '--node', NODE, '--ticker', 'tBTC-lightning-never', '--json'], env),
    cli(['enable', '--node', NODE, '--ticker', 'tBTC-lightning', '--task-queue', uniqueId('nobody')], env),
    cli(['list', '--connect-timeout', '1s'], { ...env, TEMPORAL_ADDRESS: '127.0.0.1:1' }),
  ]);
  expect(bad.code).toBe(64);
  expect(bad.stderr).toContain('--color: must be six hex digits');
  expect(badFlag.code).toBe(64);
  expect(badFlag.stderr).toContain("'--timeout <duration>'");
  expect(missing.code).toBe(66);
  expect(json<{ error: { kind: string } }>(missing).error.kind).toBe('not_found');
  expect(unpolled.code).toBe(0);
  expect(unpolled.stderr).toContain('warning: no worker is polling task queue nobody-');
  await cli(['cancel', '--node', NODE, '--ticker', 'tBTC-lightning', '--reason', 'cleanup', '--no-wait'], env);
  expect(unreachable.code).toBe(69);
  expect(unreachable.stderr).toContain('cannot reach Temporal at 127.0.0.1:1');
}, 60_000);
