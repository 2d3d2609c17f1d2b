/** The `/__sim/` admin endpoint over HTTP: no userpass, JSON in and out. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ADMIN_HEADERS, handleAdmin } from '../../simulator/admin.js';
import {
  defaultScenario,
  parseScenario,
  startSimulator,
  type RunningSimulator,
  type SimulatorStats,
} from '../../simulator/index.js';
import { Simulator } from '../../simulator/simulator.js';
import { CANCEL, INIT, USERPASS, call, enabledTickers, init, send, taskStatus, v2 } from './http.js';

let sim: RunningSimulator;

beforeEach(async () => {
  sim = await startSimulator({ userpass: USERPASS, phaseMs: 20 });
});

afterEach(async () => {
  await sim.stop();
});

async function admin(method: string, path: string, body?: unknown) {
  const response = await fetch(new URL(`__sim/${path}`, sim.url), {
    method,
    ...(method !== 'GET' && { headers: ADMIN_HEADERS }),
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

test('GET stats reports calls, inits, tasks, cancels, restarts and the task list', async () => {
  const hang = await init(sim, 'tBTC-lightning-hang');
  await init(sim, 'tBTC-lightning-slow', { name: 'n', listening_port: 1 });
  await call(sim, INIT, { ticker: 'tBTC-lightning-unknown', activation_params: { name: 'n' } });
  await call(sim, CANCEL, { task_id: hang });
  const { status, body } = await admin('GET', 'stats');
  expect(status).toBe(200);
  expect(body as unknown as SimulatorStats).toEqual({
    calls: { [INIT]: 3, [CANCEL]: 1 },
    initCallsByTicker: { 'tBTC-lightning-hang': 1, 'tBTC-lightning-slow': 1, 'tBTC-lightning-unknown': 1 },
    tasksStartedByTicker: { 'tBTC-lightning-hang': 1, 'tBTC-lightning-slow': 1 },
    okTasksByTicker: {},
    activeTasks: 1,
    maxActiveTasks: 2,
    cancelledTasks: 1,
    restarts: 0,
    faultsInjected: {},
    tasks: [
      { id: 0, ticker: 'tBTC-lightning-hang', state: 'Cancelled', phase: 'ActivatingCoin' },
      { id: 1, ticker: 'tBTC-lightning-slow', state: 'InProgress', phase: expect.any(String) },
    ],
  });
});

test('POST stats/reset zeroes the counters; maxActiveTasks restarts from the running tasks', async () => {
  await init(sim, 'tBTC-lightning-hang');
  await init(sim, 'tBTC-lightning-hang-2', { name: 'n', listening_port: 1 });
  await call(sim, CANCEL, { task_id: 0 });
  await init(sim, 'tBTC-lightning-hang', { name: 'n', listening_port: 2 });
  sim.finishTask(2);
  expect(sim.stats().okTasksByTicker).toEqual({ 'tBTC-lightning-hang': 1 });
  expect((await admin('POST', 'stats/reset')).status).toBe(200);
  expect(sim.stats().okTasksByTicker).toEqual({});
  expect(sim.stats()).toMatchObject({
    calls: {},
    initCallsByTicker: {},
    tasksStartedByTicker: {},
    cancelledTasks: 0,
    activeTasks: 1,
    maxActiveTasks: 1,
  });
});

test('POST and DELETE faults', async () => {
  const added = await admin('POST', 'faults', { kind: 'http503', method: 'get_enabled_coins', count: 1 });
  expect(added).toEqual({
    status: 200,
    body: { faults: [{ kind: 'http503', method: 'get_enabled_coins', count: 1 }] },
  });
  await admin('POST', 'faults', { kind: 'http500' });
  expect(await admin('DELETE', 'faults')).toEqual({ status: 200, body: { faults: [] } });
  expect((await call(sim, 'get_enabled_coins')).status).toBe(200);
});

test('an invalid fault body is a 400 naming the field', async () => {
  const reply = await admin('POST', 'faults', { kind: 'latency', latencyMs: -5 });
  expect(reply.status).toBe(400);
  expect(reply.body['error']).toMatch(/latencyMs/);
  const notJson = await fetch(new URL('__sim/faults', sim.url), { method: 'POST', headers: ADMIN_HEADERS, body: '{' });
  expect(notJson.status).toBe(400);
});

test('POST restart drops tasks like a KDF restart', async () => {
  const taskId = await init(sim, 'tBTC-lightning-hang');
  expect(await admin('POST', 'restart')).toEqual({ status: 200, body: { ok: true } });
  expect((await call(sim, 'task::enable_lightning::status', { task_id: taskId })).status).toBe(400);
  expect(sim.stats().restarts).toBe(1);
});

test('POST tasks/<id>/finish forces the outcome; unknown tasks and bad outcomes are refused', async () => {
  const toOk = await init(sim, 'tBTC-lightning-hang');
  const toError = await init(sim, 'tBTC-lightning-hang-2', { name: 'n', listening_port: 1 });
  const byDefault = await init(sim, 'tBTC-lightning-port-in-use', { name: 'n', listening_port: 2 });
  expect((await admin('POST', `tasks/${toOk}/finish`, { outcome: 'ok' })).status).toBe(200);
  expect((await admin('POST', `tasks/${toError}/finish`, { outcome: 'error' })).status).toBe(200);
  expect((await admin('POST', `tasks/${byDefault}/finish`)).status).toBe(200);
  expect(await taskStatus(sim, toOk)).toMatchObject({ status: 'Ok' });
  expect(await taskStatus(sim, toError)).toMatchObject({ status: 'Error' });
  // without an outcome a ticker ends the way its scenario says
  expect(await taskStatus(sim, byDefault)).toMatchObject({
    status: 'Error',
    details: { error: expect.stringContaining('Address already in use') },
  });
  expect(await enabledTickers(sim)).toContain('tBTC-lightning-hang');

  expect(await admin('POST', `tasks/${toOk}/finish`)).toEqual({
    status: 409,
    body: { error: `task ${toOk} is not running` },
  });
  expect((await admin('POST', 'tasks/77/finish')).status).toBe(409);
  const bad = await admin('POST', `tasks/${toOk}/finish`, { outcome: 'maybe' });
  expect(bad.status).toBe(400);
  expect(bad.body['error']).toMatch(/outcome/);
});

test('unknown routes are 404, wrong verbs 405; RPC auth does not apply', async () => {
  expect((await admin('GET', 'nothing-here')).status).toBe(404);
  expect((await admin('PUT', 'stats')).status).toBe(405);
  for (let attempt = 0; attempt < 10; attempt++) await send(sim, v2('get_enabled_coins', undefined, 1, 'wrong'));
  expect((await admin('GET', 'stats')).status).toBe(200);
});

test('non-loopback callers are refused with 403', async () => {
  const simulator = new Simulator(USERPASS, parseScenario(defaultScenario), undefined);
  const reply = { status: 0, payload: '' };
  const request = { method: 'POST', socket: { remoteAddress: '192.0.2.7' } } as unknown as IncomingMessage;
  const response = {
    writeHead: (status: number) => (reply.status = status),
    end: (payload: string) => (reply.payload = payload),
  } as unknown as ServerResponse;
  try {
    await handleAdmin(simulator, request, response, '/__sim/restart');
    expect(reply.status).toBe(403);
    expect(JSON.parse(reply.payload)).toEqual({ error: 'loopback clients only' });
    expect(simulator.stats().restarts).toBe(0);
  } finally {
    simulator.shutdown();
  }
});

test('a request that changes something needs the JSON content type and the admin header: a web page cannot send them', async () => {
  const restart = (headers: Record<string, string>) =>
    fetch(new URL('__sim/restart', sim.url), { method: 'POST', headers, body: '{}' });
  // what a form or a no-cors fetch from a page can send
  const form = await restart({ 'content-type': 'application/x-www-form-urlencoded' });
  expect(form.status).toBe(415);
  const noHeader = await restart({ 'content-type': 'application/json' });
  expect(noHeader.status).toBe(403);
  expect(((await noHeader.json()) as { error: string }).error).toMatch(/x-kdf-sim-admin: 1/);
  const faults = await fetch(new URL('__sim/faults', sim.url), {
    method: 'POST',
    headers: { 'content-type': 'text/plain' },
    body: JSON.stringify({ kind: 'http503' }),
  });
  expect(faults.status).toBe(415);
  expect(sim.stats().restarts).toBe(0);
  expect(await admin('GET', 'faults')).toEqual({ status: 200, body: { faults: [] } });
  // reads need nothing
  expect((await fetch(new URL('__sim/stats', sim.url))).status).toBe(200);
});
