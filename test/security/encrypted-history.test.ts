// Payload encryption end to end: a worker process and the CLI with KDF_CODEC_KEYS_FILE against jest's dev server.
// The raw history, read by a client without the codec, holds ciphertext only; a fleet following an enablement it
// did not start reads the result through the worker's own (decrypting) client; rotating the key keeps old results
// readable. The fleet (node B) runs beside the first enablement (node A); the cases after it read node A's result,
// and the key rotation restarts the worker, last.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { connectClient } from '../../client/connection.js';
import { EncryptionCodec } from '../../codec/encryption-codec.js';
import { createCodecServer } from '../../codec/http.js';
import { parseKeyring } from '../../codec/keys.js';
import { startEnablement } from '../../client/enablements.js';
import { startFleet, waitForFleet } from '../../client/fleet.js';
import { enablementWorkflowId, fleetWorkflowId } from '../../workflows/api.js';
import type { EnablementReport } from '../../workflows/api.js';
import {
  cli,
  json,
  Proc,
  ROOT,
  startSimulatorProcess,
  startWorkerProcess,
  uniqueId,
  USERPASS,
  writeNodesFile,
} from '../e2e/helpers.js';

type History = temporal.api.history.v1.IHistory;
type RawPayload = temporal.api.common.v1.IPayload;

const K1 = randomBytes(32).toString('base64');
const K2 = randomBytes(32).toString('base64');
const dir = mkdtempSync(path.join(tmpdir(), 'kdf-encrypted-'));
const keysFile = (name: string, current: string, keys: Record<string, string>): string => {
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify({ current, keys }));
  return file;
};
const KEYS_V1 = keysFile('keys-v1.json', 'k1', { k1: K1 });
const KEYS_V2 = keysFile('keys-v2.json', 'k2', { k1: K1, k2: K2 });

const TASK_QUEUE = uniqueId('e2e-encrypted');
const NODE_A = uniqueId('enc-a');
const NODE_B = uniqueId('enc-b');
const TICKER = 'tBTC-lightning';
/** The Lightning alias: workflow input only, so it must appear nowhere in the history in clear. */
const ALIAS = `alias-${randomBytes(6).toString('hex')}`;

const sims: Proc[] = [];
let worker: Proc;
let nodesFile: string;
let raw: Client;

const text = (bytes: Uint8Array | null | undefined): string => Buffer.from(bytes ?? []).toString('utf8');

/** Every payload in a history, with where it sits. */
function payloadsOf(history: History): { where: string; payload: RawPayload }[] {
  const found: { where: string; payload: RawPayload }[] = [];
  const walk = (value: unknown, where: string): void => {
    if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return;
    const record = value as Record<string, unknown>;
    if (record.data instanceof Uint8Array && typeof record.metadata === 'object') {
      found.push({ where, payload: record as RawPayload });
      return;
    }
    for (const [key, child] of Object.entries(record)) walk(child, `${where}.${key}`);
  };
  (history.events ?? []).forEach((event, index) => walk(event, `events.${index}`));
  return found;
}

/** Every byte and string anywhere in the history, to search for plaintext. */
function allBytes(value: unknown): Buffer {
  if (value instanceof Uint8Array) return Buffer.from(value);
  if (typeof value === 'string') return Buffer.from(value);
  if (value === null || typeof value !== 'object') return Buffer.alloc(0);
  return Buffer.concat(Object.values(value as Record<string, unknown>).map(allBytes));
}

function expectCiphertextOnly(history: History, keyId: string, plaintexts: string[]): number {
  // search attributes and the SDK's patch markers (the patch id, written by the SDK, not the data converter) are
  // never encoded by a codec
  const encoded = payloadsOf(history).filter(
    ({ where }) => !where.includes('.searchAttributes.') && !where.includes('.details.patch-data.')
  );
  expect(encoded.length).toBeGreaterThan(3);
  for (const { where, payload } of encoded) {
    expect({ where, encoding: text(payload.metadata?.encoding) }).toEqual({ where, encoding: 'binary/encrypted' });
    expect({ where, keyId: text(payload.metadata?.['encryption-key-id']) }).toEqual({ where, keyId });
    const bytes = Buffer.concat([Buffer.from(payload.data ?? []), ...Object.values(payload.metadata ?? {})]);
    for (const plain of [...plaintexts, 'json/plain'])
      expect({ where, leaks: bytes.includes(plain) }).toEqual({ where, leaks: false });
  }
  return encoded.length;
}

