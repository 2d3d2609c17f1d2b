import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, makeTelemetryFilterString, Runtime } from '@temporalio/worker';

/** The dev server that jest's global set-up started (or TEMPORAL_ADDRESS). */
export async function connectTestEnvironment(): Promise<TestWorkflowEnvironment> {
  const address = process.env.TEMPORAL_ADDRESS;
  if (!address) throw new Error('TEMPORAL_ADDRESS is not set: run the tests through `npm test`');
  installQuietRuntime();
  return TestWorkflowEnvironment.createFromExistingServer({ address, namespace: 'default' });
}

function installQuietRuntime(): void {
  try {
    Runtime.install({
      logger: new DefaultLogger('ERROR'),
      // core warns when a poll cancelled with TRY_CANCEL completes after its workflow ended: expected here
      telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }), forward: {} } },
    });
  } catch {
    // already installed by an earlier test file in this process
  }
}

export function uniqueTaskQueue(label: string): string {
  return `test-${label}-${randomUUID()}`;
}

export const fixturePath = (relative: string): string =>
  fileURLToPath(new URL(`../fixtures/${relative}`, import.meta.url));
