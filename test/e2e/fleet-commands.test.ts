// The fleet commands' remaining paths through a real Temporal server (test/client/fleet-cli.test.ts checks their
// output against a fake client): flags that override the manifest reach the workflow's input, a fleet cancelled in
// Temporal alone (the UI) is reported from its memo, `fleet-cancel` names $USER, a timed-out member sets exit 4.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { connectClient } from '../../client/index.js';
import type { FleetInput, FleetProgress } from '../../workflows/api.js';
import type { Proc } from './helpers.js';
import {
  cli,
  eventually,
  json,
  startSimulatorProcess,
  startWorkerProcess,
  uniqueId,
  writeNodesFile,
} from './helpers.js';

type FleetDoc = FleetProgress & { workflowId: string; status: string };

const TASK_QUEUE = uniqueId('e2e-fleet-cmd');
const NODE = uniqueId('fleet-cmd');
const env = { KDF_TASK_QUEUE: TASK_QUEUE, USER: 'ops-e2e' };
const dir = mkdtempSync(path.join(tmpdir(), 'kdf-fleet-cmd-'));
let sim: Proc;
let worker: Proc;
let client: Client;

beforeAll(async () => {
  const started = await startSimulatorProcess({ phaseMs: 50 });
  sim = started.proc;
  worker = await startWorkerProcess({
    KDF_TASK_QUEUE: TASK_QUEUE,
    KDF_NODES_FILE: writeNodesFile({ [NODE]: started.url }),
  });
  client = await connectClient({ env: { TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS } });
}, 120_000);

afterAll(async () => {
  await client?.connection.close();
  await worker?.stop('SIGTERM');
  await sim?.stop('SIGTERM');
}, 60_000);

function writeManifest(fleet: string, tickers: string[], timeout: string): string {
  const manifest = {
    fleet,
    defaults: {
      tickers: tickers.map((ticker, index) => ({ ticker, activationParams: { listening_port: 9735 + index } })),
      timeout,
      poll: { initialIntervalMs: 100, maxIntervalMs: 300 },
    },
    nodes: { [NODE]: {} },
  };
  const file = path.join(dir, `${fleet}.json`);
  writeFileSync(file, JSON.stringify(manifest));
  return file;
}

const status = async (fleet: string) => {
  const run = await cli(['fleet-status', fleet, '--json'], env);
  return { code: run.code, doc: json<FleetDoc>(run) };
};
const whenRunning = (fleet: string, members: number) =>
  eventually(
    async () => {
      const { code, doc } = await status(fleet);
      return code === 0 && doc.running === members ? doc : undefined;
    },
    60_000,
    `${members} members of ${fleet} running`
  );

test('--concurrency, --per-node and --rate override the manifest in the fleet workflow’s input', async () => {
  const fleet = uniqueId('fleet-flags');
  const run = await cli(
    ['fleet', writeManifest(fleet, ['tBTC-lightning'], '1m'), '--concurrency', '7', '--per-node', '3', '--rate', '2.5'],
    env
  );
  expect(run.code).toBe(0);
  expect(run.stdout).toContain(`kdf-lightning fleet-status ${fleet}`);
  const history = await client.workflow.getHandle(`fleet/${fleet}`).fetchHistory();
  const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  const input = defaultPayloadConverter.fromPayload<FleetInput>(payload ?? {});
  expect(input).toMatchObject({ fleetId: fleet, concurrency: 7, perNodeConcurrency: 3, startsPerSecond: 2.5 });
  const done = await eventually(async () => ((await status(fleet)).doc.done ? true : undefined), 60_000, 'fleet done');
  expect(done).toBe(true);
}, 90_000);

test('a fleet cancelled in Temporal alone (the UI): fleet-status reports it from the memo and exits 3', async () => {
  const fleet = uniqueId('fleet-ui-cancel');
  expect((await cli(['fleet', writeManifest(fleet, ['tBTC-lightning-hang'], '10m')], env)).code).toBe(0);
  await whenRunning(fleet, 1);
  await client.workflow.getHandle(`fleet/${fleet}`).cancel();
  const ended = await eventually(
    async () => {
      const { code, doc } = await status(fleet);
      return code === 3 ? doc : undefined;
    },
    60_000,
    'fleet-status exit 3'
  );
  expect(ended).toMatchObject({ status: 'cancelled', total: 1, counts: { cancelled: 1 } });
  expect(ended.cancel).toBeUndefined();
}, 90_000);

test('fleet-cancel without --by names $USER; a member past its deadline makes fleet-status exit 4', async () => {
  const cancelled = uniqueId('fleet-user');
  expect((await cli(['fleet', writeManifest(cancelled, ['tBTC-lightning-hang'], '10m')], env)).code).toBe(0);
  await whenRunning(cancelled, 1);
  const cancel = await cli(['fleet-cancel', cancelled, '--reason', 'maintenance', '--json'], env);
  expect(cancel.code).toBe(3);
  expect(json<FleetDoc>(cancel).cancel).toMatchObject({ reason: 'maintenance', requestedBy: 'ops-e2e' });

  const late = uniqueId('fleet-late');
  expect((await cli(['fleet', writeManifest(late, ['tBTC-lightning-hang-2'], '3s'), '--wait'], env)).code).toBe(4);
  const { code, doc } = await status(late);
  expect(code).toBe(4);
  expect(doc.counts.timed_out).toBe(1);
  expect(doc.failures).toEqual([expect.objectContaining({ outcome: 'timed_out', type: 'EnablementTimedOut' })]);
}, 120_000);
