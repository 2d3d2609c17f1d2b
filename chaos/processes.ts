/**
 * The processes a chaos run restarts: its own Temporal dev server (SQLite file, fixed port) and the worker as a
 * child process (`node --import tsx worker/main.ts`) that can be SIGKILLed and restarted.
 *
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, writeFileSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface DevServer {
  address: string;
  pid: number;
  stop(): Promise<void>;
}

interface DevServerModule {
  startDevServer(options: { port: number; dbFile: string; logFile: string }): Promise<DevServer>;
  freePort(): Promise<number>;
}

const devServerModule = (): Promise<DevServerModule> =>
  import(path.join(PROJECT_ROOT, 'scripts', 'dev-server.mjs')) as Promise<DevServerModule>;

export async function freePort(): Promise<number> {
  return (await devServerModule()).freePort();
}

/** A dev server on `port` persisting to `dbFile`: stopping and starting it again keeps every workflow. */
export async function startDevServer(port: number, dbFile: string, logFile: string): Promise<DevServer> {
  return (await devServerModule()).startDevServer({ port, dbFile, logFile });
}

export interface WorkerOptions {
  temporalAddress: string;
  taskQueue: string;
  /** node id → simulator URL */
  nodes: Record<string, string>;
  userpass: string;
  /** Directory for the nodes file. */
  dir: string;
  /** Prebuilt workflow bundle (restarts then take a second instead of a bundling pass). */
  workflowBundle: string;
  /** Where the worker's stdout and stderr go (appended across restarts). */
  logFile: string;
  /** Extra environment, e.g. KDF_METRICS_ADDRESS. */
  env?: Record<string, string>;
  onPid?: (pid: number) => void;
}

const USERPASS_VARIABLE = 'KDF_CHAOS_USERPASS';
const READY_LINE = 'worker running';

export function writeNodesFile(dir: string, nodes: Record<string, string>): string {
  const file = path.join(dir, 'nodes.json');
  const entries = Object.entries(nodes).map(([id, url]) => [
    id,
    { url, userpassEnv: USERPASS_VARIABLE, requestTimeoutMs: 2_000 },
  ]);
  writeFileSync(file, JSON.stringify({ nodes: Object.fromEntries(entries) }));
  return file;
}

/** One worker process; `exited` resolves when it ends, however it ends. */
export interface WorkerProcess {
  readonly pid: number;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts the worker and resolves once it logs "worker running". */
export async function startWorker(options: WorkerOptions): Promise<WorkerProcess> {
  const nodesFile = writeNodesFile(options.dir, options.nodes);
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('TEMPORAL_') && !key.startsWith('KDF_')) env[key] = value;
  }
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'worker/main.ts'], {
    cwd: PROJECT_ROOT,
    env: {
      ...env,
      NODE_OPTIONS: '',
      TEMPORAL_ADDRESS: options.temporalAddress,
      TEMPORAL_NAMESPACE: 'default',
      KDF_TASK_QUEUE: options.taskQueue,
      KDF_NODES_FILE: nodesFile,
      [USERPASS_VARIABLE]: options.userpass,
      KDF_LOG_LEVEL: 'info',
      KDF_WORKFLOW_BUNDLE: options.workflowBundle,
      KDF_SHUTDOWN_GRACE_MS: '1000',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error('the worker process did not start');
  const pid = child.pid;
  options.onPid?.(pid);
  const log: WriteStream = createWriteStream(options.logFile, { flags: 'a' });
  let recent = '';
  let ready = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal }))
  );
  void exited.then(() => setTimeout(() => log.end(), 200));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker not running after 120 s:\n${recent}`)), 120_000);
    const onData = (chunk: Buffer) => {
      log.write(chunk);
      if (ready) return;
      recent = (recent + chunk.toString()).slice(-8_000);
      if (recent.includes(READY_LINE)) {
        ready = true;
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      if (!ready) reject(new Error(`worker exited (${code ?? signal}) during start-up:\n${recent}`));
    });
  });
  return {
    pid,
    exited,
    kill: async (signal = 'SIGKILL') => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      await exited;
    },
  };
}

/** Keeps one worker running: an exit the run did not cause is counted and answered with a restart. */
export class WorkerSupervisor {
  #worker: WorkerProcess | undefined;
  #planned = false;
  #stopping = false;
  unplannedExits = 0;

  constructor(
    private readonly options: WorkerOptions,
    private readonly log: (line: string) => void
  ) {}

  get pid(): number | undefined {
    return this.#worker?.pid;
  }

  /** Starts a worker, retrying every second until one runs (or the supervisor is stopped). */
  async launch(): Promise<void> {
    for (;;) {
      try {
        const started = await startWorker(this.options);
        this.#worker = started;
        void started.exited.then(() => {
          if (this.#stopping || this.#planned || this.#worker !== started) return;
          this.unplannedExits++;
          this.log(`chaos: worker ${started.pid} exited unplanned; restarting`);
          void this.launch();
        });
        return;
      } catch (error) {
        if (this.#stopping) return;
        this.log(`chaos: worker start failed (${(error as Error).message.split('\n')[0]}); retrying`);
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
  }

  /** SIGKILLs the worker and starts another; returns the victim's name. */
  async kill(): Promise<string> {
    const victim = this.#worker;
    this.#planned = true;
    await victim?.kill('SIGKILL');
    this.#planned = false;
    await this.launch();
    return `pid ${victim?.pid}`;
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    await this.#worker?.kill('SIGKILL').catch(() => undefined);
  }
}
