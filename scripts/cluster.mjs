// `npm run cluster`: the production-like stack of temporal.docker-compose.yml on this host, without Docker.
// PostgreSQL (.data/cluster/postgres), the schemas set up by deploy/scripts/setup-postgres.sh, the Temporal server
// with the compose file's settings (deploy/stack.json), namespace and search attributes by
// deploy/scripts/create-namespace.sh, the UI server (with a codec server when KDF_CODEC_KEYS_FILE is set), N workers
// and, unless KDF_NODES_FILE is set, a simulated KDF node `local`. Free loopback ports; logs in .data/cluster/logs/;
// Ctrl-C stops what it started, by PID. `startCluster` is the same stack for tests.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureClusterBinaries } from './cluster-tools.mjs';
import { alive, freePort, healthy, stopProcess } from './dev-server.mjs';
import { ensureDependencies } from './ensure-deps.mjs';
import { startPostgres } from './postgres.mjs';
import { SERVER_PORT_ENV, STACK, temporalServerEnv, uiServerEnv } from './stack.mjs';
import { ensureTemporalCli } from './temporal-cli.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const HOST = '127.0.0.1';
const SIM_USERPASS_ENV = 'KDF_LOCAL_USERPASS';

/**
 * @typedef {object} ClusterOptions
 * @property {string} dataDir PostgreSQL's data, logs, generated files
 * @property {number} [workers] worker replicas to start @default 0
 * @property {boolean} [ui] start the UI server @default true
 * @property {Record<string, string | undefined>} [env] environment of the workers (KDF_NODES_FILE, ...)
 * @property {(line: string) => void} [say] progress lines
 */

/**
 * @typedef {object} ManagedProcess
 * @property {string} name
 * @property {() => number} pid the current PID (a restart changes it)
 * @property {() => Promise<void>} stop
 */

