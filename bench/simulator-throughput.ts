/**
 * How much the KDF node simulator takes: concurrent lightning activations on one node, and RPC requests per second
 * on loopback. The simulator runs as its own process (`simulator/cli.ts`), so client and server do not share a CPU.
 *
 * Run: `npx tsx bench/simulator-throughput.ts [--tasks 2000] [--seconds 5] [--connections 64]`
 * Exit code 1 when a target (2,000 concurrent activations, 5,000 requests/s) is missed.
 *
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ADMIN_HEADERS, type Scenario, type SimulatorStats } from '../simulator/index.js';

const TARGET_CONCURRENT_ACTIVATIONS = 2_000;
const TARGET_REQUESTS_PER_SECOND = 5_000;
const USERPASS = 'bench-userpass';
/** Long enough for every init to land before the first activation ends (8 phases), even on a busy machine. */
const PHASE_MS = 1_000;

const { values } = parseArgs({
  options: {
    tasks: { type: 'string', default: String(TARGET_CONCURRENT_ACTIVATIONS) },
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '64' },
  },
});
const tasks = Number(values.tasks);
const seconds = Number(values.seconds);
const connections = Number(values.connections);

interface Reply {
  readonly status: number;
  readonly body: string;
}

/** A keep-alive HTTP client for one simulator. */
function client(baseUrl: URL) {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const send = (method: string, urlPath: string, body = '', headers: Record<string, string> = {}): Promise<Reply> =>
    new Promise((resolve, reject) => {
      const outgoing = request(
        {
          host: baseUrl.hostname,
          port: baseUrl.port,
          method,
          path: urlPath,
          agent,
          headers: { 'Content-Length': Buffer.byteLength(body), ...headers },
        },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (text += chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
        }
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  return {
    rpc: (method: string, params?: unknown) =>
      send('POST', '/', JSON.stringify({ mmrpc: '2.0', userpass: USERPASS, method, params, id: 1 })),
    admin: async <T>(method: string, urlPath: string) =>
      JSON.parse((await send(method, `/__sim/${urlPath}`, '', method === 'GET' ? {} : ADMIN_HEADERS)).body) as T,
    close: () => agent.destroy(),
  };
}

/** One platform coin, `count` lightning tickers that end Ok (`LN-i`) and `count` that never end (`HANG-i`). */
function scenarioFile(count: number): string {
  const lightning = (ticker: string, activation: NonNullable<Scenario['coins'][number]['activation']> = {}) => ({
    ticker,
    protocol: 'LIGHTNING' as const,
    platform: 'BTC',
    activation,
  });
  const scenario: Scenario = {
    coins: [
      { ticker: 'BTC', protocol: 'UTXO', enabled: true },
      ...Array.from({ length: count }, (_, index) => lightning(`LN-${index}`)),
      ...Array.from({ length: count }, (_, index) =>
        lightning(`HANG-${index}`, { outcome: { kind: 'hang', atPhase: 'ReadingNetworkGraphFromFile' } })
      ),
    ],
  };
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'kdf-sim-bench-')), 'scenario.json');
  writeFileSync(file, JSON.stringify(scenario));
  return file;
}

async function startServer(): Promise<{ child: ChildProcess; url: URL }> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'simulator/cli.ts',
      '--port',
      '0',
      '--phase-ms',
      String(PHASE_MS),
      '--scenario',
      scenarioFile(tasks),
    ],
    { env: { ...process.env, KDF_SIM_USERPASS: USERPASS }, stdio: ['ignore', 'pipe', 'inherit'] }
  );
  const [line] = (await once(child.stdout!.setEncoding('utf8'), 'data')) as [string];
  const url = /kdf-sim listening on (\S+)/.exec(line)?.[1];
  if (url === undefined) throw new Error(`unexpected output from kdf-sim: ${line}`);
  return { child, url: new URL(url) };
}

/** CPU time the server process has used, in ms, from /proc (Linux, 100 ticks/s); `undefined` elsewhere. */
function cpuMs(pid: number | undefined): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Inits `prefix-0` … `prefix-(tasks-1)` all at once, each on its own listening port; returns the failures. */
async function initAll(sim: ReturnType<typeof client>, prefix: string): Promise<number> {
  const replies = await Promise.all(
    Array.from({ length: tasks }, (_, index) =>
      sim.rpc('task::enable_lightning::init', {
        ticker: `${prefix}-${index}`,
        activation_params: { name: `bench-${index}`, listening_port: 10_000 + index },
      })
    )
  );
  return replies.filter(({ status }) => status !== 200).length;
}

