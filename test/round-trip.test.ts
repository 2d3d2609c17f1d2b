import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { roundTripActivities } from './fixtures/round-trip-activities.js';
import { roundTrip } from './fixtures/round-trip-workflow.js';
import { connectTestEnvironment, fixturePath, uniqueTaskQueue } from './helpers/temporal.js';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await connectTestEnvironment();
});

afterAll(async () => {
  await env?.teardown();
});

test('a worker runs a workflow on the real server, and visibility lists it', async () => {
  const taskQueue = uniqueTaskQueue('round-trip');
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowsPath: fixturePath('round-trip-workflow.ts'),
    activities: roundTripActivities,
  });
  const workflowId = `round-trip-${randomUUID()}`;
  const result = await worker.runUntil(
    env.client.workflow.execute(roundTrip, { args: ['hello'], taskQueue, workflowId })
  );
  expect(result).toBe('HELLO from roundTrip');

  // Only a real server answers visibility queries; the history must show the activity ran.
  let listed: string[] = [];
  for (let attempt = 0; attempt < 50 && listed.length === 0; attempt++) {
    listed = [];
    for await (const execution of env.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
      listed.push(execution.status.name);
    }
    if (listed.length === 0) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(listed).toEqual(['COMPLETED']);
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  expect(history.events?.some((event) => event.activityTaskCompletedEventAttributes)).toBe(true);
});

test('the Kdf* search attributes are registered on the server', async () => {
  const response = await env.connection.operatorService.listSearchAttributes({ namespace: 'default' });
  expect(Object.keys(response.customAttributes ?? {})).toEqual(
    expect.arrayContaining(['KdfNode', 'KdfTicker', 'KdfPhase'])
  );
});
