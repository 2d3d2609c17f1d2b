// The fleet commands end to end: two simulated KDF nodes, a real worker, `node bin/kdf-lightning.js fleet …`.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { SimulatorStats } from '../../simulator/index.js';
import type { FleetProgress } from '../../workflows/api.js';
import type { Proc } from './helpers.js';
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

type FleetDoc = FleetProgress & { workflowId: string; status: string; runningPhases?: Record<string, number> };

const TASK_QUEUE = uniqueId('e2e-fleet');
const NODE_A = uniqueId('fleet-a');
const NODE_B = uniqueId('fleet-b');
const env = { KDF_TASK_QUEUE: TASK_QUEUE };
const dir = mkdtempSync(path.join(tmpdir(), 'kdf-fleet-e2e-'));
const sims: { proc: Proc; url: string }[] = [];
let worker: Proc;

beforeAll(async () => {
  sims.push(...(await Promise.all([startSimulatorProcess({ phaseMs: 50 }), startSimulatorProcess({ phaseMs: 50 })])));
  worker = await startWorkerProcess({
    KDF_TASK_QUEUE: TASK_QUEUE,
    KDF_NODES_FILE: writeNodesFile({ [NODE_A]: sims[0]!.url, [NODE_B]: sims[1]!.url }),
  });
}, 120_000);

afterAll(async () => {
  await worker?.stop('SIGTERM');
  await Promise.all(sims.map(({ proc }) => proc.stop('SIGTERM')));
}, 60_000);

async function stats(url: string): Promise<SimulatorStats> {
  const response = await fetch(new URL('__sim/stats', url));
  return (await response.json()) as SimulatorStats;
}

/** A manifest on both nodes: the tickers in `defaults`, each with its own listening port, node B with its alias. */
function writeManifest(fleet: string, tickers: string[], timeout: string): string {
  const manifest = {
    fleet,
    concurrency: 10,
    perNodeConcurrency: 2,
    defaults: {
      tickers: tickers.map((ticker, index) => ({ ticker, activationParams: { listening_port: 9735 + index } })),
      platformCoin: 'tBTC-segwit',
      timeout,
      poll: { initialIntervalMs: 100, maxIntervalMs: 300 },
    },
    nodes: { [NODE_A]: {}, [NODE_B]: { activationParams: { name: 'fleet-b-alias' } } },
  };
  const file = path.join(dir, `${fleet}.json`);
  writeFileSync(file, JSON.stringify(manifest, null, 2));
  return file;
}

const OK_FLEET = uniqueId('fleet-ok');
const OK_TICKERS = ['tBTC-lightning', 'tBTC-lightning-port-in-use'];

test('fleet MANIFEST --wait --json: 2 nodes × 2 tickers, exact counts, failures with reasons, exit 2', async () => {
  const manifest = writeManifest(OK_FLEET, OK_TICKERS, '2m');
  const run = await cli(['fleet', manifest, '--wait', '--json'], env);
  const summary = json<FleetDoc>(run);
  expect(summary).toMatchObject({
    workflowId: `fleet/${OK_FLEET}`,
    status: 'finished',
    fleetId: OK_FLEET,
    total: 4,
    started: 4,
    running: 0,
    done: true,
    counts: { enabled: 2, failed: 2, cancelled: 0, timed_out: 0, alreadyEnabled: 0 },
  });
  expect(
    summary.failures
      .map(({ node, ticker, outcome, type }) => ({ node, ticker, outcome, type }))
      .sort((a, b) => a.node.localeCompare(b.node))
  ).toEqual(
    [NODE_A, NODE_B]
      .sort()
      .map((node) => ({ node, ticker: 'tBTC-lightning-port-in-use', outcome: 'failed', type: 'Internal' }))
  );
  for (const failure of summary.failures) expect(failure.message).toContain('Address already in use');
  expect(run.code).toBe(2);
  expect(run.stdout + run.stderr).not.toContain(USERPASS);
  expect(run.stderr).not.toContain('no worker is polling');
  for (const { url } of sims) {
    expect((await stats(url)).initCallsByTicker).toEqual({ 'tBTC-lightning': 1, 'tBTC-lightning-port-in-use': 1 });
  }
}, 120_000);

