// `npm start`: the whole stack in the foreground. Temporal dev server (SQLite under .data/, UI on 127.0.0.1:8233),
// a simulated KDF node (unless KDF_NODES_FILE is set), the worker, and one demo enablement. Ctrl-C stops it all.
// Node builtins only until ensureDependencies() has run; after that it spawns tsx processes.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { freePort } from './dev-server.mjs';
import { ensureDependencies } from './ensure-deps.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const HOST = '127.0.0.1';
const DEMO_NODE = 'local';
const DEMO_TICKER = 'tBTC-lightning';
const USERPASS_ENV = 'KDF_LOCAL_USERPASS';

/** @param {string} message */
const say = (message) => process.stdout.write(`[start] ${message}\n`);

/**
 * @param {string} name
 * @param {number} fallback
 */
function portFromEnv(name, fallback) {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) fail(`${name}: "${value}" is not a TCP port`);
  return port;
}

/** @param {string} message @returns {never} */
function fail(message) {
  process.stderr.write(`[start] error: ${message}\n`);
  process.exit(1);
}

/** @param {number} port @returns {Promise<boolean>} */
function portFree(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, HOST, () => server.close(() => resolve(true)));
  });
}

/** Everything started, newest last; stopped in reverse order by PID. @type {{ name: string, pid: number, stop: () => Promise<void> }[]} */
const started = [];
let stopping = false;

/** SIGTERM, then SIGKILL after graceMs; resolves when the process is gone. @param {number} pid @param {number} graceMs */
async function stopPid(pid, graceMs) {
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (!alive()) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (alive() && Date.now() < deadline) await sleep(50);
  if (alive()) process.kill(pid, 'SIGKILL');
  while (alive()) await sleep(20);
}

/** @param {number} code */
async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  if (started.length > 0) say('stopping…');
  for (const entry of [...started].reverse()) {
    await entry.stop().catch(() => undefined);
    say(`stopped ${entry.name} (pid ${entry.pid})`);
  }
  process.exit(code);
}

/**
 * Spawns a child in its own process group (a terminal Ctrl-C reaches only this script, which stops children in
 * order), output appended to a log file.
 * @param {string} name @param {string[]} args @param {Record<string, string | undefined>} env @param {string} logFile
 */
function spawnLogged(name, args, env, logFile) {
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', fd, fd], detached: true });
  closeSync(fd);
  const pid = /** @type {number} */ (child.pid);
  const entry = { name, pid, stop: () => stopPid(pid, 15_000) };
  started.push(entry);
  child.once('exit', (code, signal) => {
    if (stopping) return;
    process.stderr.write(`[start] ${name} exited unexpectedly (${signal ?? `code ${code}`}); see ${rel(logFile)}\n`);
    void shutdown(1);
  });
  return child;
}

/** @param {string} file */
const rel = (file) => {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith('..') ? relative : file;
};

/**
 * Waits until `pattern` appears in a child's log after byte `from` (logs are appended across runs).
 * @param {string} file @param {RegExp} pattern @param {number} timeoutMs @param {string} what @param {number} from
 */
async function waitForLog(file, pattern, timeoutMs, what, from) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = existsSync(file) ? readFileSync(file).subarray(from).toString('utf8') : '';
    const match = pattern.exec(text);
    if (match) return match;
    if (stopping) await new Promise(() => undefined);
    if (Date.now() > deadline) {
      process.stderr.write(`[start] ${what} not ready after ${timeoutMs / 1000} s; see ${rel(file)}\n`);
      await shutdown(1);
    }
    await sleep(100);
  }
}

