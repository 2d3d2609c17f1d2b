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
  startDevServer(options: { dbFile: string; logFile: string }): Promise<DevServer>;
}

const MODULE_PATH = fileURLToPath(new URL('../scripts/dev-server.mjs', import.meta.url));

/** A dev server persisting to the SQLite file `dbFile`, healthy and with the Kdf* search attributes. */
export async function startDevServer(dbFile: string, logFile: string): Promise<DevServer> {
  const { startDevServer: start } = (await import(MODULE_PATH)) as DevServerModule;
  return start({ dbFile, logFile });
}
