/**
 * Typed access to `scripts/dev-server.mjs` (plain JavaScript shared with `npm start` and jest, without type
 * declarations): the benchmark's own Temporal dev server.
 *
 * @module
 */
import { fileURLToPath } from 'node:url';

export interface DevServer {
  /** `127.0.0.1:PORT` */
  address: string;
  pid: number;
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
export async function startDevServer(dbFile: string, logFile: string): Promise<DevServer & { pragmas: string[] }> {
  const { startDevServer: start, WRITE_AHEAD_LOG } = (await import(MODULE_PATH)) as DevServerModule;
  const server = await start({ dbFile, logFile, sqlitePragmas: WRITE_AHEAD_LOG });
  return { ...server, pragmas: [...WRITE_AHEAD_LOG] };
}
