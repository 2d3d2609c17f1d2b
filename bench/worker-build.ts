/**
 * The worker as the image runs it (deploy/Dockerfile: `npm run build`, then `node dist/worker/main.js`): once per
 * benchmark, the project is compiled with the production tsconfig into `dist/` and the workflow bundle is built
 * with the production step (`worker/build-bundle.ts`), so that the worker's CPU and memory are a production
 * worker's, not those of tsx compiling on the fly or of webpack bundling at start.
 *
 * @module
 */
import type { StdioOptions } from 'node:child_process';
import path from 'node:path';
import { exited, PROJECT_ROOT, spawnNode, spawnTsx, type OnSpawn } from './child-process.js';

export interface WorkerBuild {
  /** The compiled worker's entry point, relative to the project. */
  main: string;
  workflowBundle: string;
}

export async function buildWorker(directory: string, onSpawn: OnSpawn | undefined): Promise<WorkerBuild> {
  const workflowBundle = path.join(directory, 'workflow-bundle.js');
  const tsc = path.join(PROJECT_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  // tsc reports type errors on stdout; the bundler's progress is left out
  const compilerOutput: StdioOptions = ['ignore', 'inherit', 'inherit'];
  const bundlerOutput: StdioOptions = ['ignore', 'ignore', 'inherit'];
  const steps = [
    {
      name: 'compiling the worker',
      child: spawnNode([tsc, '-p', 'tsconfig.build.json'], { env: {}, stdio: compilerOutput, onSpawn }),
    },
    {
      name: 'building the workflow bundle',
      child: spawnTsx('worker/build-bundle.ts', [workflowBundle], { env: {}, stdio: bundlerOutput, onSpawn }),
    },
  ];
  const codes = await Promise.all(steps.map(({ child }) => exited(child)));
  const failed = steps.findIndex((_, index) => codes[index] !== 0);
  if (failed >= 0) throw new Error(`${steps[failed]!.name} failed (exit ${codes[failed]})`);
  return { main: path.join('dist', 'worker', 'main.js'), workflowBundle };
}
