// Starts and stops a Temporal dev server on loopback. Node builtins only (used by npm start, jest, the benchmark).
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SEARCH_ATTRIBUTES } from './stack.mjs';
import { ensureTemporalCli } from './temporal-cli.mjs';

const HOST = '127.0.0.1';

/** A free TCP port on loopback. @returns {Promise<number>} */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))
      );
    });
  });
}

/**
 * @typedef {object} DevServerOptions
 * @property {number} [port] gRPC port; a free one when absent
 * @property {string} [dbFile] SQLite file for persistence; in-memory when absent
 * @property {number} [uiPort] serve the UI on this port; headless when absent
 * @property {string} [logFile] where the server's output goes; discarded when absent
 * @property {string} [namespace] @default 'default'
 * @property {string[]} [sqlitePragmas] `PRAGMA=VALUE` entries for the SQLite store (see WRITE_AHEAD_LOG)
 */

/**
 * Write-ahead log with fsync at checkpoints instead of every commit: ~1.9× the throughput of the default rollback
 * journal (bench/README.md). A power cut can lose the last commits; a process crash cannot.
 */
export const WRITE_AHEAD_LOG = ['journal_mode=wal', 'synchronous=normal'];

/**
 * Starts `temporal server start-dev`, waits until healthy and registers the Kdf* search attributes.
 * @param {DevServerOptions} [options]
 */
export async function startDevServer(options = {}) {
  const cli = ensureTemporalCli();
  const port = options.port ?? (await freePort());
  const namespace = options.namespace ?? 'default';
  const address = `${HOST}:${port}`;
  const args = ['server', 'start-dev', '--ip', HOST, '--port', String(port), '--namespace', namespace];
  args.push('--log-format', 'json', '--log-level', 'warn');
  if (options.dbFile) {
    mkdirSync(path.dirname(options.dbFile), { recursive: true });
    args.push('--db-filename', options.dbFile);
  }
  for (const pragma of options.sqlitePragmas ?? []) args.push('--sqlite-pragma', pragma);
  if (options.uiPort) args.push('--ui-port', String(options.uiPort), '--ui-ip', HOST);
  else args.push('--headless');
  for (const attribute of SEARCH_ATTRIBUTES) args.push('--search-attribute', attribute);
  const output = options.logFile ? openSync(options.logFile, 'a') : 'ignore';
  const child = spawn(cli, args, { stdio: ['ignore', output, output] });
  let exited = false;
  child.once('exit', () => (exited = true));

  const deadline = Date.now() + 60_000;
  while (!healthy(cli, address)) {
    if (exited) throw new Error(`temporal dev server exited during start-up (port ${port})`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`temporal dev server not healthy on ${address} after 60 s`);
    }
    await sleep(250);
  }
  // An existing SQLite file keeps its namespace, where --search-attribute is not applied again.
  registerSearchAttributes(cli, address, namespace);
  const pid = /** @type {number} */ (child.pid);
  return {
    address,
    namespace,
    pid,
    uiUrl: options.uiPort ? `http://${HOST}:${options.uiPort}` : undefined,
    stop: () => stopProcess(pid),
  };
}

/** Whether the frontend at `address` answers a health check. @param {string} cli @param {string} address */
export function healthy(cli, address) {
  return spawnSync(cli, ['operator', 'cluster', 'health', '--address', address], { stdio: 'ignore' }).status === 0;
}

/** @param {string} cli @param {string} address @param {string} namespace */
function registerSearchAttributes(cli, address, namespace) {
  const listed = spawnSync(cli, ['operator', 'search-attribute', 'list', '--address', address, '-n', namespace], {
    encoding: 'utf8',
  });
  const missing = SEARCH_ATTRIBUTES.map((attribute) => attribute.split('=')).filter(
    ([name]) => !listed.stdout.includes(/** @type {string} */ (name))
  );
  if (missing.length === 0) return;
  const args = ['operator', 'search-attribute', 'create', '--address', address, '-n', namespace];
  for (const [name, type] of missing)
    args.push('--name', /** @type {string} */ (name), '--type', /** @type {string} */ (type));
  const created = spawnSync(cli, args, { encoding: 'utf8' });
  if (created.status !== 0) throw new Error(`registering search attributes failed: ${created.stderr.trim()}`);
}

/** Sends SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. @param {number} pid */
export async function stopProcess(pid, graceMs = 5_000) {
  if (!alive(pid)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (alive(pid) && Date.now() < deadline) await sleep(50);
  if (alive(pid)) process.kill(pid, 'SIGKILL');
  while (alive(pid)) await sleep(20);
}

/** @param {number} pid */
export function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
