import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { CancelledFailure } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { waitForRead } from '../../activities/poll.js';

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** The live heap after a full collection. */
function liveHeap(): number {
  collectGarbage();
  return process.memoryUsage().heapUsed;
}

/** `count` waits in one activity, a few at a time (as many enablements' follows would overlap on one worker). */
async function waits(count: number): Promise<void> {
  const atOnce = 8;
  for (let done = 0; done < count; done += atOnce) {
    await Promise.all(Array.from({ length: atOnce }, () => waitForRead(0, undefined, 1, 0)));
  }
}

test('the waits between status reads hold no memory once over, however many a long activation makes', async () => {
  const environment = new MockActivityEnvironment();
  const growth = await environment.run(async () => {
    await waits(1_000);
    const before = liveHeap();
    await waits(20_000);
    return liveHeap() - before;
  });
  // Context.sleep keeps every wait's timer and promises until the activity ends: ~29 MB for these 20,000
  expect(growth).toBeLessThan(5_000_000);
});

test('a wait ends with the activity cancelled', async () => {
  const environment = new MockActivityEnvironment();
  const waiting = environment.run(() => waitForRead(60_000, undefined, 1, 0));
  environment.cancel('CANCELLED');
  await expect(waiting).rejects.toBeInstanceOf(CancelledFailure);
});
