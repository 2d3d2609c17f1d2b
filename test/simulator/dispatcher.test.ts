/** KDF's HTTP endpoint and dispatcher (contract §1, §6): order of checks, auth and bans, legacy routing, batches. */
import { parseScenario, defaultScenario, startSimulator, type RunningSimulator } from '../../simulator/index.js';
import { Simulator } from '../../simulator/simulator.js';
import { INIT, STATUS, USERPASS, activation, call, expectError, send, v2 } from './http.js';

let sim: RunningSimulator;

beforeEach(async () => {
  sim = await startSimulator({ userpass: USERPASS, phaseMs: 20 });
});

afterEach(async () => {
  await sim.stop();
});

const wrong = (method = 'get_enabled_coins') => send(sim, v2(method, undefined, 1, 'wrong'));

describe('order of checks: envelope → localhost → ban → auth → method → params → handler', () => {
  test('an envelope error beats a wrong userpass', async () => {
    const reply = await send(sim, { ...v2('nope', undefined, 1, 'wrong'), rpc_pass: 'x' });
    expectError(reply, {
      status: 400,
      type: 'InvalidRequest',
      path: 'dispatcher',
      id: null,
      data: expect.stringContaining('unknown field `rpc_pass`'),
    });
  });

  test('a wrong userpass beats an unknown method (403, not 400)', async () => {
    expectError(await wrong('no_such_method'), {
      status: 403,
      type: 'UserpassIsInvalid',
      path: 'rate_limiter',
      data: { error_type: 'NbAttemptsLeft', error_data: 9 },
    });
  });

  test('a missing userpass is UserpassIsNotSet without error_data and does not count towards a ban', async () => {
    for (let attempt = 0; attempt < 12; attempt++) {
      const { userpass: _omitted, ...request } = v2('get_enabled_coins');
      expectError(await send(sim, request), {
        status: 403,
        type: 'UserpassIsNotSet',
        path: 'dispatcher',
        message: 'Userpass is not set!',
      });
    }
    expect((await call(sim, 'get_enabled_coins')).status).toBe(200);
  });

  test('an unknown method beats bad params; bad params come before the handler', async () => {
    expectError(await call(sim, 'no_such_method', 'not a struct'), {
      status: 400,
      type: 'NoSuchMethod',
      path: 'dispatcher',
    });
    expectError(await call(sim, INIT, { ticker: 'unknown-ticker' }), {
      status: 400,
      type: 'InvalidRequest',
      path: 'dispatcher',
      data: 'missing field `activation_params`',
    });
    expect(sim.stats().initCallsByTicker).toEqual({});
  });

  test('non-loopback callers get 403 LocalHostOnly before the ban and auth checks', () => {
    const simulator = new Simulator(USERPASS, parseScenario(defaultScenario), undefined);
    try {
      const reply = simulator.dispatch(v2('get_enabled_coins', undefined, 3, 'wrong'), '192.0.2.7');
      expect(reply.status).toBe(403);
      expect(reply.body).toMatchObject({ error_type: 'LocalHostOnly', id: 3 });
      expect(reply.body).not.toHaveProperty('error_data');
      expect(simulator.dispatch({ method: 'version' }, '192.0.2.7').status).toBe(200);
      expect(simulator.dispatch({ userpass: USERPASS, method: 'get_enabled_coins' }, '192.0.2.7')).toEqual({
        status: 500,
        body: { error: expect.stringContaining('Selected method can be called from localhost only!') },
      });
    } finally {
      simulator.shutdown();
    }
  });
});

test('ten wrong userpasses count down 9..0, then the IP is banned even with the right one', async () => {
  for (let left = 9; left >= 0; left--) {
    expectError(await wrong(), {
      status: 403,
      type: 'UserpassIsInvalid',
      path: 'rate_limiter',
      data: { error_type: 'NbAttemptsLeft', error_data: left },
      message: `attempts left: ${left}`,
    });
  }
  expectError(await call(sim, 'get_enabled_coins'), {
    status: 403,
    type: 'Banned',
    path: 'rate_limiter',
    message: 'Your ip is banned.',
  });
  const legacy = await send(sim, { userpass: USERPASS, method: 'get_enabled_coins' });
  expect(legacy.status).toBe(500);
  expect(legacy.body).toEqual({ error: expect.stringContaining('Selected method is not allowed: Your IP is banned.') });
  // public methods skip the ban together with the userpass check
  expect((await send(sim, { method: 'version' })).status).toBe(200);
});

