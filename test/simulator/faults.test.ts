/** Run-time fault injection: each kind, the method filter, count, duration and probability, and the stats. */
import { FaultError, startSimulator, type RunningSimulator } from '../../simulator/index.js';
import {
  CANCEL,
  INIT,
  STATUS,
  USERPASS,
  activation,
  call,
  enabledTickers,
  expectError,
  init,
  send,
  sleep,
  taskStatus,
  v2,
  waitFor,
} from './http.js';

let sim: RunningSimulator;

beforeEach(async () => {
  sim = await startSimulator({ userpass: USERPASS, phaseMs: 20 });
});

afterEach(async () => {
  await sim.stop();
});

const initRequest = v2(INIT, { ticker: 'tBTC-lightning-hang', activation_params: activation });

/** What `GET /__sim/faults` lists. */
const listedFaults = async () =>
  ((await fetch(new URL('__sim/faults', sim.url)).then((response) => response.json())) as { faults: unknown[] }).faults;

test('latency delays the request, then handles it normally', async () => {
  sim.injectFault({ kind: 'latency', latencyMs: 150, count: 1 });
  const started = Date.now();
  expect((await call(sim, 'get_enabled_coins')).status).toBe(200);
  expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  const again = Date.now();
  await call(sim, 'get_enabled_coins');
  expect(Date.now() - again).toBeLessThan(100);
});

test.each([
  ['http500', 500],
  ['http502', 502],
  ['http503', 503],
] as const)('%s answers HTTP %d without handling the request', async (kind, status) => {
  sim.injectFault({ kind, method: INIT });
  const reply = await send(sim, initRequest);
  expect(reply.status).toBe(status);
  expect(reply.body).toEqual({ error: expect.stringContaining(String(status)) });
  expect(sim.stats()).toMatchObject({ calls: {}, tasksStartedByTicker: {}, faultsInjected: { [kind]: 1 } });
});

test('reset drops the connection without handling the request', async () => {
  sim.injectFault({ kind: 'reset', count: 1 });
  await expect(send(sim, initRequest)).rejects.toThrow();
  expect(sim.stats().tasksStartedByTicker).toEqual({});
  expect((await send(sim, initRequest)).status).toBe(200);
});

test('drop-after-handling really starts the task, then loses the response', async () => {
  sim.injectFault({ kind: 'drop-after-handling', method: INIT, count: 1 });
  await expect(send(sim, initRequest)).rejects.toThrow();
  expect(sim.stats()).toMatchObject({
    calls: { [INIT]: 1 },
    tasksStartedByTicker: { 'tBTC-lightning-hang': 1 },
    activeTasks: 1,
  });
  expect(await taskStatus(sim, 0)).toEqual({ status: 'InProgress', details: 'ActivatingCoin' });
});

test('malformed handles the request and sends a body that is not JSON', async () => {
  sim.injectFault({ kind: 'malformed', method: INIT, count: 1 });
  const reply = await send(sim, initRequest);
  expect(reply.status).toBe(200);
  expect(reply.body).toBeUndefined();
  expect(reply.text.startsWith('{"mmrpc":"2.0"')).toBe(true);
  expect(sim.stats().tasksStartedByTicker).toEqual({ 'tBTC-lightning-hang': 1 });
});

test('slow-reply handles the request at once, then replies latencyMs later', async () => {
  sim.injectFault({ kind: 'slow-reply', method: INIT, latencyMs: 300, count: 1 });
  const started = Date.now();
  const reply = send(sim, initRequest);
  await waitFor(
    async () => sim.stats().tasksStartedByTicker,
    (tasks) => tasks['tBTC-lightning-hang'] === 1
  );
  expect(Date.now() - started).toBeLessThan(250);
  expect((await reply).body).toMatchObject({ result: { task_id: 0 } });
  expect(Date.now() - started).toBeGreaterThanOrEqual(290);
});

test('slow-reply drops the reply when the client leaves meanwhile: no reply, so no restart-after-reply', async () => {
  sim.injectFault({ kind: 'slow-reply', method: INIT, latencyMs: 200 });
  sim.injectFault({ kind: 'restart-after-reply', method: INIT });
  const leaving = new AbortController();
  const reply = fetch(sim.url, { method: 'POST', body: JSON.stringify(initRequest), signal: leaving.signal });
  await waitFor(
    async () => sim.stats().activeTasks,
    (active) => active === 1
  );
  leaving.abort();
  await expect(reply).rejects.toThrow();
  await sleep(250);
  expect(sim.stats()).toMatchObject({ restarts: 0, activeTasks: 1, faultsInjected: { 'slow-reply': 1 } });
});

