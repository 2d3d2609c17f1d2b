// One Temporal dev server for the whole jest run, unless TEMPORAL_ADDRESS points at one already.
import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { startDevServer } from '../scripts/dev-server.mjs';

export const PID_FILE = path.resolve('.test-results/pids');

export default async function globalSetup() {
  if (process.env.TEMPORAL_ADDRESS) return;
  mkdirSync(path.dirname(PID_FILE), { recursive: true });
  const server = await startDevServer({ logFile: path.resolve('.test-results/temporal.log') });
  appendFileSync(PID_FILE, `${server.pid}\n`);
  process.env.TEMPORAL_ADDRESS = server.address;
  process.env.KDF_TEST_STARTED_TEMPORAL = '1';
  globalThis.__temporalDevServer = server;
}
