// The cluster suite's Temporal: `startCluster` (scripts/cluster.mjs) on a fresh data directory, no workers (each test
// file starts its own), the UI included; and, as in test/global-setup.mjs, the one workflow bundle every worker of
// the run loads. Stopped by test/cluster/global-teardown.mjs; `npm test` kills its PIDs if jest dies first.
import { appendFileSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { startCluster } from '../../scripts/cluster.mjs';
import { buildWorkflowBundle, WORKFLOW_BUNDLE_ENV } from '../helpers/workflow-bundle.mjs';

const resultsDir = path.resolve(process.env.KDF_TEST_RESULTS_DIR ?? '.test-results');

export default async function globalSetup() {
  const dataDir = path.join(resultsDir, 'cluster');
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const bundle = path.join(resultsDir, 'workflow-bundle.js');
  const began = Date.now();
  const [cluster] = await Promise.all([
    startCluster({ dataDir, say: (line) => process.stderr.write(`[cluster] ${line}\n`) }),
    buildWorkflowBundle(bundle),
  ]);
  appendFileSync(
    path.join(resultsDir, 'pids'),
    cluster
      .pids()
      .map((pid) => `${pid}\n`)
      .join('')
  );
  process.stderr.write(`[cluster] ready in ${((Date.now() - began) / 1000).toFixed(1)} s\n`);
  process.env.TEMPORAL_ADDRESS = cluster.address;
  process.env[WORKFLOW_BUNDLE_ENV] = bundle;
  globalThis.__kdfCluster = cluster;
}
