// `npm test`: set up (deps, Temporal CLI), run jest (which starts one dev server), print `N passed, N failed`.
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
const PID_FILE = path.join(resultsDir, 'pids');

ensureDependencies();
if (!process.env.TEMPORAL_ADDRESS) process.env.TEMPORAL_CLI = ensureTemporalCli();
mkdirSync(resultsDir, { recursive: true });
rmSync(resultsFile, { force: true });

const jest = spawnSync(
  process.execPath,
  ['node_modules/jest/bin/jest.js', '--runInBand', '--json', `--outputFile=${resultsFile}`, ...process.argv.slice(2)],
  {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --experimental-vm-modules`.trim() },
  }
);

// Whatever happened to jest, nothing it started may outlive it.
if (existsSync(PID_FILE)) {
  for (const pid of readFileSync(PID_FILE, 'utf8').split('\n').filter(Boolean).map(Number)) {
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  }
  rmSync(PID_FILE);
}

let passed = 0;
let failed = 0;
if (existsSync(resultsFile)) {
  const results = JSON.parse(readFileSync(resultsFile, 'utf8'));
  passed = results.numPassedTests;
  failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
} else {
  failed = 1;
}
if (jest.status !== 0 && failed === 0) failed = 1;
process.stdout.write(`${passed} passed, ${failed} failed\n`);
process.exit(failed === 0 ? 0 : 1);
