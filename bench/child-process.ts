/**
 * The benchmark's own child processes (compiler, workflow bundler, baseline script, worker): node itself, with
 * TypeScript run by `node --import tsx`, so the PID we hold is the process doing the work (the tsx CLI would add a
 * wrapper process that survives a kill).
 *
 * @module
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = fileURLToPath(new URL('../', import.meta.url));

/** Called with the PID of every process the benchmark starts (the smoke test records them for clean-up). */
export type OnSpawn = (pid: number) => void;

export interface TsxChildOptions {
  /** Added to an environment without the caller's `KDF_*` settings and `NODE_OPTIONS` (jest's flags). */
  env: Record<string, string>;
  stdio: StdioOptions;
  onSpawn: OnSpawn | undefined;
}

/** A TypeScript file of the project, run through tsx. */
export const spawnTsx = (script: string, args: string[], options: TsxChildOptions): ChildProcess =>
  spawnNode(['--import', 'tsx', script, ...args], options);

/** Node with `args`, in the project's directory. */
export function spawnNode(args: string[], options: TsxChildOptions): ChildProcess {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '' };
  for (const key of Object.keys(env)) if (key.startsWith('KDF_')) delete env[key];
  const child = spawn(process.execPath, args, {
    cwd: PROJECT_ROOT,
    env: { ...env, ...options.env },
    stdio: options.stdio,
  });
  if (child.pid === undefined) throw new Error(`could not start node ${args.join(' ')}`);
  options.onSpawn?.(child.pid);
  return child;
}

/** Resolves with the exit code (null after a signal) once the child has exited. */
export async function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const [code] = (await once(child, 'exit')) as [number | null];
  return code;
}

/**
 * Resolves once the child has printed `line` on its standard output (piped); rejects if it exits first or has not
 * printed it within `timeoutMs`. `who` names the child in the error.
 */
export function printed(child: ChildProcess, line: string, who: string, timeoutMs = 120_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const settle = (error?: Error) => {
      clearTimeout(timer);
      child.stdout?.off('data', onOutput);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve();
    };
    const onOutput = (chunk: Buffer) => {
      const text = seen + chunk.toString();
      if (text.includes(line)) settle();
      // the line may be split across chunks: keep what could be its start
      else seen = text.slice(1 - line.length);
    };
    const onExit = (code: number | null) => settle(new Error(`${who} exited (${code}) before printing "${line}"`));
    const timer = setTimeout(
      () => settle(new Error(`${who} did not print "${line}" within ${timeoutMs / 1000} s`)),
      timeoutMs
    );
    child.stdout?.on('data', onOutput);
    child.once('exit', onExit);
  });
}

/** Writes the child's standard output and error (both piped) to `file`, closed once the child's streams are. */
export function logOutput(child: ChildProcess, file: string): void {
  const log = createWriteStream(file);
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  child.once('close', () => log.end());
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the child is gone. */
export async function terminate(child: ChildProcess, graceMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = exited(child);
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await gone;
  clearTimeout(timer);
}
