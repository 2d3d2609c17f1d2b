/**
 * Side (a) of the benchmark: runs baseline-script.ts as a child process against fresh simulated nodes and
 * measures it like the worker (CPU and peak RSS from /proc).
 *
 * @module
 */
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { PollPolicy } from '../workflows/api.js';
import { exited, spawnTsx, terminate, type OnSpawn } from './child-process.js';
import { readProcessUsage } from './process-usage.js';
import type { SimulatedNodes } from './simulated-nodes.js';
import { round, summarize, type SideSummary } from './summary.js';
import { activationMs, type Member, type Workload } from './workload.js';

export interface BaselineInput {
  nodes: { id: string; url: string }[];
  members: Member[];
  poll: PollPolicy;
}

export interface BaselineDetection {
  node: string;
  taskId: number;
  detectedAt: number;
}

export interface BaselineOutput {
  startedAt: number;
  finishedAt: number;
  detections: BaselineDetection[];
  failures: string[];
}

export interface BaselineResult extends SideSummary {
  scriptPeakRssMb: number;
  scriptCpuSeconds: number;
}

export async function runBaseline(
  workload: Workload,
  nodes: SimulatedNodes,
  onSpawn?: OnSpawn
): Promise<BaselineResult> {
  const inputFile = path.join(mkdtempSync(path.join(tmpdir(), 'kdf-bench-baseline-')), 'input.json');
  const input: BaselineInput = {
    nodes: nodes.configs.map(({ id, url }) => ({ id, url })),
    members: workload.members,
    poll: workload.poll,
  };
  writeFileSync(inputFile, JSON.stringify(input));
  const child = spawnTsx('bench/baseline-script.ts', [inputFile], {
    env: { KDF_BENCH_USERPASS: nodes.userpass },
    stdio: ['pipe', 'pipe', 'inherit'],
    onSpawn,
  });
  try {
    const output = await firstLine(child.stdout as Readable, exited(child));
    // read while the script still runs (it waits for its stdin to close)
    const usage = readProcessUsage(child.pid as number);
    child.stdin?.end();
    const result = JSON.parse(output) as BaselineOutput;
    const summary = summarize({
      enablements: workload.enablements,
      activationMs: activationMs(workload),
      startedAt: result.startedAt,
      finishedAt: result.finishedAt,
      completions: result.detections.map(({ node, taskId, detectedAt }) => ({
        okAt: nodes.okAt(node, taskId),
        detectedAt,
      })),
      failures: result.failures,
      calls: nodes.calls(),
    });
    return { ...summary, scriptPeakRssMb: round(usage.peakRssMb, 1), scriptCpuSeconds: round(usage.cpuSeconds, 2) };
  } finally {
    await terminate(child);
  }
}

async function firstLine(stream: Readable, exit: Promise<number | null>): Promise<string> {
  let text = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => (text += chunk));
  const line = (async () => {
    while (!text.includes('\n')) await once(stream, 'data');
    return text.slice(0, text.indexOf('\n'));
  })();
  return Promise.race([
    line,
    exit.then((code) => {
      throw new Error(`baseline script exited with ${code} before reporting`);
    }),
  ]);
}
