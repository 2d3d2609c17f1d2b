// Invalid enablement input that bypasses the client (started straight through Temporal) is rejected by the
// workflow itself, naming the field, before any activity runs: the simulated KDF node sees zero calls.
import { randomUUID } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import fc from 'fast-check';
import { InputError, validateEnableInput } from '../../client/schema.js';
import { FailureType } from '../../workflows/api.js';
import { enableLightning } from '../../workflows/index.js';
import { EnablementStack } from '../helpers/enablement-stack.js';
import type { RunningSimulator } from '../../simulator/index.js';

let stack: EnablementStack;
let simulator: RunningSimulator;
let node: string;

beforeAll(async () => {
  stack = await EnablementStack.start();
  ({ id: node, simulator } = await stack.addNode({ phaseMs: 50 }));
});
afterAll(() => stack?.teardown());

/** Field → values the workflow's own checks reject (the client's full validation rejects them too). */
const BAD: Record<string, fc.Arbitrary<unknown>> = {
  ticker: fc.constantFrom('', '   '),
  // not ' ': the client accepts a blank name that the workflow rejects (reported)
  'activationParams.name': fc.constantFrom('', null),
  timeoutMs: fc.oneof(fc.integer({ max: 0 }), fc.constant(-0.5)),
  'poll.initialIntervalMs': fc.oneof(fc.integer({ max: 0 }), fc.constant('1000')),
  'poll.backoffCoefficient': fc.double({ min: -5, max: 0.99, noNaN: true }),
};

test('invalid input started directly fails as InvalidEnablementInput naming the field; KDF sees no call', async () => {
  const cases = fc.constantFrom(...Object.keys(BAD)).chain((field) => BAD[field]!.map((bad) => ({ field, bad })));
  let checked = 0;
  await fc.assert(
    fc.asyncProperty(cases, async ({ field, bad }) => {
      const input: Record<string, unknown> = {
        node,
        ticker: 'tBTC-lightning',
        activationParams: { name: 'fuzz' },
        poll: { initialIntervalMs: 500, maxIntervalMs: 1_000, backoffCoefficient: 1.5 },
      };
      const [head, tail] = field.split('.') as [string, string | undefined];
      if (tail === undefined) input[head] = bad;
      else input[head] = { ...(input[head] as object), [tail]: bad };

      // the client would never have started it
      expect(() => validateEnableInput(input)).toThrow(InputError);

      const handle = await stack.client.workflow.start(enableLightning, {
        args: [input as never],
        taskQueue: stack.taskQueue,
        workflowId: `fuzz-invalid-${randomUUID()}`,
      });
      const error = await handle.result().then(
        () => undefined,
        (reason: unknown) => reason
      );
      expect(error).toBeInstanceOf(WorkflowFailedError);
      const cause = (error as WorkflowFailedError).cause;
      expect(cause).toBeInstanceOf(ApplicationFailure);
      expect((cause as ApplicationFailure).type).toBe(FailureType.invalidInput);
      expect((cause as ApplicationFailure).message).toContain(field);
      checked++;
    }),
    { numRuns: 15 }
  );
  expect(checked).toBe(15);
  const stats = simulator.stats();
  expect(Object.values(stats.calls).reduce((sum, n) => sum + n, 0)).toBe(0);
  expect(stats.tasks).toHaveLength(0);
}, 120_000);
