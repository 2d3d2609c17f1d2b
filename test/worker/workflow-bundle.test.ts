import { readFileSync } from 'node:fs';
import { workflowBundlePath } from '../helpers/workflow-bundle.mjs';

// The bundle `npm run build` writes (the tests' workers load the same one): its generated entry point evaluates the
// workflow modules once, before any workflow, so that every workflow of a worker shares them (preloadModules).
test('the production workflow bundle preloads the workflow modules', async () => {
  const code = readFileSync(await workflowBundlePath(), 'utf8');
  const preload = /exports\.preloadModules = function preloadModules\(\) \{([^}]*)\}/.exec(code);
  expect(preload?.[1]).toContain('"./workflows/index.ts"');
});
