// The workflow bundle the tests' workers load, built by the production build step (worker/build-bundle.ts, as in
// `npm run build`): once per jest run by the global set-up instead of once per test file and per worker process.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where the global set-up tells the test files (and the workers they start) which bundle to load. */
export const WORKFLOW_BUNDLE_ENV = 'KDF_TEST_WORKFLOW_BUNDLE';

/** Writes the workflow bundle to `file`; rejects with the build's output when it fails. @param {string} file */
export function buildWorkflowBundle(file) {
  const build = spawn(process.execPath, ['--import', 'tsx', 'worker/build-bundle.ts', path.resolve(file)], {
    cwd: ROOT,
    env: { ...process.env, NODE_OPTIONS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  build.stdout.on('data', (chunk) => (output += chunk));
  build.stderr.on('data', (chunk) => (output += chunk));
  return new Promise((resolve, reject) => {
    build.once('error', reject);
    build.once('exit', (code) =>
      code === 0 ? resolve(undefined) : reject(new Error(`building the workflow bundle failed (${code}):\n${output}`))
    );
  });
}

/** @type {Promise<string> | undefined} */
let ownBundle;

/**
 * Path of the bundle the global set-up built; under a jest config whose set-up builds none (the cluster suite's),
 * one built for this test file. @returns {Promise<string>}
 */
export function workflowBundlePath() {
  const shared = process.env[WORKFLOW_BUNDLE_ENV];
  if (shared) return Promise.resolve(shared);
  ownBundle ??= (async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'kdf-bundle-')), 'workflow-bundle.js');
    await buildWorkflowBundle(file);
    return file;
  })();
  return ownBundle;
}