/** Starts the stack; on failure stops what it had started and rethrows. @param {ClusterOptions} options */
export async function startCluster(options) {
  const say = options.say ?? (() => undefined);
  const logs = path.join(options.dataDir, 'logs');
  mkdirSync(logs, { recursive: true });
  const logFile = (/** @type {string} */ name) => path.join(logs, `${name}.log`);
  /** @type {ManagedProcess[]} */
  const started = [];
  const stop = async () => {
    for (const entry of started.splice(0).reverse()) await entry.stop().catch(() => undefined);
  };
  try {
    const binaries = ensureClusterBinaries(say);
    const cli = ensureTemporalCli();

    const postgres = await startPostgres({
      major: STACK.postgresMajor,
      dataDir: options.dataDir,
      logFile: logFile('postgres'),
    });
    started.push({ name: 'postgres', pid: postgres.pid, stop: () => postgres.stop('fast') });
    say(`postgres: ${postgres.host}:${postgres.port} (pid ${postgres.pid()})`);

    runScript('setup-postgres.sh', logFile('schema'), {
      POSTGRES_USER: postgres.user,
      POSTGRES_PASSWORD: postgres.password,
      POSTGRES_SEEDS: postgres.host,
      DB_PORT: String(postgres.port),
      SCHEMA_DIR: binaries.schemaDir,
      PATH: `${binaries.binDir}:${process.env.PATH}`,
    });

    const ports = /** @type {Record<(typeof SERVER_PORT_ENV)[number], number>} */ ({});
    for (const name of SERVER_PORT_ENV) ports[name] = await freeSmallintPort(Object.values(ports));
    const metricsAddress = `${HOST}:${await freePort()}`;
    const address = `${HOST}:${ports.FRONTEND_GRPC_PORT}`;
    const serverEnv = { ...process.env, ...temporalServerEnv(postgres, ports, metricsAddress) };
    const launchServer = async () => {
      const pid = spawnLogged(binaries.server, ['start'], serverEnv, logFile('temporal'));
      await waitUntil(() => healthy(cli, address), pid, 120_000, `Temporal server on ${address}`, logFile('temporal'));
      return pid;
    };
    let serverPid = await launchServer();
    const temporal = {
      address,
      metricsUrl: `http://${metricsAddress}/metrics`,
      pid: () => serverPid,
      stop: () => stopProcess(serverPid, 30_000),
      /** Stops the server (SIGTERM: graceful; SIGKILL: a crash), then starts it again (same ports, same database). */
      restart: async (/** @type {'SIGTERM' | 'SIGKILL'} */ signal = 'SIGTERM') => {
        if (signal === 'SIGKILL') {
          process.kill(serverPid, 'SIGKILL');
          while (alive(serverPid)) await sleep(20);
        } else {
          await stopProcess(serverPid, 30_000);
        }
        serverPid = await launchServer();
      },
    };
    started.push({ name: 'temporal', pid: temporal.pid, stop: temporal.stop });
    say(`temporal: ${address} (pid ${serverPid})`);

    runScript('create-namespace.sh', logFile('namespace'), {
      TEMPORAL_ADDRESS: address,
      TEMPORAL_NAMESPACE: STACK.namespace,
      NAMESPACE_RETENTION: STACK.namespaceRetention,
      PATH: `${path.dirname(cli)}:${process.env.PATH}`,
    });

    let uiUrl;
    if (options.ui ?? true) {
      const uiPort = await freePort();
      uiUrl = `http://${HOST}:${uiPort}`;
      const codecKeys = options.env?.KDF_CODEC_KEYS_FILE;
      let codecEndpoint;
      if (codecKeys) {
        const codec = await startCodecServer(codecKeys, uiUrl, logFile('codec-server'));
        started.push(codec.process);
        codecEndpoint = codec.endpoint;
        say(`codec server: ${codec.origin} (pid ${codec.process.pid()})`);
      }
      const uiEnv = { ...process.env, ...uiServerEnv(address, uiPort, codecEndpoint) };
      const args = ['--root', binaries.uiRoot, '--config', 'config', '--env', 'docker', 'start'];
      const uiPid = spawnLogged(binaries.ui, args, uiEnv, logFile('ui'));
      started.push({ name: 'ui', pid: () => uiPid, stop: () => stopProcess(uiPid) });
      await waitUntil(() => httpOk(uiUrl), uiPid, 60_000, `UI server on ${uiUrl}`, logFile('ui'));
    }

    /** @type {{ name: string, pid: number, metricsUrl: string, logFile: string }[]} */
    const workers = [];
    for (let index = 1; index <= (options.workers ?? 0); index += 1) {
      const name = `worker-${index}`;
      const metrics = `${HOST}:${await freePort()}`;
      const env = { ...process.env, ...options.env, TEMPORAL_ADDRESS: address, KDF_METRICS_ADDRESS: metrics };
      const log = logFile(name);
      const from = sizeOf(log);
      const pid = spawnLogged(process.execPath, ['--import', 'tsx', 'worker/main.ts'], env, log);
      started.push({ name, pid: () => pid, stop: () => stopProcess(pid, 15_000) });
      await waitUntil(() => logHas(log, from, '"msg":"worker running"'), pid, 120_000, name, log);
      workers.push({ name, pid, metricsUrl: `http://${metrics}/metrics`, logFile: log });
    }
    /** PIDs of everything running now, for a caller that must be able to kill them if it dies. */
    const pids = () => started.map((entry) => entry.pid());
    return { address, uiUrl, postgres, temporal, workers, logs, binaries, pids, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * A free loopback port below 32768, outside Linux's ephemeral range: the server records its ports in the
 * cluster_membership table's SMALLINT columns, where a port the OS hands out (32768-60999) does not fit.
 * @param {number[]} taken @returns {Promise<number>}
 */
async function freeSmallintPort(taken) {
  for (;;) {
    const port = 10_000 + Math.floor(Math.random() * 22_767);
    if (!taken.includes(port) && (await portFree(port))) return port;
  }
}

/** @param {number} port @returns {Promise<boolean>} */
function portFree(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, HOST, () => server.close(() => resolve(true)));
  });
}

/**
 * Runs one of the compose stack's set-up scripts (deploy/scripts) to completion, output appended to `logFile`.
 * @param {string} script @param {string} logFile @param {Record<string, string>} env
 */