describe('envelope', () => {
  test.each([
    [{ id: 5 }, 5],
    [{ id: 0 }, 0],
    [{}, null],
    [{ id: null }, null],
  ])('id %j is echoed as %j', async (idField, echoed) => {
    const { id: _id, ...request } = v2('get_enabled_coins');
    const reply = await send(sim, { ...request, ...idField });
    expect(reply.body).toMatchObject({ mmrpc: '2.0', id: echoed });
  });

  test.each([
    ['a string id', { id: '1' }, 'invalid type: string "1", expected usize'],
    ['a negative id', { id: -1 }, 'invalid value: integer `-1`, expected usize'],
    [
      'an unknown key',
      { client_id: 1 },
      'unknown field `client_id`, expected one of `mmrpc`, `userpass`, `method`, `params`, `id`',
    ],
    ['a missing method', { method: undefined }, 'missing field `method`'],
  ])('%s is a 400 InvalidRequest with id null', async (_name, change, serde) => {
    const reply = await send(sim, { ...v2('get_enabled_coins'), ...change });
    expectError(reply, { status: 400, type: 'InvalidRequest', path: 'dispatcher', id: null, data: serde });
  });

  test('mmrpc other than "2.0" is InvalidMmRpcVersion', async () => {
    const reply = await send(sim, { ...v2('get_enabled_coins'), mmrpc: '1.0' });
    expectError(reply, {
      status: 400,
      type: 'InvalidMmRpcVersion',
      path: 'dispatcher',
      id: null,
      data: 'unknown variant `1.0`, expected `2.0`',
    });
  });
});

describe('legacy routing (no mmrpc)', () => {
  test('a missing or wrong userpass is HTTP 500 {"error"} and counts towards the ban', async () => {
    const missing = await send(sim, { method: 'get_enabled_coins' });
    expect(missing.status).toBe(500);
    expect(missing.body).toEqual({ error: expect.stringContaining('Userpass is not set!') });
    const bad = await send(sim, { userpass: 'wrong', method: 'disable_coin', coin: 'tBTC-segwit' });
    expect(bad.status).toBe(500);
    expect(bad.body).toEqual({ error: expect.stringContaining('Userpass is invalid! - Rate Limit attempts left: 9') });
    expectError(await wrong(), {
      status: 403,
      type: 'UserpassIsInvalid',
      path: 'rate_limiter',
      data: { error_type: 'NbAttemptsLeft', error_data: 8 },
    });
  });

  test('a v2 method without mmrpc is re-dispatched as v2 and answered with a v2 envelope', async () => {
    const { mmrpc: _mmrpc, ...request } = v2(STATUS, { task_id: 5 }, 4);
    expectError(await send(sim, request), { status: 400, type: 'NoSuchTask', path: 'init_l2', id: 4, data: 5 });
    // "mmrpc": null routes like an absent key: get_enabled_coins then has its legacy shape
    const nullVersion = await send(sim, { ...v2('get_enabled_coins'), mmrpc: null });
    expect(nullVersion.body).toEqual({
      result: expect.arrayContaining([{ ticker: 'tBTC-segwit', address: expect.any(String) }]),
    });
  });

  test('flat params of a v2 method sent the legacy way are unknown envelope fields', async () => {
    const reply = await send(sim, {
      userpass: USERPASS,
      method: INIT,
      ticker: 'tBTC-lightning',
      activation_params: activation,
    });
    expectError(reply, {
      status: 400,
      type: 'InvalidRequest',
      path: 'dispatcher',
      id: null,
      data: expect.stringContaining('unknown field `ticker`'),
    });
  });

  test('an unknown method goes to v2 and is NoSuchMethod', async () => {
    expectError(await send(sim, { userpass: USERPASS, method: 'stop_everything' }), {
      status: 400,
      type: 'NoSuchMethod',
      path: 'dispatcher',
      id: null,
    });
  });
});

