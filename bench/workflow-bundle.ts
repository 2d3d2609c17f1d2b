/**
 * Builds the workflow bundle once per benchmark with the production build step (`worker/build-bundle.ts`), so
 * that the worker does not bundle at start: its peak memory is that of a production worker, not of webpack.
 *
 * @module
 */
import path from 'node:path';
import { exited, spawnTsx, type OnSpawn } from './child-process.js';

export async function buildWorkflowBundle(directory: string, onSpawn: OnSpawn | undefined): Promise<string> {
  const file = path.join(directory, 'workflow-bundle.js');
  const child = spawnTsx('worker/build-bundle.ts', [file], {
    env: {},
    stdio: ['ignore', 'ignore', 'inherit'],
    onSpawn,
  });
  const code = await exited(child);
  if (code !== 0) throw new Error(`building the workflow bundle failed (exit ${code})`);
  return file;
}