function runScript(script, logFile, env) {
  const fd = openSync(logFile, 'a');
  const run = spawnSync('sh', [path.join(root, 'deploy', 'scripts', script)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', fd, fd],
    timeout: 300_000,
  });
  closeSync(fd);
  if (run.status !== 0) throw new Error(`deploy/scripts/${script} failed (exit ${run.status}); see ${logFile}`);
}

/**
 * Spawns a process in its own process group (a terminal's Ctrl-C reaches only the cluster script, which stops
 * children in order), output appended to `logFile`. @returns {number} its PID
 * @param {string} command @param {string[]} args @param {NodeJS.ProcessEnv} env @param {string} logFile
 */
function spawnLogged(command, args, env, logFile) {
  const fd = openSync(logFile, 'a');
  const child = spawn(command, args, { cwd: root, env, stdio: ['ignore', fd, fd], detached: true });
  closeSync(fd);
  child.unref();
  return /** @type {number} */ (child.pid);
}

/**
 * Polls `ready` until it holds; throws when the process `pid` exits or after `timeoutMs`.
 * @param {() => boolean | Promise<boolean>} ready @param {number} pid @param {number} timeoutMs @param {string} what
 * @param {string} logFile
 */
async function waitUntil(ready, pid, timeoutMs, what, logFile) {
  const deadline = Date.now() + timeoutMs;
  while (!(await ready())) {
    if (!alive(pid)) throw new Error(`${what} exited during start-up; see ${logFile}`);
    if (Date.now() > deadline) throw new Error(`${what} not ready after ${timeoutMs / 1000} s; see ${logFile}`);
    await sleep(200);
  }
}

/** Whether `url` answers a GET with a non-error status. @param {string} url @returns {Promise<boolean>} */
function httpOk(url) {
  return new Promise((resolve) => {
    const request = http.get(url, (response) => {
      response.resume();
      resolve((response.statusCode ?? 500) < 400);
    });
    request.on('error', () => resolve(false));
    request.setTimeout(2_000, () => request.destroy());
  });
}

/** @param {string} file */
const sizeOf = (file) => (existsSync(file) ? statSync(file).size : 0);

/** @param {string} file @param {number} from @param {string} text */
const logHas = (file, from, text) =>
  existsSync(file) && readFileSync(file).subarray(from).toString('utf8').includes(text);

/**
 * The codec server (codec/server.ts) for the UI: a fresh bearer token in the endpoint's path, the UI's origin allowed.
 * @param {string} keysFile @param {string} uiOrigin @param {string} logFile
 */
async function startCodecServer(keysFile, uiOrigin, logFile) {
  const origin = `http://${HOST}:${await freePort()}`;
  const token = randomBytes(32).toString('hex');
  const env = {
    ...process.env,
    KDF_CODEC_KEYS_FILE: keysFile,
    KDF_CODEC_TOKEN: token,
    KDF_CODEC_ADDRESS: origin.slice('http://'.length),
    KDF_CODEC_CORS_ORIGINS: uiOrigin,
  };
  const from = sizeOf(logFile);
  const pid = spawnLogged(process.execPath, ['--import', 'tsx', 'codec/server.ts'], env, logFile);
  await waitUntil(() => logHas(logFile, from, 'codec server listening'), pid, 60_000, 'codec server', logFile);
  return {
    origin,
    endpoint: `${origin}/${token}`,
    process: { name: 'codec-server', pid: () => pid, stop: () => stopProcess(pid) },
  };
}

/**
 * A simulated KDF node `local` (simulator/cli.ts) and a nodes file naming it. @returns the env the workers need
 * @param {string} dataDir @param {string} logFile
 */
