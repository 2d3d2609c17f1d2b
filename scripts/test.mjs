// `npm test`: set up (deps, Temporal CLI), run the dev-server suite, then the cluster suite (jest.cluster.config.js:
// the Temporal server on PostgreSQL, built on first use), print `N passed, N failed`.
// The dev-server suite runs as two in-band jest processes side by side (`--shard`, test/sequencer.mjs), sharing one
// dev server and one workflow bundle started here: most of its files wait on timers, so one process leaves the
// machine's cores idle, and each process keeps the one native Temporal runtime it may have. KDF_TEST_SHARDS=1 runs
// it in one process. `node scripts/test.mjs FILES` runs those files in one process (its jest global set-up starts
// the server); `--cluster [FILES]` runs the cluster suite only; KDF_TEST_CLUSTER=0 leaves it out of a full run.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDependencies } from './ensure-deps.mjs';
import { ensureTemporalCli } from './temporal-cli.mjs';
import { alive, startDevServer } from './dev-server.mjs';
import { buildWorkflowBundle, WORKFLOW_BUNDLE_ENV } from '../test/helpers/workflow-bundle.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const resultsDir = path.resolve(root, process.env.KDF_TEST_RESULTS_DIR ?? '.test-results');
const PID_FILE = path.join(resultsDir, 'pids');

ensureDependencies();
if (!process.env.TEMPORAL_ADDRESS) process.env.TEMPORAL_CLI = ensureTemporalCli();
mkdirSync(resultsDir, { recursive: true });

const args = process.argv.slice(2);
const clusterOnly = args.includes('--cluster');
const files = args.filter((arg) => arg !== '--cluster');
const shardCount = files.length === 0 ? Number(process.env.KDF_TEST_SHARDS ?? 2) : 1;
if (!Number.isInteger(shardCount) || shardCount < 1) {
  throw new Error(
    `KDF_TEST_SHARDS: "${process.env.KDF_TEST_SHARDS}" is not a whole number of jest processes (1 or more)`
  );
}
const parts = [];
if (!clusterOnly) parts.push({ name: 'dev server', config: [], resultsFile: 'jest.json', run: runDevServerSuite });
if (clusterOnly || (files.length === 0 && process.env.KDF_TEST_CLUSTER !== '0')) {
  parts.push({ name: 'cluster', config: ['--config', 'jest.cluster.config.js'], resultsFile: 'jest-cluster.json' });
}

let passed = 0;
let failed = 0;
for (const part of parts) {
  const began = Date.now();
  const resultsFile = path.join(resultsDir, part.resultsFile);
  rmSync(resultsFile, { force: true });
  const counts = await (part.run ?? runOnePart)(part.config, resultsFile).finally(killRecordedPids);
  passed += counts.passed;
  failed += counts.failed;
  const seconds = Math.round((Date.now() - began) / 1000);
  process.stdout.write(`[test] ${part.name}: ${counts.passed} passed, ${counts.failed} failed in ${seconds} s\n`);
}
process.stdout.write(`${passed} passed, ${failed} failed\n`);
process.exit(failed === 0 ? 0 : 1);

/** One in-band jest process. @param {string[]} config @param {string} resultsFile */
async function runOnePart(config, resultsFile) {
  const status = await runJest([...config, `--outputFile=${resultsFile}`, ...files], 'inherit');
  return countResults(resultsFile, status);
}

/**
 * The dev-server suite in `shardCount` in-band jest processes at once on one dev server and one bundle, their JSON
 * merged into `resultsFile` as if one jest had run.
 * @param {string[]} config @param {string} resultsFile
 */