beforeAll(async () => {
  // one simulated KDF node each: B's enablement must still be running when the fleet reaches it
  const [a, b] = await Promise.all([
    startSimulatorProcess({ phaseMs: 1_000 }),
    startSimulatorProcess({ phaseMs: 1_000 }),
  ]);
  sims.push(a.proc, b.proc);
  nodesFile = writeNodesFile({ [NODE_A]: a.url, [NODE_B]: b.url });
  worker = await startWorker(KEYS_V1);
  raw = new Client({ connection: await Connection.connect({ address: process.env.TEMPORAL_ADDRESS as string }) });
}, 180_000);

afterAll(async () => {
  await raw?.connection.close();
  await worker?.stop('SIGTERM');
  for (const sim of sims) await sim.stop('SIGTERM');
}, 60_000);

const startWorker = (keys: string): Promise<Proc> =>
  startWorkerProcess({
    KDF_TASK_QUEUE: TASK_QUEUE,
    KDF_NODES_FILE: nodesFile,
    KDF_CODEC_KEYS_FILE: keys,
  });

const cliEnv = (keys?: string) => ({ KDF_TASK_QUEUE: TASK_QUEUE, ...(keys && { KDF_CODEC_KEYS_FILE: keys }) });

let address: string;

test.concurrent(
  'enable through the CLI with the keys: enabled, and the history holds ciphertext only',
  async () => {
    expect(worker.stdout).toMatch(/"payloadEncryption":\{"currentKey":"k1","keyIds":\["k1"\]\}/);
    const run = await cli(
      ['enable', '--node', NODE_A, '--ticker', TICKER, '--name', ALIAS, '--wait', '--json'],
      cliEnv(KEYS_V1)
    );
    expect(run.code).toBe(0);
    const [report] = json<EnablementReport[]>(run);
    expect(report).toMatchObject({ node: NODE_A, ticker: TICKER, outcome: 'enabled' });
    address = report?.address as string;
    expect(address).toMatch(/^02[0-9a-f]{64}$/);

    const history = await raw.workflow.getHandle(enablementWorkflowId(NODE_A, TICKER)).fetchHistory();
    expectCiphertextOnly(history, 'k1', [NODE_A, TICKER, ALIAS, address, USERPASS]);
    // the alias is only ever input: nowhere in the raw history, not even outside payloads
    expect(allBytes(history).includes(ALIAS)).toBe(false);
    expect(allBytes(history).includes(address)).toBe(false);
    // what stays readable by design: search attributes (the UI lists and filters by them)
    const attributes = payloadsOf(history).filter(({ where }) => where.includes('.searchAttributes.'));
    expect(attributes.map(({ payload }) => text(payload.metadata?.encoding))).toContain('json/plain');
  },
  90_000
);

test('without the keys the results cannot be read: the CLI fails, a plain client cannot decode', async () => {
  const run = await cli(['result', '--node', NODE_A, '--ticker', TICKER, '--json'], cliEnv());
  expect(run.code).not.toBe(0);
  expect(run.stdout + run.stderr).not.toContain(address);
  await expect(raw.workflow.getHandle(enablementWorkflowId(NODE_A, TICKER)).result()).rejects.toThrow(
    /binary\/encrypted/
  );
  const withKeys = await cli(['result', '--node', NODE_A, '--ticker', TICKER, '--json'], cliEnv(KEYS_V1));
  expect(withKeys.code).toBe(0);
  expect(withKeys.stdout).toContain(address);
}, 60_000);