describe('HTTP', () => {
  test('OPTIONS answers 200 with the CORS headers', async () => {
    const reply = await send(sim, undefined, { method: 'OPTIONS' });
    expect(reply.status).toBe(200);
    expect(
      Object.fromEntries(
        [
          'access-control-allow-origin',
          'access-control-allow-methods',
          'access-control-allow-headers',
          'access-control-max-age',
        ].map((h) => [h, reply.headers.get(h)])
      )
    ).toEqual({
      'access-control-allow-origin': 'http://localhost:3000',
      'access-control-allow-methods': 'POST, OPTIONS',
      'access-control-allow-headers': 'Content-Type',
      'access-control-max-age': '3600',
    });
  });

  test.each(['GET', 'PUT', 'DELETE'])('%s is HTTP 500 "Only POST requests are supported!"', async (method) => {
    const reply = await send(sim, undefined, { method, path: 'any/path' });
    expect(reply.status).toBe(500);
    expect(reply.body).toEqual({ error: expect.stringContaining('Only POST requests are supported!') });
  });

  test.each(['not json', '', '{"mmrpc":'])('a body that is not JSON (%j) is HTTP 500 {"error"}', async (body) => {
    const reply = await send(sim, body);
    expect(reply.status).toBe(500);
    expect(Object.keys(reply.body as object)).toEqual(['error']);
  });

  test('replies carry the CORS origin; v2 replies have no Content-Type; any path is the RPC endpoint', async () => {
    const reply = await send(sim, v2('get_enabled_coins'), { path: 'some/where' });
    expect(reply.status).toBe(200);
    expect(reply.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
    expect(reply.headers.get('content-type')).toBeNull();
  });

  test('a batch answers every element in order with HTTP 200; per-element statuses are lost', async () => {
    const reply = await send(sim, [
      v2('get_enabled_coins', undefined, 1),
      v2('no_such_method', undefined, 2),
      { userpass: 'wrong', method: 'version_x' },
      v2(STATUS, { task_id: 9 }, 3),
    ]);
    expect(reply.status).toBe(200);
    const [coins, noMethod, legacy, noTask] = reply.body as Record<string, unknown>[];
    expect(coins).toMatchObject({ mmrpc: '2.0', id: 1, result: { coins: expect.any(Array) } });
    expect(noMethod).toMatchObject({ error_type: 'NoSuchMethod', id: 2 });
    expect(legacy).toEqual({ error: expect.stringContaining('Userpass is invalid!') });
    expect(noTask).toMatchObject({ error_type: 'NoSuchTask', id: 3 });
    expect(sim.stats().calls).toEqual({ get_enabled_coins: 1, no_such_method: 1, version_x: 1, [STATUS]: 1 });
    expect((await send(sim, [])).body).toEqual([]);
  });

  test('stop() closes connections, ends pending latency faults at once, and can be called twice', async () => {
    const other = await startSimulator({ userpass: USERPASS });
    expect((await send(other, v2('get_enabled_coins'))).status).toBe(200);
    other.injectFault({ kind: 'latency', latencyMs: 60_000 });
    const pending = send(other, v2('get_enabled_coins'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const started = Date.now();
    await other.stop();
    await other.stop();
    expect(Date.now() - started).toBeLessThan(1_000);
    await expect(pending).rejects.toThrow();
    await expect(send(other, v2('get_enabled_coins'))).rejects.toThrow();
  });

  test('calls are counted per method for every request that reached the dispatcher', async () => {
    await call(sim, 'get_enabled_coins');
    await wrong();
    await send(sim, 'not json');
    await send(sim, { method: 'version' });
    expect(sim.stats().calls).toEqual({ get_enabled_coins: 2, version: 1 });
  });
});
