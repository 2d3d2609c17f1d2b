// Types of test/helpers/workflow-bundle.mjs (plain JavaScript: jest's global set-up imports it untransformed).
export const WORKFLOW_BUNDLE_ENV: 'KDF_TEST_WORKFLOW_BUNDLE';
export function buildWorkflowBundle(file: string): Promise<void>;
export function workflowBundlePath(): Promise<string>;
