/**
 * Typed access to `scripts/dev-server.mjs` (plain JavaScript shared with `npm start` and jest, without type
 * declarations): the benchmark's own Temporal dev server, or with `--cluster` its own cluster (scripts/cluster.mjs).
 *
 * @module
 */
import { chmodSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCluster } from '../scripts/cluster.mjs';

export interface DevServer {
  /** `127.0.0.1:PORT` */
  address: string;
  pid: number;
  /** With the cluster: PostgreSQL's postmaster. */
  databasePid?: number;
  stop(): Promise<void>;
}

interface DevServerModule {
  startDevServer(options: { dbFile: string; logFile: string; sqlitePragmas: string[] }): Promise<DevServer>;
  /** `journal_mode=wal`, `synchronous=normal` */
  WRITE_AHEAD_LOG: string[];
}

const MODULE_PATH = fileURLToPath(new URL('../scripts/dev-server.mjs', import.meta.url));

/**
 * A dev server persisting to the SQLite file `dbFile` with a write-ahead log (`WRITE_AHEAD_LOG`: fsync at
 * checkpoints, not on every commit), healthy and with the Kdf* search attributes.
 */
export async function startDevServer(dbFile: string, logFile: string): Promise<DevServer & { description: string }> {
  const { startDevServer: start, WRITE_AHEAD_LOG } = (await import(MODULE_PATH)) as DevServerModule;
  const server = await start({ dbFile, logFile, sqlitePragmas: WRITE_AHEAD_LOG });
  return { ...server, description: `own dev server (SQLite ${dbFile}, ${WRITE_AHEAD_LOG.join(', ')})` };
}

/**
 * The `npm run cluster` stack without workers or UI: the Temporal server on PostgreSQL with SQL visibility.
 * `pid` is the Temporal server's, `databasePid` PostgreSQL's: the report gives their CPU time apart.
 */
export async function startClusterServer(dataDir: string): Promise<DevServer & { description: string }> {
  chmodSync(path.dirname(dataDir), 0o755); // PostgreSQL runs as its own user
  const cluster = await startCluster({ dataDir, ui: false });
  return {
    address: cluster.address,
    pid: cluster.temporal.pid(),
    databasePid: cluster.postgres.pid(),
    stop: () => cluster.stop(),
    description: `own cluster (Temporal server on PostgreSQL ${cluster.postgres.host}:${cluster.postgres.port})`,
  };
}
