// One Temporal dev server for the whole jest run, unless TEMPORAL_ADDRESS points at one already, and one workflow
// bundle that every worker of the run loads (test/helpers/workflow-bundle.mjs), built while the server starts, unless
// KDF_TEST_WORKFLOW_BUNDLE names one (scripts/test.mjs starts both once for its jest processes).
import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { startDevServer } from '../scripts/dev-server.mjs';
import { buildWorkflowBundle, WORKFLOW_BUNDLE_ENV } from './helpers/workflow-bundle.mjs';

const resultsDir = path.resolve(process.env.KDF_TEST_RESULTS_DIR ?? '.test-results');
export const PID_FILE = path.join(resultsDir, 'pids');

export default async function globalSetup() {
  mkdirSync(resultsDir, { recursive: true });
  const bundle = process.env[WORKFLOW_BUNDLE_ENV] ?? path.join(resultsDir, 'workflow-bundle.js');
  await Promise.all([
    process.env[WORKFLOW_BUNDLE_ENV] ? undefined : buildWorkflowBundle(bundle),
    process.env.TEMPORAL_ADDRESS ? undefined : startServer(),
  ]);
  process.env[WORKFLOW_BUNDLE_ENV] = bundle;
}

async function startServer() {
  const server = await startDevServer({ logFile: path.join(resultsDir, 'temporal.log') });
  appendFileSync(PID_FILE, `${server.pid}\n`);
  process.env.TEMPORAL_ADDRESS = server.address;
  process.env.KDF_TEST_STARTED_TEMPORAL = '1';
  globalThis.__temporalDevServer = server;
}