async function main() {
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));
  process.on('SIGHUP', () => void shutdown(0));

  ensureDependencies();
  const { startDevServer } = await import('./dev-server.mjs');

  const dataDir = path.resolve(root, process.env.KDF_START_DATA_DIR ?? '.data');
  mkdirSync(dataDir, { recursive: true });
  const tsx = ['--import', 'tsx'];
  const childEnv = { ...process.env };

  // 1. Temporal: the user's server, or a dev server with history kept in .data/temporal.db
  let temporalAddress = process.env.TEMPORAL_ADDRESS;
  let uiUrl = process.env.KDF_START_UI_URL;
  if (temporalAddress) {
    say(`using the Temporal server at ${temporalAddress} (TEMPORAL_ADDRESS)`);
  } else {
    const port = portFromEnv('KDF_START_TEMPORAL_PORT', 7233);
    const uiPort = portFromEnv('KDF_START_UI_PORT', port + 1000);
    if (!(await portFree(port))) {
      fail(
        `port ${port} on ${HOST} is already in use (another Temporal server, or an earlier npm start still running?). ` +
          `Stop it, or set KDF_START_TEMPORAL_PORT to another port, or TEMPORAL_ADDRESS to use that server.`
      );
    }
    if (!(await portFree(uiPort))) fail(`UI port ${uiPort} on ${HOST} is already in use; set KDF_START_UI_PORT.`);
    const dbFile = path.join(dataDir, 'temporal.db');
    say(`starting the Temporal dev server on ${HOST}:${port} (history in ${rel(dbFile)})`);
    const server = await startDevServer({ port, uiPort, dbFile, logFile: path.join(dataDir, 'temporal.log') });
    started.push({ name: 'Temporal dev server', pid: server.pid, stop: () => stopPid(server.pid, 10_000) });
    say(`Temporal dev server ready on ${server.address} (pid ${server.pid})`);
    temporalAddress = server.address;
    uiUrl = server.uiUrl;
  }
  childEnv.TEMPORAL_ADDRESS = temporalAddress;

  // 2. KDF nodes: the user's KDF_NODES_FILE, or a simulated node "local" with a generated userpass
  let demo = true;
  if (process.env.KDF_NODES_FILE) {
    say(`KDF nodes from ${process.env.KDF_NODES_FILE}; no simulator, no demo enablement`);
    demo = false;
  } else {
    const simPort = await freePort();
    const userpass = randomBytes(18).toString('base64url');
    const simLog = path.join(dataDir, 'kdf-sim.log');
    // with KDF's event stream, so that the demo shows every phase (push; see README "How an enablement runs")
    const simArgs = [...tsx, 'simulator/cli.ts', '--port', String(simPort), '--host', HOST, '--event-stream'];
    if (process.env.KDF_SIM_SCENARIO) simArgs.push('--scenario', process.env.KDF_SIM_SCENARIO);
    const fromLog = readLogSize(simLog);
    const sim = spawnLogged('KDF simulator', simArgs, { ...childEnv, KDF_SIM_USERPASS: userpass }, simLog);
    const match = await waitForLog(simLog, /kdf-sim listening on (http:\/\/\S+)/, 30_000, 'KDF simulator', fromLog);
    const url = match[1];
    const nodesFile = path.join(dataDir, 'nodes.local.json');
    writeFileSync(
      nodesFile,
      `${JSON.stringify({ nodes: { [DEMO_NODE]: { url, userpassEnv: USERPASS_ENV, eventStream: true } } }, null, 2)}\n`
    );
    childEnv.KDF_NODES_FILE = nodesFile;
    childEnv[USERPASS_ENV] = userpass;
    say(
      `simulated KDF node "${DEMO_NODE}" at ${url} (pid ${sim.pid}` +
        `${process.env.KDF_SIM_SCENARIO ? `, scenario ${process.env.KDF_SIM_SCENARIO}` : ''})`
    );
  }

  // 3. The worker
  if (!childEnv.KDF_METRICS_ADDRESS) {
    childEnv.KDF_METRICS_ADDRESS = `${HOST}:${(await portFree(9464)) ? 9464 : await freePort()}`;
  }
  const workerLog = path.join(dataDir, 'worker.log');
  const fromWorkerLog = readLogSize(workerLog);
  const worker = spawnLogged('worker', [...tsx, 'worker/main.ts'], childEnv, workerLog);
  await waitForLog(workerLog, /"msg":"worker running"/, 120_000, 'worker', fromWorkerLog);
  say(
    `worker running on task queue ${childEnv.KDF_TASK_QUEUE || 'kdf-lightning'} (pid ${worker.pid}; ` +
      `JSON logs in ${rel(workerLog)}, metrics http://${childEnv.KDF_METRICS_ADDRESS}/metrics)`
  );

  // 4. One demo enablement, phase by phase, through the CLI
  if (demo) {
    say(`demo: enabling ${DEMO_TICKER} on node ${DEMO_NODE}`);
    const cli = spawn(
      process.execPath,
      ['bin/kdf-lightning.js', 'enable', '--node', DEMO_NODE, '--ticker', DEMO_TICKER, '--timeout', '5m', '--wait'],
      { cwd: root, env: { ...childEnv, FORCE_COLOR: '0' }, stdio: ['ignore', 'inherit', 'inherit'], detached: true }
    );
    const cliPid = /** @type {number} */ (cli.pid);
    say(`demo CLI pid ${cliPid}`);
    const entry = { name: 'demo CLI', pid: cliPid, stop: () => stopPid(cliPid, 2_000) };
    started.push(entry);
    const code = await new Promise((resolve) => cli.once('exit', (exitCode) => resolve(exitCode)));
    started.splice(started.indexOf(entry), 1);
    if (stopping) return;
    say(code === 0 ? `demo enablement: enabled` : `demo enablement did not end enabled (CLI exit code ${code})`);
  }

  const addressHint = temporalAddress === '127.0.0.1:7233' ? '' : `TEMPORAL_ADDRESS=${temporalAddress} `;
  process.stdout.write(`
Temporal UI:  ${uiUrl ?? '(not started by npm start)'}
Temporal:     ${temporalAddress}

Try from another terminal:
  ${addressHint}npx kdf-lightning enable --node ${DEMO_NODE} --ticker tBTC-lightning-slow --wait
  ${addressHint}npx kdf-lightning cancel --node ${DEMO_NODE} --ticker tBTC-lightning-slow --reason test
  ${addressHint}npx kdf-lightning list

Press Ctrl-C to stop everything.
`);
  await new Promise(() => undefined);
}

/** @param {string} file */
function readLogSize(file) {
  return existsSync(file) ? readFileSync(file).length : 0;
}

main().catch((err) => {
  process.stderr.write(`[start] error: ${err instanceof Error ? err.message : String(err)}\n`);
  void shutdown(1);
});