async function startSimulatedNode(dataDir, logFile) {
  const userpass = randomBytes(18).toString('base64url');
  const from = sizeOf(logFile);
  const args = ['--import', 'tsx', 'simulator/cli.ts', '--port', '0', '--host', HOST, '--event-stream'];
  const pid = spawnLogged(process.execPath, args, { ...process.env, KDF_SIM_USERPASS: userpass }, logFile);
  let url = '';
  await waitUntil(
    () => {
      const text = existsSync(logFile) ? readFileSync(logFile).subarray(from).toString('utf8') : '';
      url = /kdf-sim listening on (http:\/\/\S+)/.exec(text)?.[1] ?? '';
      return url !== '';
    },
    pid,
    30_000,
    'KDF simulator',
    logFile
  );
  const nodesFile = path.join(dataDir, 'nodes.local.json');
  const nodes = { nodes: { local: { url, userpassEnv: SIM_USERPASS_ENV, eventStream: true } } };
  writeFileSync(nodesFile, `${JSON.stringify(nodes, null, 2)}\n`);
  return {
    url,
    env: { KDF_NODES_FILE: nodesFile, [SIM_USERPASS_ENV]: userpass },
    process: { name: 'kdf-sim', pid: () => pid, stop: () => stopProcess(pid) },
  };
}

const USAGE = `Usage: npm run cluster -- [--workers N] [--no-ui]

Starts PostgreSQL ${STACK.postgresMajor}, the Temporal server v${STACK.temporalServer} on it (SQL visibility), the UI
server v${STACK.temporalUi}, N workers (default 2) and, unless KDF_NODES_FILE is set, a simulated KDF node "local".
Everything listens on 127.0.0.1; data and logs under .data/cluster/ (KDF_CLUSTER_DATA_DIR). Ctrl-C stops it all.
With KDF_CODEC_KEYS_FILE set, the workers encrypt payloads and a codec server lets the UI decrypt them.
`;

async function main() {
  const { values } = parseArgs({
    options: {
      workers: { type: 'string', default: '2' },
      'no-ui': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const workers = Number(values.workers);
  if (!Number.isInteger(workers) || workers < 0 || workers > 16) {
    throw new Error(`--workers: "${values.workers}" must be a whole number from 0 to 16`);
  }
  ensureDependencies();
  const dataDir = path.resolve(root, process.env.KDF_CLUSTER_DATA_DIR ?? '.data/cluster');
  const say = (/** @type {string} */ line) => process.stderr.write(`[cluster] ${line}\n`);
  const began = Date.now();

  /** @type {ManagedProcess | undefined} */
  let simulator;
  /** @type {Awaited<ReturnType<typeof startCluster>> | undefined} */
  let cluster;
  let stopping = false;
  const shutdown = async (/** @type {number} */ code) => {
    if (stopping) return;
    stopping = true;
    say('stopping…');
    await cluster?.stop();
    await simulator?.stop();
    process.exit(code);
  };
  for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM', 'SIGHUP'])) {
    process.on(signal, () => void shutdown(0));
  }

  const env = { ...process.env };
  let simulatedUrl;
  if (!env.KDF_NODES_FILE) {
    mkdirSync(path.join(dataDir, 'logs'), { recursive: true });
    const node = await startSimulatedNode(dataDir, path.join(dataDir, 'logs', 'kdf-sim.log'));
    simulator = node.process;
    simulatedUrl = node.url;
    Object.assign(env, node.env);
  }
  try {
    cluster = await startCluster({ dataDir, workers, ui: !values['no-ui'], env, say });
  } catch (error) {
    await simulator?.stop();
    throw error;
  }
  say(`ready in ${((Date.now() - began) / 1000).toFixed(1)} s; logs in ${path.relative(process.cwd(), cluster.logs)}`);
  const lines = [`temporal: ${cluster.address}`];
  if (cluster.uiUrl) lines.push(`ui: ${cluster.uiUrl}`);
  for (const worker of cluster.workers) lines.push(`${worker.name}: ${worker.metricsUrl}`);
  lines.push(`temporal-metrics: ${cluster.temporal.metricsUrl}`);
  lines.push(`postgres: ${cluster.postgres.host}:${cluster.postgres.port}`);
  if (simulatedUrl) lines.push(`kdf-node local: ${simulatedUrl}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  say(`try: TEMPORAL_ADDRESS=${cluster.address} npx kdf-lightning enable --node local --ticker tBTC-lightning --wait`);
  say('Ctrl-C stops everything');
  await new Promise(() => undefined);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    process.stderr.write(`[cluster] error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