test('re-running the manifest: enabled pairs cost one get_enabled_coins, failed ones are retried (human output)', async () => {
  const manifest = writeManifest(OK_FLEET, OK_TICKERS, '2m');
  const run = await cli(['fleet', manifest, '--wait'], env);
  expect(run.code).toBe(2);
  expect(run.stdout).toContain(`started fleet ${OK_FLEET}: 4 enablement(s) on 2 node(s)`);
  expect(run.stdout).toMatch(
    /enabled\s+2 \(already 2, now 0, re-enabled 0\)\ndrifted\s+0 .*\nfailed\s+2\ntimed out\s+0\ncancelled\s+0/
  );
  expect(run.stdout).toMatch(/NODE\s+TICKER\s+OUTCOME\s+TYPE\s+MESSAGE/);
  expect(run.stdout).toMatch(new RegExp(`${NODE_A}\\s+tBTC-lightning-port-in-use\\s+failed\\s+Internal\\s+.*Address`));
  // periodic summary lines (not a TTY)
  expect(run.stdout).toMatch(new RegExp(`\\d\\d:\\d\\d:\\d\\d {2}${OK_FLEET} {2}\\d/4 started`));
  for (const { url } of sims) {
    const { initCallsByTicker } = await stats(url);
    expect(initCallsByTicker['tBTC-lightning']).toBe(1); // enabled before: not started again
    expect(initCallsByTicker['tBTC-lightning-port-in-use']).toBe(2); // failed before: retried
  }

  const status = await cli(['fleet-status', OK_FLEET, '--json'], env);
  expect(status.code).toBe(2);
  expect(json<FleetDoc>(status)).toMatchObject({
    status: 'finished',
    counts: { enabled: 2, failed: 2, cancelled: 0, timed_out: 0 },
    runningPhases: {},
  });
}, 120_000);

test('fleet-status and fleet-cancel on a fleet of hanging members: members cancelled, exit 3', async () => {
  const fleet = uniqueId('fleet-hang');
  const manifest = writeManifest(fleet, ['tBTC-lightning-hang', 'tBTC-lightning-hang-2'], '10m');
  const cancelledBefore = await Promise.all(sims.map(async ({ url }) => (await stats(url)).cancelledTasks));

  const started = await cli(['fleet', manifest], env);
  expect(started.code).toBe(0);
  expect(started.stdout).toContain(`workflow fleet/${fleet}`);
  expect(started.stdout).toContain(`kdf-lightning fleet-status ${fleet}`);
  const follower = cliProcess(['fleet', manifest, '--wait', '--json'], env);

  const running = await eventually(
    async () => {
      const run = await cli(['fleet-status', fleet, '--json'], env);
      if (run.code !== 0) return undefined;
      const doc = json<FleetDoc>(run);
      return doc.running === 4 && doc.runningPhases?.['ActivatingCoin'] === 4 ? doc : undefined;
    },
    60_000,
    'four members in ActivatingCoin'
  );
  expect(running).toMatchObject({ status: 'running', total: 4, started: 4, done: false });
  const human = await cli(['fleet-status', fleet], env);
  expect(human.code).toBe(0);
  expect(human.stdout).toMatch(/status\s+running/);
  expect(human.stdout).toMatch(/ActivatingCoin \(1\/8\)\s+4/);

  const cancel = await cli(['fleet-cancel', fleet, '--reason', 'e2e fleet cancel', '--by', 'jest', '--json'], env);
  expect(cancel.code).toBe(3);
  const summary = json<FleetDoc>(cancel);
  expect(summary).toMatchObject({
    status: 'cancelled',
    total: 4,
    running: 0,
    done: true,
    counts: { enabled: 0, failed: 0, timed_out: 0, cancelled: 4 },
    cancel: { reason: 'e2e fleet cancel', requestedBy: 'jest' },
  });
  expect(summary.failures.map((failure) => failure.outcome)).toEqual(Array(4).fill('cancelled'));
  for (const [index, { url }] of sims.entries()) {
    const after = await stats(url);
    expect(after.cancelledTasks - (cancelledBefore[index] ?? 0)).toBe(2); // each KDF task cancelled
    expect(after.activeTasks).toBe(0);
  }

  const followed = await follower.exited;
  expect(followed.code).toBe(3);
  expect(JSON.parse(follower.stdout)).toMatchObject({ status: 'cancelled', counts: { cancelled: 4 } });
  expect(follower.stderr).toContain(`note: fleet ${fleet} is already running`);

  const after = await cli(['fleet-status', fleet], env);
  expect(after.code).toBe(3);
  expect(after.stdout).toMatch(/status\s+cancelled/);
  expect(after.stdout).toContain('fleet cancelled by jest');
  const again = await cli(['fleet-cancel', fleet, '--reason', 'again'], env);
  expect(again.code).toBe(66);
  expect(again.stderr).toContain(`fleet ${fleet} is not running (completed)`);
}, 150_000);

test('unknown fleet → 66; bad manifest → 64 naming the field', async () => {
  const status = await cli(['fleet-status', uniqueId('no-such-fleet'), '--json'], env);
  expect(status.code).toBe(66);
  expect(json<{ error: { kind: string } }>(status).error.kind).toBe('not_found');
  const cancel = await cli(['fleet-cancel', uniqueId('no-such-fleet'), '--reason', 'x'], env);
  expect(cancel.code).toBe(66);
  expect(cancel.stderr).toContain('no fleet no-such-fleet-');

  const clash = path.join(dir, 'clash.yaml');
  writeFileSync(clash, `fleet: clash\nnodes:\n  ${NODE_A}:\n    tickers: [tBTC-lightning, tBTC-lightning-hang]\n`);
  const bad = await cli(['fleet', clash], env);
  expect(bad.code).toBe(64);
  expect(bad.stderr).toContain(`nodes.${NODE_A}.tickers: tBTC-lightning and tBTC-lightning-hang would both listen`);
}, 60_000);
