// `npm start` end to end: its own dev server on free ports and a data dir of its own, the demo, Ctrl-C.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { trackPid } from '../helpers/processes.js';
import { alive, childEnv, cli, freePort, json, Proc, ROOT } from './helpers.js';

let dataDir: string;
let temporalPort: number;
let uiPort: number;
let metricsPort: number;
const pids = new Set<number>();
const runs: Proc[] = [];

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'kdf-start-'));
  temporalPort = await freePort();
  uiPort = await freePort();
  metricsPort = await freePort();
});

afterAll(async () => {
  for (const run of runs) await run.stop('SIGINT', 30_000);
  for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
}, 60_000);

function npmStart(extra: Record<string, string> = {}): Proc {
  const env = childEnv({
    TEMPORAL_ADDRESS: undefined,
    KDF_START_TEMPORAL_PORT: String(temporalPort),
    KDF_START_UI_PORT: String(uiPort),
    KDF_START_DATA_DIR: dataDir,
    KDF_METRICS_ADDRESS: `127.0.0.1:${metricsPort}`,
    ...extra,
  });
  const proc = new Proc(
    'npm start',
    spawn(process.execPath, ['scripts/start.mjs'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
  );
  // every process it starts prints its pid: track them so nothing outlives a failed test
  proc.child.stdout?.on('data', () => {
    for (const match of proc.stdout.matchAll(/pid (\d+)/g)) {
      const pid = Number(match[1]);
      if (!pids.has(pid)) {
        pids.add(pid);
        trackPid(pid);
      }
    }
  });
  runs.push(proc);
  return proc;
}

async function runOnce(): Promise<{ proc: Proc; children: number[] }> {
  const proc = npmStart();
  await proc.waitFor(/\[start\] demo enablement: enabled/, 40_000);
  await proc.waitFor(/Press Ctrl-C to stop everything/, 10_000);
  const children = [...proc.stdout.matchAll(/pid (\d+)/g)].map((match) => Number(match[1]));
  expect(children.length).toBeGreaterThanOrEqual(3);
  return { proc, children };
}

async function ctrlC(proc: Proc, children: number[]): Promise<void> {
  const { code, signal } = await proc.stop('SIGINT', 60_000);
  expect({ code, signal }).toEqual({ code: 0, signal: null });
  for (const pid of children) expect(alive(pid)).toBe(false);
}

test('npm start: dev server, simulator, worker, demo enabled phase by phase; Ctrl-C stops it all; history kept', async () => {
  const first = await runOnce();
  const out = first.proc.stdout;
  expect(out).toMatch(/tBTC-lightning\s+ActivatingCoin/);
  expect(out).toContain(`Temporal UI:  http://127.0.0.1:${uiPort}`);
  expect(out).toContain('npx kdf-lightning enable --node local --ticker tBTC-lightning-slow --wait');
  expect(out).toContain('npx kdf-lightning cancel --node local --ticker tBTC-lightning-slow --reason test');
  expect((await fetch(`http://127.0.0.1:${uiPort}/`)).status).toBe(200);
  expect(await fetch(`http://127.0.0.1:${metricsPort}/metrics`).then((r) => r.text())).toMatch(/^temporal_/m);
  await ctrlC(first.proc, first.children);

  // same SQLite file: the second run sees the first run's enablement too
  const second = await runOnce();
  const listed = await cli(['list', '--node', 'local', '--ticker', 'tBTC-lightning', '--json'], {
    TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
  });
  expect(listed.code).toBe(0);
  const entries = json<{ outcome: string }[]>(listed);
  expect(entries.length).toBeGreaterThanOrEqual(2);
  expect(entries.every((entry) => entry.outcome === 'enabled')).toBe(true);
  await ctrlC(second.proc, second.children);
  // ~20 s alone, ~40 s on a busy machine: a timeout near twice that shows a slowdown
}, 80_000);

test('a taken Temporal port fails fast with a clear message', async () => {
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const port = (blocker.address() as net.AddressInfo).port;
  try {
    const proc = npmStart({ KDF_START_TEMPORAL_PORT: String(port) });
    const { code } = await proc.exited;
    expect(code).toBe(1);
    expect(proc.stderr).toContain(`port ${port} on 127.0.0.1 is already in use`);
    expect(proc.stderr).toContain('KDF_START_TEMPORAL_PORT');
  } finally {
    blocker.close();
  }
}, 60_000);
