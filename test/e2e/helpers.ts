// Real processes for the end-to-end tests: the simulator, the worker, the CLI and `npm start`, each tracked by PID.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { trackPid } from '../helpers/processes.js';
import { writeNodesFile } from '../helpers/worker-process.js';
import { workflowBundlePath } from '../helpers/workflow-bundle.mjs';

export { freePort } from '../helpers/ports.js';
export { eventually } from '../helpers/wait.js';
export { writeNodesFile };

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const USERPASS = `e2e-Userpass-${randomUUID()}`;

/** Env for children: no jest NODE_OPTIONS, no KDF settings leaking in from the developer's shell. */
export function childEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '', FORCE_COLOR: '0' };
  for (const key of Object.keys(env)) if (key.startsWith('KDF_')) delete env[key];
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

export const uniqueId = (label: string): string => `${label}-${randomUUID().slice(0, 8)}`;

/** A spawned process with its output captured. */
export class Proc {
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(
    readonly name: string,
    readonly child: ChildProcess
  ) {
    trackPid(child.pid);
    child.stdout?.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  get pid(): number {
    return this.child.pid as number;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves with the first match of `pattern` in stdout; rejects on exit or timeout. */
  async waitFor(pattern: RegExp, timeoutMs = 60_000): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = pattern.exec(this.stdout);
      if (match) return match;
      if (!this.running) {
        throw new Error(`${this.name} exited before printing ${pattern}:\n${this.stdout}\n${this.stderr}`);
      }
      if (Date.now() > deadline) {
        throw new Error(`${this.name}: no ${pattern} after ${timeoutMs} ms:\n${this.stdout}\n${this.stderr}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Sends `signal`, then SIGKILL after graceMs; resolves with how it exited. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 20_000) {
    if (this.running) {
      this.child.kill(signal);
      const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      const result = await this.exited;
      clearTimeout(timer);
      return result;
    }
    return this.exited;
  }
}

function spawnNode(name: string, args: string[], env: NodeJS.ProcessEnv): Proc {
  return new Proc(name, spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] }));
}

/** `tsx simulator/cli.ts --port 0`, userpass through KDF_SIM_USERPASS; resolves with its URL once listening. */
export async function startSimulatorProcess(options: { phaseMs?: number; scenario?: string } = {}) {
  const args = ['--import', 'tsx', 'simulator/cli.ts', '--port', '0'];
  if (options.phaseMs !== undefined) args.push('--phase-ms', String(options.phaseMs));
  if (options.scenario !== undefined) args.push('--scenario', options.scenario);
  const proc = spawnNode('kdf-sim', args, childEnv({ KDF_SIM_USERPASS: USERPASS }));
  const match = await proc.waitFor(/kdf-sim listening on (http:\/\/\S+)/, 30_000);
  return { proc, url: match[1] as string };
}

/**
 * `tsx worker/main.ts` loading the run's prebuilt workflow bundle (`KDF_WORKFLOW_BUNDLE: undefined` in `env` makes
 * it bundle at start); resolves once it logs "worker running" (unless `waitReady` is false).
 */
export async function startWorkerProcess(env: Record<string, string | undefined>, waitReady = true): Promise<Proc> {
  const bundle = await workflowBundlePath();
  const proc = spawnNode(
    'worker',
    ['--import', 'tsx', 'worker/main.ts'],
    childEnv({ KDF_TEST_USERPASS: USERPASS, KDF_LOG_LEVEL: 'info', KDF_WORKFLOW_BUNDLE: bundle, ...env })
  );
  if (waitReady) await proc.waitFor(/"msg":"worker running"/, 90_000);
  return proc;
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `node bin/kdf-lightning.js ARGS` to completion. */
export async function cli(
  args: string[],
  env: Record<string, string | undefined>,
  timeoutMs = 90_000
): Promise<CliRun> {
  const proc = spawnNode('kdf-lightning', ['bin/kdf-lightning.js', ...args], childEnv(env));
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), timeoutMs);
  const { code } = await proc.exited;
  clearTimeout(timer);
  return { code, stdout: proc.stdout, stderr: proc.stderr };
}

/** Starts the CLI without waiting for it. */
export function cliProcess(args: string[], env: Record<string, string | undefined>): Proc {
  return spawnNode('kdf-lightning', ['bin/kdf-lightning.js', ...args], childEnv(env));
}

export function json<T = unknown>(run: CliRun): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`not one JSON document (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
