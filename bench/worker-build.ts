/**
 * The worker as production runs it (the Dockerfile: `npm run build`, then `node dist/worker/main.js`), built once
 * per benchmark in its work directory: the sources compiled with tsconfig.build.json and the prebuilt workflow
 * bundle, next to package.json (ES modules) and a link to this checkout's node_modules. So neither tsx's
 * compilation on the fly nor webpack counts in the worker's memory.
 *
 * @module
 */
import type { ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { exited, PROJECT_ROOT, spawnNode, spawnTsx, type ChildOptions, type OnSpawn } from './child-process.js';

export interface BuiltWorker {
  /** `dist/worker/main.js` of the build. */
  entry: string;
  workflowBundle: string;
}

export async function buildWorker(directory: string, onSpawn: OnSpawn | undefined): Promise<BuiltWorker> {
  const app = path.join(directory, 'app');
  const dist = path.join(app, 'dist');
  mkdirSync(app, { recursive: true });
  copyFileSync(path.join(PROJECT_ROOT, 'package.json'), path.join(app, 'package.json'));
  symlinkSync(path.join(PROJECT_ROOT, 'node_modules'), path.join(app, 'node_modules'));
  const options = { env: {}, stdio: ['ignore', 'ignore', 'inherit'], onSpawn } satisfies ChildOptions;
  const tsc = path.join(PROJECT_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  await succeeded('compiling the worker', spawnNode([tsc, '-p', 'tsconfig.build.json', '--outDir', dist], options));
  const workflowBundle = path.join(dist, 'workflow-bundle.js');
  await succeeded('building the workflow bundle', spawnTsx('worker/build-bundle.ts', [workflowBundle], options));
  return { entry: path.join(dist, 'worker', 'main.js'), workflowBundle };
}

async function succeeded(step: string, child: ChildProcess): Promise<void> {
  const code = await exited(child);
  if (code !== 0) throw new Error(`${step} failed (exit ${code})`);
}