test('no-such-method answers like a KDF lacking the method; other methods and batch elements are handled', async () => {
  const taskId = await init(sim, 'tBTC-lightning-hang');
  sim.injectFault({ kind: 'no-such-method', method: STATUS });
  expectError(await call(sim, STATUS, { task_id: taskId }, 7), {
    status: 400,
    type: 'NoSuchMethod',
    path: 'dispatcher',
    id: 7,
    message: 'No such method',
  });
  const batch = await send(sim, [v2(STATUS, { task_id: taskId }, 8), v2('get_enabled_coins', undefined, 9)]);
  expect(batch.status).toBe(200);
  expect(batch.body).toEqual([
    expect.objectContaining({ error_type: 'NoSuchMethod', error: 'No such method', id: 8 }),
    expect.objectContaining({ result: expect.anything(), id: 9 }),
  ]);
  expect((await call(sim, CANCEL, { task_id: taskId })).body).toMatchObject({ result: 'success' });
  expect(sim.stats()).toMatchObject({ cancelledTasks: 1, faultsInjected: { 'no-such-method': 2 } });
});

test('no-such-method without a method makes every method, legacy ones too, NoSuchMethod', async () => {
  sim.injectFault({ kind: 'no-such-method' });
  expect((await send(sim, { method: 'version' })).body).toMatchObject({ error_type: 'NoSuchMethod', id: null });
  expect((await send(sim, initRequest)).status).toBe(400);
  expect(sim.stats().tasksStartedByTicker).toEqual({});
});

test.each([
  ['tBTC-lightning-hang', 'Ok'],
  ['tBTC-lightning-port-in-use', 'Error'],
] as const)('complete-on-cancel: cancelling %s answers success, but the task ends %s', async (ticker, outcome) => {
  const taskId = await init(sim, ticker);
  sim.injectFault({ kind: 'complete-on-cancel', count: 1 });
  await taskStatus(sim, taskId); // not a cancel: the count stays
  expect((await call(sim, CANCEL, { task_id: taskId })).body).toMatchObject({ result: 'success' });
  expect(await taskStatus(sim, taskId)).toMatchObject({ status: outcome });
  expect((await enabledTickers(sim)).includes(ticker)).toBe(outcome === 'Ok');
  const { cancelledTasks, okTasksByTicker, faultsInjected } = sim.stats();
  expect({ cancelledTasks, okTasksByTicker, faultsInjected }).toEqual({
    cancelledTasks: 0,
    okTasksByTicker: outcome === 'Ok' ? { [ticker]: 1 } : {},
    faultsInjected: { 'complete-on-cancel': 1 },
  });
});

test('complete-on-cancel applies to cancel only; a finished task still answers TaskFinished', async () => {
  sim.injectFault({ kind: 'complete-on-cancel' });
  expect(await listedFaults()).toEqual([{ kind: 'complete-on-cancel', method: CANCEL }]);
  const taskId = await init(sim, 'tBTC-lightning-hang');
  sim.finishTask(taskId);
  expectError(await call(sim, CANCEL, { task_id: taskId }), {
    status: 409,
    type: 'TaskFinished',
    path: 'init_l2.manager',
    data: taskId,
  });
});

test('restart-after-reply with resultStatus waits for such a reply, sends it, then restarts the node', async () => {
  const taskId = await init(sim, 'tBTC-lightning-hang');
  sim.injectFault({ kind: 'restart-after-reply', method: STATUS, resultStatus: 'Ok', count: 1 });
  expect(await taskStatus(sim, taskId)).toMatchObject({ status: 'InProgress' });
  expect(sim.stats().restarts).toBe(0);
  expect(await listedFaults()).toEqual([{ kind: 'restart-after-reply', method: STATUS, resultStatus: 'Ok', count: 1 }]);
  sim.finishTask(taskId);
  expect(await taskStatus(sim, taskId)).toMatchObject({ status: 'Ok' });
  expect(sim.stats()).toMatchObject({ restarts: 1, tasks: [], faultsInjected: { 'restart-after-reply': 1 } });
  expect((await call(sim, STATUS, { task_id: taskId })).status).toBe(400);
  expect(await enabledTickers(sim)).not.toContain('tBTC-lightning-hang');
});

test('restart-after-reply without resultStatus: the init is answered, then its task is gone', async () => {
  sim.injectFault({ kind: 'restart-after-reply', method: INIT, count: 1 });
  expect((await send(sim, initRequest)).body).toMatchObject({ result: { task_id: 0 } });
  expect(sim.stats()).toMatchObject({ restarts: 1, activeTasks: 0, tasks: [] });
});

