// One Temporal dev server for the whole jest run, unless TEMPORAL_ADDRESS points at one already.
import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { startDevServer } from '../scripts/dev-server.mjs';

const resultsDir = path.resolve(process.env.KDF_TEST_RESULTS_DIR ?? '.test-results');
export const PID_FILE = path.join(resultsDir, 'pids');

export default async function globalSetup() {
  if (process.env.TEMPORAL_ADDRESS) return;
  mkdirSync(path.dirname(PID_FILE), { recursive: true });
  const server = await startDevServer({ logFile: path.join(resultsDir, 'temporal.log') });
  appendFileSync(PID_FILE, `${server.pid}\n`);
  process.env.TEMPORAL_ADDRESS = server.address;
  process.env.KDF_TEST_STARTED_TEMPORAL = '1';
  globalThis.__temporalDevServer = server;
}
