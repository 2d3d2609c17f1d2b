// A PostgreSQL server of the project's own: data directory under .data/, loopback port, run as the `postgres` user
// when this script runs as root (PostgreSQL refuses root). Node builtins only.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { alive, freePort } from './dev-server.mjs';

const HOST = '127.0.0.1';
/** The role the Temporal server connects as (deploy/postgres.env's POSTGRES_USER). */
export const POSTGRES_USER = 'temporal';
/** pg_ctl's shutdown modes, as the signals the postmaster takes. */
const SHUTDOWN_SIGNALS = { smart: 'SIGTERM', fast: 'SIGINT', immediate: 'SIGQUIT' };

/** @typedef {keyof typeof SHUTDOWN_SIGNALS} ShutdownMode */

/**
 * @typedef {object} RunningPostgres
 * @property {string} host
 * @property {number} port
 * @property {string} user
 * @property {string} password
 * @property {() => number} pid the postmaster's current PID
 * @property {(mode?: ShutdownMode) => Promise<void>} stop
 * @property {(mode: ShutdownMode, downMs?: number) => Promise<void>} restart stops with `mode`, starts again on
 *   the same port after `downMs`
 */

/**
 * Initialises `<dataDir>/postgres` on first use (password in `<dataDir>/postgres.password`, mode 600) and starts it.
 * @param {{ major: number, dataDir: string, logFile: string, port?: number }} options
 * @returns {Promise<RunningPostgres>}
 */
export async function startPostgres({ major, dataDir, logFile, port: wanted }) {
  const bin = binDir(major);
  const owner = postgresOwner();
  const pgData = path.join(dataDir, 'postgres');
  const passwordFile = path.join(dataDir, 'postgres.password');
  mkdirSync(dataDir, { recursive: true });
  if (!existsSync(path.join(pgData, 'PG_VERSION'))) initialise(bin, owner, pgData, passwordFile);
  const password = readFileSync(passwordFile, 'utf8').trim();
  const port = wanted ?? (await freePort());

  let pid = await launch(bin, owner, pgData, port, logFile);
  const stop = async (/** @type {ShutdownMode} */ mode = 'fast') => {
    if (!alive(pid)) return;
    process.kill(pid, SHUTDOWN_SIGNALS[mode]);
    const deadline = Date.now() + 60_000;
    while (alive(pid) && Date.now() < deadline) await sleep(50);
    if (alive(pid)) process.kill(pid, 'SIGKILL');
    while (alive(pid)) await sleep(20);
  };
  return {
    host: HOST,
    port,
    user: POSTGRES_USER,
    password,
    pid: () => pid,
    stop,
    restart: async (mode, downMs = 0) => {
      await stop(mode);
      await sleep(downMs);
      pid = await launch(bin, owner, pgData, port, logFile);
    },
  };
}

/** @param {number} major */
function binDir(major) {
  const dir = `/usr/lib/postgresql/${major}/bin`;
  if (existsSync(path.join(dir, 'postgres'))) return dir;
  throw new Error(`PostgreSQL ${major} not found in ${dir} (Debian: apt-get install postgresql-${major})`);
}

/** The uid/gid to run PostgreSQL as: `postgres` when running as root, else the current user (undefined). */
function postgresOwner() {
  if (process.getuid?.() !== 0) return undefined;
  const id = (/** @type {string} */ flag) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }));
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    throw new Error('running as root needs a `postgres` user to run PostgreSQL as (PostgreSQL refuses root)');
  }
}

/**
 * @param {string} bin @param {{ uid: number, gid: number } | undefined} owner @param {string} pgData
 * @param {string} passwordFile
 */
function initialise(bin, owner, pgData, passwordFile) {
  rmSync(pgData, { recursive: true, force: true });
  mkdirSync(pgData, { recursive: true, mode: 0o700 });
  const password = randomBytes(24).toString('hex');
  writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  // initdb reads the password from a file its user can read; it is removed as soon as initdb is done
  const pwfile = path.join(pgData, '..', `.initdb-pw-${process.pid}`);
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (owner) {
    chownSync(pgData, owner.uid, owner.gid);
    chownSync(pwfile, owner.uid, owner.gid);
  }
  try {
    const args = ['-D', pgData, '-U', POSTGRES_USER, `--pwfile=${pwfile}`, '-A', 'scram-sha-256', '-E', 'UTF8'];
    const run = spawnSync(path.join(bin, 'initdb'), [...args, '--locale=C'], { encoding: 'utf8', ...owner });
    if (run.status !== 0) throw new Error(`initdb failed: ${run.stderr.trim() || run.stdout.trim()}`);
  } finally {
    rmSync(pwfile, { force: true });
  }
}

/**
 * Starts the postmaster in the foreground (its PID is the server's), listening on loopback only, and waits until it
 * accepts connections. @returns {Promise<number>} its PID
 * @param {string} bin @param {{ uid: number, gid: number } | undefined} owner @param {string} pgData
 * @param {number} port @param {string} logFile
 */
async function launch(bin, owner, pgData, port, logFile) {
  const fd = openSync(logFile, 'a');
  if (owner) chownSync(logFile, owner.uid, owner.gid);
  const settings = { listen_addresses: HOST, unix_socket_directories: pgData };
  const args = ['-D', pgData, '-p', String(port)];
  for (const [name, value] of Object.entries(settings)) args.push('-c', `${name}=${value}`);
  const child = spawn(path.join(bin, 'postgres'), args, { stdio: ['ignore', fd, fd], detached: true, ...owner });
  closeSync(fd);
  const pid = /** @type {number} */ (child.pid);
  const deadline = Date.now() + 60_000;
  while (spawnSync(path.join(bin, 'pg_isready'), ['-q', '-h', HOST, '-p', String(port)]).status !== 0) {
    if (!alive(pid)) throw new Error(`PostgreSQL exited during start-up; see ${logFile}`);
    if (Date.now() > deadline) throw new Error(`PostgreSQL not ready on ${HOST}:${port} after 60 s; see ${logFile}`);
    await sleep(100);
  }
  return pid;
}