test('the Temporal CLI shows the decrypted history through the codec server (bearer token)', async () => {
  const token = randomBytes(32).toString('hex');
  const codec = new EncryptionCodec(parseKeyring(readFileSync(KEYS_V1, 'utf8'), 'KDF_CODEC_KEYS_FILE'));
  const server = createCodecServer({ codec, token, corsOrigins: ['http://127.0.0.1:8233'] });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const temporalCli = process.env.TEMPORAL_CLI ?? path.join(ROOT, '.tools/venv/bin/temporal');
  // asynchronous: the codec server answers from this process
  const show = async (...args: string[]) => {
    const proc = new Proc(
      'temporal workflow show',
      spawn(temporalCli, ['workflow', 'show', '-w', enablementWorkflowId(NODE_A, TICKER), '-o', 'json', ...args], {
        env: { ...process.env, TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS, TEMPORAL_CODEC_ENDPOINT: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
    );
    const timer = setTimeout(() => proc.child.kill('SIGKILL'), 30_000);
    const { code } = await proc.exited;
    clearTimeout(timer);
    // the JSON history keeps payload data in base64, as the proto3 JSON form does
    const payloadText = [...proc.stdout.matchAll(/"data": "([A-Za-z0-9+/=]*)"/g)]
      .map((match) => Buffer.from(match[1] as string, 'base64').toString('utf8'))
      .join('\n');
    return { code, stdout: proc.stdout, payloadText };
  };
  try {
    const decoded = await show('--codec-endpoint', endpoint, '--codec-auth', `Bearer ${token}`);
    expect(decoded.code).toBe(0);
    expect(decoded.payloadText).toContain(ALIAS);
    expect(decoded.payloadText).toContain(address);
    const encrypted = `"encoding": "${Buffer.from('binary/encrypted').toString('base64')}"`;
    expect(decoded.stdout).not.toContain(encrypted);
    const refused = await show('--codec-endpoint', endpoint, '--codec-auth', 'Bearer wrong');
    expect(refused.payloadText).not.toContain(ALIAS);
    const plain = await show();
    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain(encrypted);
    expect(plain.payloadText).not.toContain(ALIAS);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}, 60_000);

test.concurrent(
  'a fleet following an enablement it did not start reads its result through the worker’s decrypting client',
  async () => {
    const client = await connectClient({ env: { ...process.env, KDF_CODEC_KEYS_FILE: KEYS_V1 } });
    try {
      await startEnablement(
        client,
        { node: NODE_B, ticker: TICKER, activationParams: { name: 'fleet-follow' } },
        { taskQueue: TASK_QUEUE }
      );
      const fleetId = uniqueId('enc-fleet');
      await startFleet(
        client,
        { fleetId, defaults: { activationParams: {} }, nodes: [{ node: NODE_B, tickers: [{ ticker: TICKER }] }] },
        { taskQueue: TASK_QUEUE }
      );
      const progress = await waitForFleet(client, fleetId);
      expect(progress).toMatchObject({ total: 1, failures: [], counts: { enabled: 1, failed: 0, alreadyEnabled: 0 } });

      const fleetHistory = await raw.workflow.getHandle(fleetWorkflowId(fleetId)).fetchHistory();
      const activities = (fleetHistory.events ?? []).map(
        (e) => e.activityTaskScheduledEventAttributes?.activityType?.name
      );
      expect(activities).toContain('awaitEnablement');
      expectCiphertextOnly(fleetHistory, 'k1', [NODE_B, TICKER]);
    } finally {
      await client.connection.close();
    }
  },
  90_000
);

test('key rotation: a worker with k2 current writes k2, and results written under k1 stay readable', async () => {
  await worker.stop('SIGTERM');
  worker = await startWorker(KEYS_V2);
  expect(worker.stdout).toMatch(/"payloadEncryption":\{"currentKey":"k2","keyIds":\["k1","k2"\]\}/);

  const old = await cli(['result', '--node', NODE_A, '--ticker', TICKER, '--json'], cliEnv(KEYS_V2));
  expect(old.code).toBe(0);
  expect(old.stdout).toContain(address);

  const ticker = 'tBTC-lightning-slow';
  const args = ['enable', '--node', NODE_A, '--ticker', ticker, '--port', '9736', '--wait', '--json'];
  const run = await cli(args, cliEnv(KEYS_V2));
  expect(json<EnablementReport[]>(run)[0]).toMatchObject({ outcome: 'enabled', alreadyEnabled: false });
  const history = await raw.workflow.getHandle(enablementWorkflowId(NODE_A, ticker)).fetchHistory();
  expectCiphertextOnly(history, 'k2', [NODE_A, ticker]);

  // a client that only knows k1 cannot read what k2 encrypted, and says which key it lacks
  const stale = await cli(['result', '--node', NODE_A, '--ticker', ticker, '--json'], cliEnv(KEYS_V1));
  expect(stale.code).not.toBe(0);
  expect(stale.stderr).toMatch(/key "k2", which is not in the keyring/);
  for (const output of [worker.stdout, worker.stderr, run.stdout, run.stderr, stale.stderr]) {
    for (const key of [K1, K2]) expect(output).not.toContain(key);
  }
}, 120_000);