/** Starts `tasks` activations at once and waits for all of them to end. */
async function concurrentActivations(sim: ReturnType<typeof client>) {
  const started = performance.now();
  const failedInits = await initAll(sim, 'LN');
  const initSeconds = (performance.now() - started) / 1000;
  let stats = await sim.admin<SimulatorStats>('GET', 'stats');
  while (stats.activeTasks > 0) {
    await sleep(100);
    stats = await sim.admin<SimulatorStats>('GET', 'stats');
  }
  const coins = JSON.parse((await sim.rpc('get_enabled_coins')).body) as { result: { coins: unknown[] } };
  return {
    initSeconds,
    failedInits,
    maxActiveTasks: stats.maxActiveTasks,
    ok: stats.tasks.filter(({ state }) => state === 'Ok').length,
    listed: coins.result.coins.length - 1,
  };
}

/**
 * On a restarted node with `tasks` activations running, `connections` loops send status polls (90 %) and
 * get_enabled_coins (10 %) for `seconds`.
 */
async function throughput(sim: ReturnType<typeof client>, serverPid: number | undefined) {
  await sim.admin('POST', 'restart');
  if ((await initAll(sim, 'HANG')) > 0) throw new Error('inits of the throughput run failed');
  const latencies: number[] = [];
  let errors = 0;
  const deadline = performance.now() + seconds * 1000;
  const loop = async () => {
    for (let n = 0; performance.now() < deadline; n++) {
      const sent = performance.now();
      const reply =
        n % 10 === 9
          ? await sim.rpc('get_enabled_coins')
          : await sim.rpc('task::enable_lightning::status', {
              task_id: Math.floor(Math.random() * tasks),
              forget_if_finished: false,
            });
      latencies.push(performance.now() - sent);
      if (reply.status !== 200) errors++;
    }
  };
  const started = performance.now();
  const cpuBefore = cpuMs(serverPid);
  await Promise.all(Array.from({ length: connections }, loop));
  const elapsed = (performance.now() - started) / 1000;
  const cpuAfter = cpuMs(serverPid);
  const serverMicrosPerRequest =
    cpuBefore === undefined || cpuAfter === undefined ? undefined : ((cpuAfter - cpuBefore) * 1000) / latencies.length;
  latencies.sort((a, b) => a - b);
  const percentile = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0;
  return {
    requests: latencies.length,
    perSecond: latencies.length / elapsed,
    p50: percentile(0.5),
    p99: percentile(0.99),
    errors,
    serverMicrosPerRequest,
  };
}

async function run(): Promise<void> {
  const { child, url } = await startServer();
  const sim = client(url);
  try {
    const activations = await concurrentActivations(sim);
    console.log(
      `concurrent activations: ${tasks} inits in ${activations.initSeconds.toFixed(2)} s ` +
        `(${Math.round(tasks / activations.initSeconds)}/s, ${activations.failedInits} failed); ` +
        `maxActiveTasks ${activations.maxActiveTasks}; ${activations.ok} ended Ok; ` +
        `${activations.listed} lightning coins listed by get_enabled_coins`
    );
    const load = await throughput(sim, child.pid);
    console.log(
      `throughput: ${connections} keep-alive connections for ${seconds} s: ${load.requests} requests, ` +
        `${Math.round(load.perSecond)} requests/s, p50 ${load.p50.toFixed(1)} ms, p99 ${load.p99.toFixed(1)} ms, ` +
        `${load.errors} non-200 replies (${tasks} activations running)`
    );
    if (load.serverMicrosPerRequest !== undefined) {
      console.log(
        `server CPU: ${load.serverMicrosPerRequest.toFixed(0)} µs per request, ` +
          `about ${Math.round(1e6 / load.serverMicrosPerRequest)} requests/s per core`
      );
    }
    const [load1 = 0] = loadavg();
    if (load1 > availableParallelism()) {
      console.log(
        `note: busy machine (load ${load1.toFixed(1)} on ${availableParallelism()} cores): figures are lower than idle`
      );
    }
    const met =
      activations.maxActiveTasks >= Math.min(tasks, TARGET_CONCURRENT_ACTIVATIONS) &&
      activations.ok === tasks &&
      load.perSecond >= TARGET_REQUESTS_PER_SECOND &&
      load.errors === 0;
    console.log(
      met
        ? 'targets met'
        : `TARGETS MISSED (${TARGET_CONCURRENT_ACTIVATIONS} concurrent activations, ${TARGET_REQUESTS_PER_SECOND} requests/s)`
    );
    process.exitCode = met ? 0 : 1;
  } finally {
    sim.close();
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
}

run().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
