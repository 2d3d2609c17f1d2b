// `npm run cluster` as a user runs it: the addresses it prints, an enablement and a fleet through it, the UI with the
// Kdf* search attributes, both workers' metrics, and Ctrl-C stopping every process it started.
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { EnablementReport } from '../../workflows/api.js';
import { childEnv, cli, json, Proc, ROOT } from '../e2e/helpers.js';
import type { FleetDoc } from './rig.js';

const dataDir = mkdtempSync(path.join(tmpdir(), 'kdf-npm-run-cluster-'));
chmodSync(dataDir, 0o755); // PostgreSQL runs as its own user
let cluster: Proc;
let lines: Map<string, string>;

beforeAll(async () => {
  const child = spawn(process.execPath, ['scripts/cluster.mjs', '--workers', '2'], {
    cwd: ROOT,
    env: childEnv({ KDF_CLUSTER_DATA_DIR: dataDir }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cluster = new Proc('npm run cluster', child);
  await cluster.waitFor(/^kdf-node local: \S+$/m, 240_000);
  lines = new Map(
    cluster.stdout
      .trim()
      .split('\n')
      .map((line) => [line.slice(0, line.indexOf(': ')), line.slice(line.indexOf(': ') + 2)])
  );
}, 300_000);

afterAll(async () => {
  await cluster?.stop('SIGINT', 60_000);
}, 90_000);

const portOf = (address: string) => Number(/:(\d+)(\/|$)/.exec(address)?.[1]);
const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });

test('prints one address a line: temporal, ui, each worker, the server metrics, postgres, the simulated node', () => {
  expect([...lines.keys()]).toEqual([
    'temporal',
    'ui',
    'worker-1',
    'worker-2',
    'temporal-metrics',
    'postgres',
    'kdf-node local',
  ]);
  expect(lines.get('temporal')).toMatch(/^127\.0\.0\.1:\d+$/);
  expect(lines.get('ui')).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  for (const worker of ['worker-1', 'worker-2']) {
    expect(lines.get(worker)).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
  }
});

test('an enablement and a fleet complete through it; both workers serve metrics', async () => {
  const env = { TEMPORAL_ADDRESS: lines.get('temporal') };
  const enabled = await cli(['enable', '--node', 'local', '--ticker', 'tBTC-lightning', '--wait', '--json'], env);
  expect(enabled.code).toBe(0);
  expect(json<EnablementReport[]>(enabled)[0]).toMatchObject({ node: 'local', outcome: 'enabled' });

  const manifest = path.join(dataDir, 'fleet.json');
  const fleet = { fleet: 'npm-run-cluster', nodes: { local: { tickers: ['tBTC-lightning'] } } };
  writeFileSync(manifest, JSON.stringify(fleet));
  const run = await cli(['fleet', manifest, '--wait', '--json'], env);
  expect(run.code).toBe(0);
  expect(json<FleetDoc>(run)).toMatchObject({ status: 'finished', total: 1, done: true });

  for (const worker of ['worker-1', 'worker-2']) {
    const metrics = await fetch(lines.get(worker) as string).then((response) => response.text());
    expect(metrics).toMatch(/^temporal_\w+/m);
  }
}, 120_000);

test('the UI serves the page and the Kdf* search attributes', async () => {
  const ui = lines.get('ui') as string;
  expect((await fetch(ui)).status).toBe(200);
  const attributes = (await fetch(`${ui}/api/v1/namespaces/default/search-attributes`).then((response) =>
    response.json()
  )) as { customAttributes: Record<string, string> };
  expect(attributes.customAttributes).toMatchObject({
    KdfNode: 'INDEXED_VALUE_TYPE_KEYWORD',
    KdfTicker: 'INDEXED_VALUE_TYPE_KEYWORD',
    KdfPhase: 'INDEXED_VALUE_TYPE_KEYWORD',
    KdfFleet: 'INDEXED_VALUE_TYPE_KEYWORD',
    KdfTaskId: 'INDEXED_VALUE_TYPE_INT',
  });
});

test('Ctrl-C stops everything it started', async () => {
  const ports = [...lines.values()].map(portOf);
  for (const port of ports) expect(await listening(port)).toBe(true);
  const exited = await cluster.stop('SIGINT', 60_000);
  expect(exited).toEqual({ code: 0, signal: null });
  for (const port of ports) expect({ port, listening: await listening(port) }).toEqual({ port, listening: false });
}, 90_000);
