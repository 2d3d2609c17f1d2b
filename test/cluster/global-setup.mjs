// The cluster suite's Temporal: `startCluster` (scripts/cluster.mjs) on a fresh data directory, no workers (each test
// file starts its own), the UI included. Stopped by test/cluster/global-teardown.mjs; `npm test` kills its PIDs if
// jest dies first.
import { appendFileSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { startCluster } from '../../scripts/cluster.mjs';

const resultsDir = path.resolve(process.env.KDF_TEST_RESULTS_DIR ?? '.test-results');

export default async function globalSetup() {
  const dataDir = path.join(resultsDir, 'cluster');
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const began = Date.now();
  const cluster = await startCluster({ dataDir, say: (line) => process.stderr.write(`[cluster] ${line}\n`) });
  appendFileSync(
    path.join(resultsDir, 'pids'),
    cluster
      .pids()
      .map((pid) => `${pid}\n`)
      .join('')
  );
  process.stderr.write(`[cluster] ready in ${((Date.now() - began) / 1000).toFixed(1)} s\n`);
  process.env.TEMPORAL_ADDRESS = cluster.address;
  process.env.KDF_TEST_CLUSTER_UI_URL = cluster.uiUrl;
  globalThis.__kdfCluster = cluster;
}
