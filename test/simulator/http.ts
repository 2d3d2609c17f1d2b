/** Raw HTTP helpers for the simulator tests: plain `fetch`, no KDF client. */
import type { RunningSimulator } from '../../simulator/index.js';

export const USERPASS = 'sim-test-userpass';

export const INIT = 'task::enable_lightning::init';
export const STATUS = 'task::enable_lightning::status';
export const CANCEL = 'task::enable_lightning::cancel';
export const USER_ACTION = 'task::enable_lightning::user_action';

export interface HttpReply {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The parsed body; `undefined` when it is not JSON. */
  readonly body: unknown;
}

/** Sends `body` (JSON-encoded unless a string) with `method` (POST by default) to `path`. */
export async function send(
  simulator: RunningSimulator,
  body?: unknown,
  { method = 'POST', path = '' }: { method?: string; path?: string } = {}
): Promise<HttpReply> {
  const response = await fetch(new URL(path, simulator.url), {
    method,
    ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: response.status, headers: response.headers, text, body: parsed };
}

/** A v2 request; `params` left out when undefined. */
export const v2 = (method: string, params?: unknown, id: number | null = 1, userpass: string = USERPASS) => ({
  mmrpc: '2.0',
  userpass,
  method,
  ...(params !== undefined && { params }),
  ...(id !== null && { id }),
});

export const call = (simulator: RunningSimulator, method: string, params?: unknown, id?: number) =>
  send(simulator, v2(method, params, id));

/** The `result` of a v2 call that must succeed. */
export async function result<T = unknown>(simulator: RunningSimulator, method: string, params?: unknown): Promise<T> {
  const reply = await call(simulator, method, params);
  if (reply.status !== 200) throw new Error(`${method} answered ${reply.status}: ${reply.text}`);
  return (reply.body as { result: T }).result;
}

export const activation = { name: 'sim-test-node' };

export async function init(simulator: RunningSimulator, ticker: string, activationParams: object = activation) {
  return result<{ task_id: number }>(simulator, INIT, { ticker, activation_params: activationParams }).then(
    ({ task_id }) => task_id
  );
}

export interface TaskStatusResult {
  readonly status: 'InProgress' | 'Ok' | 'Error';
  readonly details: unknown;
}

export const taskStatus = (simulator: RunningSimulator, taskId: number, forget = false) =>
  result<TaskStatusResult>(simulator, STATUS, { task_id: taskId, forget_if_finished: forget });

export const enabledTickers = async (simulator: RunningSimulator) =>
  (await result<{ coins: { ticker: string }[] }>(simulator, 'get_enabled_coins')).coins.map(({ ticker }) => ticker);

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Reads until `predicate` holds, every 5 ms; fails after `timeoutMs`. */
export async function waitFor<T>(
  read: () => Promise<T>,
  predicate: (value: T) => boolean,
  timeoutMs = 5_000
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (predicate(value)) return value;
    if (Date.now() > deadline) throw new Error(`not met within ${timeoutMs} ms; last value ${JSON.stringify(value)}`);
    await sleep(5);
  }
}

/** Waits for a task to finish (status read without forgetting it). */
export const finished = (simulator: RunningSimulator, taskId: number) =>
  waitFor(
    () => taskStatus(simulator, taskId),
    ({ status }) => status !== 'InProgress'
  );

/**
 * Checks a v2 error reply field by field: status, envelope keys, `error_type`, `error_path`, `error_data` (or its
 * absence) and `id`. `error_trace` is only checked to be a string; its line numbers change with every KDF build.
 */
export function expectError(
  reply: HttpReply,
  expected: {
    status: number;
    type: string;
    path: string;
    id?: number | null;
    data?: unknown;
    message?: string | RegExp;
  }
): void {
  expect(reply.status).toBe(expected.status);
  const body = reply.body as Record<string, unknown>;
  const keys = ['mmrpc', 'error', 'error_path', 'error_trace', 'error_type', 'id'];
  if ('data' in expected) keys.push('error_data');
  expect(Object.keys(body).sort()).toEqual(keys.sort());
  expect(body).toMatchObject({
    mmrpc: '2.0',
    error_type: expected.type,
    error_path: expected.path,
    id: expected.id === undefined ? 1 : expected.id,
  });
  expect(typeof body['error']).toBe('string');
  expect(typeof body['error_trace']).toBe('string');
  if ('data' in expected) expect(body['error_data']).toEqual(expected.data);
  if (expected.message !== undefined) expect(body['error']).toMatch(expected.message);
}
