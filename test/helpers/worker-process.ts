import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { trackPid } from './processes.js';
import { workflowBundlePath } from './workflow-bundle.mjs';

export interface WorkerProcessOptions {
  taskQueue: string;
  /** node id → simulator URL; every node uses `userpass`. */
  nodes: Record<string, string>;
  userpass: string;
  env?: Record<string, string>;
}

/** Writes a KDF_NODES_FILE whose userpasses come from one environment variable. */
export function writeNodesFile(nodes: Record<string, string>): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'kdf-nodes-')), 'nodes.json');
  const entries = Object.entries(nodes).map(([id, url]) => [id, { url, userpassEnv: 'KDF_TEST_USERPASS' }]);
  writeFileSync(file, JSON.stringify({ nodes: Object.fromEntries(entries) }));
  return file;
}

/** The worker as a real child process (its own PID, so a SIGKILL kills the worker); resolves once it logs "worker running". */
export async function startWorkerProcess(
  options: WorkerProcessOptions
): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'worker/main.ts'], {
    env: {
      ...process.env,
      NODE_OPTIONS: '',
      KDF_TASK_QUEUE: options.taskQueue,
      KDF_NODES_FILE: writeNodesFile(options.nodes),
      KDF_TEST_USERPASS: options.userpass,
      KDF_LOG_LEVEL: 'info',
      KDF_WORKFLOW_BUNDLE: await workflowBundlePath(),
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  trackPid(child.pid);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start within 60 s:\n${output}`)), 60_000);
    const check = () => {
      if (output.includes('worker running')) {
        clearTimeout(timer);
        child.stdout?.off('data', check);
        resolve();
      }
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited with ${code} during start-up:\n${output}`));
    });
  });
  return { child, output: () => output };
}

export async function killProcess(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  await exited;
}