async function runDevServerSuite(config, resultsFile) {
  if (shardCount === 1) return runOnePart(config, resultsFile);
  const bundle = path.join(resultsDir, 'workflow-bundle.js');
  const [server] = await Promise.all([
    process.env.TEMPORAL_ADDRESS ? undefined : startDevServer({ logFile: path.join(resultsDir, 'temporal.log') }),
    buildWorkflowBundle(bundle),
  ]);
  const env = { [WORKFLOW_BUNDLE_ENV]: bundle, ...(server && { TEMPORAL_ADDRESS: server.address }) };
  if (server) writeFileSync(PID_FILE, `${server.pid}\n`, { flag: 'a' });
  try {
    const shards = Array.from({ length: shardCount }, (_, i) => ({
      index: i + 1,
      file: path.join(resultsDir, `jest-shard-${i + 1}.json`),
    }));
    const statuses = await Promise.all(
      shards.map(({ index, file }) => {
        rmSync(file, { force: true });
        const shardArgs = [...config, `--shard=${index}/${shardCount}`, `--outputFile=${file}`];
        return runJest(shardArgs, `[shard ${index}/${shardCount}] `, env);
      })
    );
    const results = shards.map(({ file }) => (existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined));
    if (results.every(Boolean)) writeFileSync(resultsFile, JSON.stringify(mergeResults(results)));
    const counts = shards.map(({ file }, i) => countResults(file, /** @type {number | null} */ (statuses[i])));
    return {
      passed: counts.reduce((sum, { passed }) => sum + passed, 0),
      failed: counts.reduce((sum, { failed }) => sum + failed, 0),
    };
  } finally {
    await server?.stop();
  }
}

/**
 * Runs jest in band; its output goes through as is (`inherit`) or line by line behind `prefix`.
 * @param {string[]} jestArgs @param {'inherit' | string} prefix @param {NodeJS.ProcessEnv} [env]
 * @returns {Promise<number | null>} exit code
 */
function runJest(jestArgs, prefix, env = {}) {
  const jest = spawn(process.execPath, ['node_modules/jest/bin/jest.js', '--runInBand', '--json', ...jestArgs], {
    cwd: root,
    stdio: prefix === 'inherit' ? 'inherit' : ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      ...env,
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --experimental-vm-modules`.trim(),
    },
  });
  if (prefix !== 'inherit') {
    forwardLines(/** @type {import('node:stream').Readable} */ (jest.stdout), process.stdout, prefix);
    forwardLines(/** @type {import('node:stream').Readable} */ (jest.stderr), process.stderr, prefix);
  }
  return new Promise((resolve) => jest.once('close', (code) => resolve(code)));
}

/**
 * Whole lines only, so two processes' output never mixes within a line.
 * @param {import('node:stream').Readable} from @param {NodeJS.WriteStream} to @param {string} prefix
 */
function forwardLines(from, to, prefix) {
  let pending = '';
  from.setEncoding('utf8');
  from.on('data', (chunk) => {
    const lines = (pending + chunk).split('\n');
    pending = /** @type {string} */ (lines.pop());
    if (lines.length > 0) to.write(lines.map((line) => `${prefix}${line}\n`).join(''));
  });
  from.on('end', () => pending && to.write(`${prefix}${pending}\n`));
}

/** Nothing a test started may outlive its jest run, whatever happened to it. */
function killRecordedPids() {
  if (!existsSync(PID_FILE)) return;
  for (const pid of readFileSync(PID_FILE, 'utf8').split('\n').filter(Boolean).map(Number)) {
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  }
  rmSync(PID_FILE);
}

/** @param {string} file @param {number | null} status */
function countResults(file, status) {
  const counts = { passed: 0, failed: 0 };
  if (existsSync(file)) {
    const results = JSON.parse(readFileSync(file, 'utf8'));
    counts.passed = results.numPassedTests;
    counts.failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
  } else {
    counts.failed = 1;
  }
  if (status !== 0 && counts.failed === 0) counts.failed = 1;
  return counts;
}

/**
 * One jest `--json` result from several, as if one jest had run them all: counts added (snapshots' too), lists
 * joined, a flag set if any set it (all for `success`), the earliest start.
 * @param {any[]} results @returns {any}
 */
function mergeResults(results) {
  const [first, ...others] = results;
  return others.reduce((merged, result) => mergeInto(merged, result), first);
}

/** @param {any} a @param {any} b @param {string} [key] @returns {any} */
function mergeInto(a, b, key) {
  if (key === 'startTime') return Math.min(a, b);
  if (key === 'success') return a && b;
  if (typeof a === 'number') return a + b;
  if (typeof a === 'boolean') return a || b;
  if (Array.isArray(a)) return [...a, ...b];
  if (a && typeof a === 'object') {
    return Object.fromEntries(
      Object.keys({ ...a, ...b }).map((k) => [k, k in b ? (k in a ? mergeInto(a[k], b[k], k) : b[k]) : a[k]])
    );
  }
  return a;
}
