// The live view of an enablement in tests, as `kdf-lightning status` shows it.
import type { Client } from '@temporalio/client';
import { getProgress } from '../../client/enablements.js';
import type { EnablementProgress } from '../../workflows/api.js';
import { eventually } from './wait.js';

/** The progress query merged with the pending activity's heartbeat (`enable-lightning/<node>/<ticker>` ids). */
export function liveProgress(client: Client, handle: { workflowId: string }): Promise<EnablementProgress> {
  const [, node = '', ticker = ''] = handle.workflowId.split('/');
  return getProgress(client, node, ticker);
}

/** The live view once it names the KDF task: from v5 on the workflow learns it only when `activate` returns. */
export async function taskStarted(
  client: Client,
  handle: { workflowId: string },
  timeoutMs?: number
): Promise<EnablementProgress & { taskId: number }> {
  const progress = await eventually(
    () => liveProgress(client, handle),
    (p) => p.taskId !== null,
    timeoutMs,
    `the KDF task of ${handle.workflowId}`
  );
  return { ...progress, taskId: progress.taskId as number };
}
