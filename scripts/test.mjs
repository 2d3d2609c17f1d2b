// `npm test`: set up (deps, Temporal CLI), run jest (which starts one dev server), then the cluster suite
// (jest.cluster.config.js: the Temporal server on PostgreSQL, built on first use), print `N passed, N failed`.
// `node scripts/test.mjs FILES` runs those files on the dev server; `--cluster [FILES]` runs the cluster suite only.
// KDF_TEST_CLUSTER=0 leaves the cluster suite out of a full run.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDependencies } from './ensure-deps.mjs';
import { ensureTemporalCli } from './temporal-cli.mjs';
import { alive } from './dev-server.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const resultsDir = path.resolve(root, process.env.KDF_TEST_RESULTS_DIR ?? '.test-results');
const resultsFile = path.join(resultsDir, 'jest.json');
const clusterResultsFile = path.join(resultsDir, 'jest-cluster.json');
const PID_FILE = path.join(resultsDir, 'pids');

ensureDependencies();
if (!process.env.TEMPORAL_ADDRESS) process.env.TEMPORAL_CLI = ensureTemporalCli();
mkdirSync(resultsDir, { recursive: true });

const args = process.argv.slice(2);
const clusterOnly = args.includes('--cluster');
const files = args.filter((arg) => arg !== '--cluster');
const parts = [];
if (!clusterOnly) parts.push({ name: 'dev server', config: [], resultsFile });
if (clusterOnly || (files.length === 0 && process.env.KDF_TEST_CLUSTER !== '0')) {
  parts.push({ name: 'cluster', config: ['--config', 'jest.cluster.config.js'], resultsFile: clusterResultsFile });
}

let passed = 0;
let failed = 0;
for (const part of parts) {
  const began = Date.now();
  const counts = runJest(part.config, part.resultsFile);
  passed += counts.passed;
  failed += counts.failed;
  const seconds = Math.round((Date.now() - began) / 1000);
  process.stdout.write(`[test] ${part.name}: ${counts.passed} passed, ${counts.failed} failed in ${seconds} s\n`);
}

/**
 * One jest run; whatever happens to it, nothing it started may outlive it.
 * @param {string[]} config @param {string} file
 */
function runJest(config, file) {
  rmSync(file, { force: true });
  const jest = spawnSync(
    process.execPath,
    ['node_modules/jest/bin/jest.js', ...config, '--runInBand', '--json', `--outputFile=${file}`, ...files],
    {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --experimental-vm-modules`.trim() },
    }
  );
  if (existsSync(PID_FILE)) {
    for (const pid of readFileSync(PID_FILE, 'utf8').split('\n').filter(Boolean).map(Number)) {
      if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
    rmSync(PID_FILE);
  }
  const counts = { passed: 0, failed: 0 };
  if (existsSync(file)) {
    const results = JSON.parse(readFileSync(file, 'utf8'));
    counts.passed = results.numPassedTests;
    counts.failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
  } else {
    counts.failed = 1;
  }
  if (jest.status !== 0 && counts.failed === 0) counts.failed = 1;
  return counts;
}

process.stdout.write(`${passed} passed, ${failed} failed\n`);
process.exit(failed === 0 ? 0 : 1);
