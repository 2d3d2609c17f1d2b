// `npm run build` step: prebundles the workflow code to dist/workflow-bundle.js for production workers.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { projectRoot } from './config.js';
import { workflowBundleOptions } from './create-worker.js';

async function run(): Promise<void> {
  const out = path.resolve(process.argv[2] ?? path.join(projectRoot(), 'dist', 'workflow-bundle.js'));
  const { code } = await bundleWorkflowCode({
    ...workflowBundleOptions(),
    logger: new DefaultLogger('WARN'),
  });
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, code);
  console.log(
    `workflow bundle written to ${path.relative(process.cwd(), out)} (${(code.length / 1024).toFixed(0)} KiB)`
  );
}

run().catch((err) => {
  console.error(err);
  process.exit(1);
});
