// What every command receives: the process's streams and environment, the lazily connected Temporal client, and
// the pieces of behaviour all commands share (JSON output, usage errors, the exit code they end with).
import { userInfo } from 'node:os';
import type { Client } from '@temporalio/client';
import type { ConnectConfig } from '../connection.js';
import type { ExitCode } from '../exit-codes.js';
import type { Writable } from '../output.js';
import { checkCancelRequest, InputError } from '../schema.js';

export interface CliIo {
  stdout: Writable;
  stderr: Writable;
  env: Record<string, string | undefined>;
  /** How to get a Temporal client; tests may inject one. @default connectClient */
  connect?: (config: ConnectConfig) => Promise<Client>;
}

export interface Context {
  io: CliIo;
  /** `--json`: exactly one JSON document on stdout, no live output. */
  json: boolean;
  /** The Temporal client, connected on first use and closed when the command ends. */
  client(): Promise<Client>;
}

/** Wraps a command's action so that it receives its Context first (commander passes the rest). */
export type RunWithContext = <A extends unknown[]>(
  action: (ctx: Context, ...args: A) => Promise<void>
) => (...args: A) => Promise<void>;

/** Thrown inside commands to end with a given exit code (after the output is written). */
export class Exit extends Error {
  constructor(readonly code: ExitCode) {
    super(`exit ${code}`);
  }
}

export const writeJson = (io: CliIo, value: unknown): void =>
  void io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

export function usage(message: string, field = ''): InputError {
  return new InputError(message, field);
}

export function requireId(value: string | undefined, flag: string): string {
  if (value === undefined || value === '') throw usage(`${flag}: is required`, flag);
  return value;
}

/** The login name, for `--by` when $USER is not set. */
function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** `--reason` and `--by` of the cancel commands, checked; `--by` defaults to $USER, else the login name. */
export function cancelRequest(ctx: Context, options: { reason: string; by?: string }): { reason: string; by: string } {
  const by = options.by ?? ctx.io.env.USER ?? ctx.io.env.USERNAME ?? osUser();
  checkCancelRequest(options.reason, by, '--');
  return { reason: options.reason, by };
}

/** Whether any worker polled the task queue recently; true when the server cannot tell. */
export async function hasWorkers(client: Client, taskQueue: string): Promise<boolean> {
  try {
    const response = await client.workflowService.describeTaskQueue({
      namespace: client.options.namespace,
      taskQueue: { name: taskQueue },
      taskQueueType: 1, // workflow
    });
    return (response.pollers?.length ?? 0) > 0;
  } catch {
    return true;
  }
}
