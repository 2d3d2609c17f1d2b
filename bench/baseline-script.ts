/**
 * The baseline: what users run today instead of kdf-lightning. A plain Node script, no Temporal: it inits every
 * enablement at once (`Promise.all`) with the same KDF client as the activities, then polls each task with the
 * same poll policy (initial interval, backoff, cap) until it is Ok, letting KDF forget the finished task on that
 * read (KDF's default). A status read that fails in transport is simply polled again; anything else fails the
 * enablement.
 *
 * Run by baseline.ts as a child process (so its CPU and memory can be read from /proc):
 * `node --import tsx bench/baseline-script.ts INPUT.json`, userpass in `KDF_BENCH_USERPASS`. Prints one JSON line
 * (`BaselineOutput`), then stays alive until its stdin closes.
 *
 * @module
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  createKdfClient,
  KdfTransportError,
  type KdfClient,
  type LightningTaskStatus,
} from '../activities/kdf/index.js';
import type { BaselineDetection, BaselineInput, BaselineOutput } from './baseline.js';
import type { Member } from './workload.js';

const input = JSON.parse(readFileSync(process.argv[2] as string, 'utf8')) as BaselineInput;
const userpass = process.env.KDF_BENCH_USERPASS ?? '';
const clients = new Map<string, KdfClient>(
  input.nodes.map(({ id, url }) => [id, createKdfClient({ id, url, userpass })])
);

async function enable(member: Member): Promise<BaselineDetection> {
  const client = clients.get(member.node) as KdfClient;
  const { task_id: taskId } = await client.initLightning({
    ticker: member.ticker,
    activation_params: { name: member.node, listening_port: member.listeningPort },
  });
  const { initialIntervalMs, backoffCoefficient, maxIntervalMs } = input.poll;
  for (let intervalMs = initialIntervalMs; ; intervalMs = Math.min(intervalMs * backoffCoefficient, maxIntervalMs)) {
    await sleep(intervalMs);
    const status = await readStatus(client, taskId);
    if (status?.status === 'Ok') return { node: member.node, taskId, detectedAt: Date.now() };
    if (status?.status === 'Error') throw new Error(`${status.details.error_type}: ${status.details.error}`);
  }
}

/** The task's status; undefined when the request failed in transport (a busy node drops a connection now and then). */
async function readStatus(client: KdfClient, taskId: number): Promise<LightningTaskStatus | undefined> {
  try {
    return await client.lightningStatus(taskId, { forgetIfFinished: true });
  } catch (error) {
    if (error instanceof KdfTransportError) return undefined;
    throw error;
  }
}

const startedAt = Date.now();
const settled = await Promise.allSettled(input.members.map(enable));
const output: BaselineOutput = {
  startedAt,
  finishedAt: Date.now(),
  detections: settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : [])),
  failures: settled.flatMap((result) => (result.status === 'rejected' ? [String(result.reason)] : [])),
};
process.stdout.write(`${JSON.stringify(output)}\n`);
process.stdin.resume();
await once(process.stdin, 'end');