test('the method filter matches only that method (also inside a batch)', async () => {
  sim.injectFault({ kind: 'http503', method: STATUS });
  expect((await call(sim, 'get_enabled_coins')).status).toBe(200);
  expect((await call(sim, STATUS, { task_id: 0 })).status).toBe(503);
  expect((await send(sim, [v2('get_enabled_coins'), v2(STATUS, { task_id: 0 })])).status).toBe(503);
});

test('count limits how many matching requests are affected; faults can be listed and cleared', async () => {
  sim.injectFault({ kind: 'http502', method: 'get_enabled_coins', count: 2 });
  sim.injectFault({ kind: 'http500' });
  expect(await listedFaults()).toEqual([
    { kind: 'http502', method: 'get_enabled_coins', count: 2 },
    { kind: 'http500' },
  ]);
  const statuses = [];
  for (let request = 0; request < 3; request++) statuses.push((await call(sim, 'get_enabled_coins')).status);
  expect(statuses).toEqual([502, 502, 500]);
  sim.clearFaults();
  expect((await call(sim, 'get_enabled_coins')).status).toBe(200);
  expect(sim.stats().faultsInjected).toEqual({ http502: 2, http500: 1 });
});

test('durationMs makes an outage window: every matching request fails until it expires, then none', async () => {
  sim.injectFault({ kind: 'http502', durationMs: 300 });
  sim.injectFault({ kind: 'http500', count: 5, durationMs: 300 });
  const [outage] = (await listedFaults()) as { kind: string; durationMs?: number }[];
  expect(outage).toEqual({ kind: 'http502', durationMs: expect.any(Number) });
  expect(outage?.durationMs).toBeLessThanOrEqual(300);
  for (let request = 0; request < 4; request++) expect((await call(sim, 'get_enabled_coins')).status).toBe(502);
  await new Promise((resolve) => setTimeout(resolve, 320));
  expect((await call(sim, 'get_enabled_coins')).status).toBe(200);
  expect(await listedFaults()).toEqual([]);
});

test('latencies add up and combine with another kind', async () => {
  sim.injectFault({ kind: 'latency', latencyMs: 60, count: 1 });
  sim.injectFault({ kind: 'latency', latencyMs: 60, count: 1 });
  sim.injectFault({ kind: 'http502', count: 1 });
  const started = Date.now();
  expect((await call(sim, 'get_enabled_coins')).status).toBe(502);
  expect(Date.now() - started).toBeGreaterThanOrEqual(110);
});

test('probability 0 never fires; probability 1 always does', async () => {
  sim.injectFault({ kind: 'http500', probability: 0 });
  for (let request = 0; request < 20; request++) expect((await call(sim, 'get_enabled_coins')).status).toBe(200);
  sim.injectFault({ kind: 'http503', probability: 1 });
  expect((await call(sim, 'get_enabled_coins')).status).toBe(503);
});

test('a fractional probability affects some requests and not others', async () => {
  sim.injectFault({ kind: 'http500', probability: 0.5 });
  const statuses = new Set<number>();
  for (let request = 0; request < 60; request++) statuses.add((await call(sim, 'get_enabled_coins')).status);
  expect([...statuses].sort()).toEqual([200, 500]);
});

test('admin requests are never faulted', async () => {
  sim.injectFault({ kind: 'reset' });
  const stats = await fetch(new URL('__sim/stats', sim.url));
  expect(stats.status).toBe(200);
});

test('an invalid fault is refused with a message naming the field', async () => {
  expect(() => sim.injectFault({ kind: 'latency' })).toThrow(FaultError);
  expect(() => sim.injectFault({ kind: 'latency' })).toThrow(/latencyMs/);
  expect(() => sim.injectFault({ kind: 'explode' as 'reset' })).toThrow(/kind/);
  expect(() => sim.injectFault({ kind: 'reset', probability: 2 })).toThrow(/probability/);
  expect(() => sim.injectFault({ kind: 'reset', count: 0 })).toThrow(/count/);
  expect(() => sim.injectFault({ kind: 'reset', durationMs: -1 })).toThrow(/durationMs/);
  expect(() => sim.injectFault({ kind: 'slow-reply' })).toThrow(/latencyMs/);
  expect(() => sim.injectFault({ kind: 'reset', resultStatus: 'Ok' })).toThrow(/resultStatus/);
  expect(() => sim.injectFault({ kind: 'complete-on-cancel', method: STATUS })).toThrow(/method/);
});
