/** KDF's task manager semantics (contract §3, §4.3, §6) over raw HTTP. */
import { LIGHTNING_PHASES, startSimulator, type RunningSimulator, type Scenario } from '../../simulator/index.js';
import {
  CANCEL,
  INIT,
  STATUS,
  USERPASS,
  activation,
  call,
  enabledTickers,
  expectError,
  finished,
  init,
  send,
  sleep,
  taskStatus,
  v2,
  waitFor,
} from './http.js';

const simulators: RunningSimulator[] = [];

async function start(options: { phaseMs?: number; scenario?: Scenario } = { phaseMs: 20 }) {
  const simulator = await startSimulator({ userpass: USERPASS, ...options });
  simulators.push(simulator);
  return simulator;
}

afterEach(async () => {
  await Promise.all(simulators.splice(0).map((simulator) => simulator.stop()));
});

/** Polls a task until it ends, collecting the distinct InProgress phases seen. */
async function phasesUntilEnd(sim: RunningSimulator, taskId: number) {
  const seen: string[] = [];
  const end = await waitFor(
    () => taskStatus(sim, taskId),
    (status) => {
      if (status.status === 'InProgress' && seen.at(-1) !== status.details) seen.push(status.details as string);
      return status.status !== 'InProgress';
    }
  );
  return { seen, end };
}

test('a task goes through the InProgress phases in KDF order, then Ok', async () => {
  // phases long enough that a loaded machine still sees the first one and most of the others
  const sim = await start({ phaseMs: 250 });
  const { seen, end } = await phasesUntilEnd(sim, await init(sim, 'tBTC-lightning'));
  expect(seen[0]).toBe('ActivatingCoin');
  const order = seen.map((phase) => LIGHTNING_PHASES.indexOf(phase as (typeof LIGHTNING_PHASES)[number]));
  expect(order.every((index, i) => index >= 0 && (i === 0 || index > (order[i - 1] as number)))).toBe(true);
  expect(seen.length).toBeGreaterThanOrEqual(4);
  expect(end.status).toBe('Ok');
});

test('task ids come from one counter starting at 0; rejected inits use none', async () => {
  const sim = await start();
  expect(await init(sim, 'tBTC-lightning-hang')).toBe(0);
  expectError(await call(sim, INIT, { ticker: 'nope', activation_params: activation }), {
    status: 400,
    type: 'L2ConfigIsNotFound',
    path: 'init_l2.prelude',
    data: 'nope',
  });
  expect(await init(sim, 'tBTC-lightning-slow', { name: 'n', listening_port: 9736 })).toBe(1);
  expect(await init(sim, 'tBTC-lightning-hang-2')).toBe(2);
});

describe('forget_if_finished', () => {
  test('default true: the first read of a finished task returns it and forgets it', async () => {
    const sim = await start();
    const taskId = await init(sim, 'tBTC-lightning');
    await sleep(250);
    const first = await call(sim, STATUS, { task_id: taskId });
    expect((first.body as { result: { status: string } }).result.status).toBe('Ok');
    expectError(await call(sim, STATUS, { task_id: taskId }), {
      status: 400,
      type: 'NoSuchTask',
      path: 'init_l2',
      data: taskId,
    });
    expectError(await call(sim, CANCEL, { task_id: taskId }), {
      status: 404,
      type: 'NoSuchTask',
      path: 'init_l2.manager',
      data: taskId,
    });
  });

  test('an Error status is forgotten the same way', async () => {
    const sim = await start();
    const taskId = await init(sim, 'tBTC-lightning-port-in-use');
    await finished(sim, taskId);
    expect(await taskStatus(sim, taskId, true)).toMatchObject({ status: 'Error' });
    expect((await call(sim, STATUS, { task_id: taskId })).status).toBe(400);
  });

  test('InProgress is never forgotten', async () => {
    const sim = await start();
    const taskId = await init(sim, 'tBTC-lightning-hang');
    for (let read = 0; read < 3; read++)
      expect(await taskStatus(sim, taskId, true)).toEqual({ status: 'InProgress', details: 'ActivatingCoin' });
  });
});

describe('cancel', () => {
  test('a running task: success, then status is NoSuchTask and a second cancel is 404', async () => {
    // the cancel lands in the first phase however loaded the machine is
    const sim = await start({ phaseMs: 60_000 });
    const taskId = await init(sim, 'tBTC-lightning-slow');
    expect((await call(sim, CANCEL, { task_id: taskId })).body).toMatchObject({ result: 'success' });
    expectError(await call(sim, STATUS, { task_id: taskId }), {
      status: 400,
      type: 'NoSuchTask',
      path: 'init_l2',
      data: taskId,
    });
    expectError(await call(sim, CANCEL, { task_id: taskId }), {
      status: 404,
      type: 'NoSuchTask',
      path: 'init_l2.manager',
      data: taskId,
    });
    const stats = sim.stats();
    expect(stats).toMatchObject({ cancelledTasks: 1, activeTasks: 0 });
    expect(stats.tasks).toEqual([
      { id: taskId, ticker: 'tBTC-lightning-slow', state: 'Cancelled', phase: 'ActivatingCoin' },
    ]);
  });

  test('a finished task that was not forgotten: 409, and the result stays readable', async () => {
    const sim = await start();
    const taskId = await init(sim, 'tBTC-lightning');
    await finished(sim, taskId);
    expectError(await call(sim, CANCEL, { task_id: taskId }), {
      status: 409,
      type: 'TaskFinished',
      path: 'init_l2.manager',
      data: taskId,
    });
    expect(await taskStatus(sim, taskId)).toMatchObject({ status: 'Ok' });
    expect(sim.stats().cancelledTasks).toBe(0);
  });

  test('cancelling frees the listening port for the next activation', async () => {
    const sim = await start();
    await call(sim, CANCEL, { task_id: await init(sim, 'tBTC-lightning-hang', { name: 'n' }) });
    expect((await finished(sim, await init(sim, 'tBTC-lightning'))).status).toBe('Ok');
  });
});

test('registered before Ok: get_enabled_coins lists the coin while the status is still InProgress', async () => {
  const sim = await start({
    scenario: {
      coins: [
        { ticker: 'BTC', protocol: 'UTXO', enabled: true },
        {
          ticker: 'LN',
          protocol: 'LIGHTNING',
          platform: 'BTC',
          activation: { phaseMs: 10, finalPauseMs: 300, registerBeforeOkMs: 250 },
        },
      ],
    },
  });
  const taskId = await init(sim, 'LN');
  await waitFor(
    () => enabledTickers(sim),
    (tickers) => tickers.includes('LN')
  );
  expect(await taskStatus(sim, taskId)).toEqual({ status: 'InProgress', details: 'ReadingChannelsAddressesFromFile' });
  expect((await finished(sim, taskId)).status).toBe('Ok');
});

test('a cancel inside that window takes the registered coin back, like KDF cancel hook', async () => {
  const sim = await start({
    scenario: {
      coins: [
        { ticker: 'BTC', protocol: 'UTXO', enabled: true },
        {
          ticker: 'LN',
          protocol: 'LIGHTNING',
          platform: 'BTC',
          activation: { phaseMs: 5, finalPauseMs: 10_000, registerBeforeOkMs: 10_000 },
        },
      ],
    },
  });
  const taskId = await init(sim, 'LN');
  await waitFor(
    () => enabledTickers(sim),
    (tickers) => tickers.includes('LN')
  );
  await call(sim, CANCEL, { task_id: taskId });
  expect(await enabledTickers(sim)).toEqual(['BTC']);
});

describe('duplicate concurrent inits are accepted; the loser fails later (contract §3.6)', () => {
  test('same listening port: the second task fails binding it with "Address already in use"', async () => {
    const sim = await start();
    const [first, second] = await Promise.all([init(sim, 'tBTC-lightning'), init(sim, 'tBTC-lightning')]);
    expect(second).toBe((first as number) + 1);
    expect((await finished(sim, first as number)).status).toBe('Ok');
    const loser = await finished(sim, second as number);
    expect(loser).toMatchObject({
      status: 'Error',
      details: { error_type: 'Internal', error: 'I/O error Address already in use (os error 98)' },
    });
    expect(sim.stats().tasks.find(({ id }) => id === second)?.phase).toBe('InitializingPeerManager');
  });

  test('different ports: the second task fails registering the coin with L2IsAlreadyActivated', async () => {
    const sim = await start();
    const first = await init(sim, 'tBTC-lightning', { name: 'a', listening_port: 9735 });
    const second = await init(sim, 'tBTC-lightning', { name: 'b', listening_port: 9736 });
    expect((await finished(sim, first)).status).toBe('Ok');
    expect(await finished(sim, second)).toMatchObject({
      status: 'Error',
      details: { error_type: 'L2IsAlreadyActivated', error_data: 'tBTC-lightning' },
    });
    expect(await enabledTickers(sim)).toContain('tBTC-lightning');
  });

  test('KDF quirk: cancelling the loser removes the winner coin (the cancel hook looks the ticker up)', async () => {
    const sim = await start({});
    const winner = await init(sim, 'tBTC-lightning-slow', { name: 'a', listening_port: 9735 });
    const loser = await init(sim, 'tBTC-lightning-slow', { name: 'b', listening_port: 9736 });
    sim.finishTask(winner, 'ok');
    expect(await enabledTickers(sim)).toContain('tBTC-lightning-slow');
    await call(sim, CANCEL, { task_id: loser });
    expect(await enabledTickers(sim)).not.toContain('tBTC-lightning-slow');
    expect(await taskStatus(sim, winner)).toMatchObject({ status: 'Ok' });
  });
});

test('L2IsAlreadyActivated after Ok, and init works again after disable_coin', async () => {
  const sim = await start();
  await finished(sim, await init(sim, 'tBTC-lightning'));
  expectError(await call(sim, INIT, { ticker: 'tBTC-lightning', activation_params: activation }), {
    status: 400,
    type: 'L2IsAlreadyActivated',
    path: 'init_l2',
    data: 'tBTC-lightning',
  });
  await send(sim, { userpass: USERPASS, method: 'disable_coin', coin: 'tBTC-lightning' });
  expect((await finished(sim, await init(sim, 'tBTC-lightning'))).status).toBe('Ok');
});

test('scripted outcomes: hang stays in its phase, errors come at the end of their phase', async () => {
  const sim = await start();
  const hang = await init(sim, 'tBTC-lightning-hang');
  const transport = await init(sim, 'tBTC-lightning-transport-error', { name: 'n', listening_port: 1 });
  expect(await finished(sim, transport)).toEqual({
    status: 'Error',
    details: expect.objectContaining({
      error_type: 'Transport',
      error_data: 'All electrums are currently disconnected',
    }),
  });
  expect(sim.stats().tasks.find(({ id }) => id === transport)?.phase).toBe('GettingFeesFromRPC');
  expect(sim.stats().okTasksByTicker).toEqual({});
  await sleep(200);
  expect(await taskStatus(sim, hang)).toEqual({ status: 'InProgress', details: 'ActivatingCoin' });
});

test('restart wipes tasks, enabled coins, the id counter and bans', async () => {
  const sim = await start();
  await finished(sim, await init(sim, 'tBTC-lightning'));
  expect(sim.stats().okTasksByTicker).toEqual({ 'tBTC-lightning': 1 });
  const running = await init(sim, 'tBTC-lightning-hang', { name: 'n', listening_port: 9999 });
  await send(sim, { userpass: USERPASS, method: 'electrum', coin: 'tBTC-segwit-disabled', servers: [] });
  for (let attempt = 0; attempt < 10; attempt++) await send(sim, v2('get_enabled_coins', undefined, 1, 'wrong'));
  expect((await call(sim, 'get_enabled_coins')).status).toBe(403);
  const initialCoins = ['tBTC-segwit', 'tBTC-segwit-no-blocktime', 'tBTC-legacy', 'tQTUM'];

  sim.restart();

  expectError(await call(sim, STATUS, { task_id: running }), {
    status: 400,
    type: 'NoSuchTask',
    path: 'init_l2',
    data: running,
  });
  expect(await enabledTickers(sim)).toEqual(initialCoins);
  expect(await init(sim, 'tBTC-lightning')).toBe(0);
  const stats = sim.stats();
  expect(stats).toMatchObject({ restarts: 1, activeTasks: 1, tasksStartedByTicker: { 'tBTC-lightning': 1 } });
  expect(stats.okTasksByTicker).toEqual({});
  expect(stats.tasks.map(({ id }) => id)).toEqual([0]);
});

test('phase-ms overrides a slow ticker; stats follow running and finished tasks', async () => {
  const sim = await start({ phaseMs: 25 });
  const slow = await init(sim, 'tBTC-lightning-slow');
  const hang = await init(sim, 'tBTC-lightning-hang', { name: 'n', listening_port: 1 });
  expect(sim.stats()).toMatchObject({ activeTasks: 2, maxActiveTasks: 2 });
  expect((await finished(sim, slow)).status).toBe('Ok');
  const stats = sim.stats();
  expect(stats).toMatchObject({
    activeTasks: 1,
    maxActiveTasks: 2,
    initCallsByTicker: { 'tBTC-lightning-slow': 1, 'tBTC-lightning-hang': 1 },
  });
  expect(stats.tasks).toEqual([
    { id: slow, ticker: 'tBTC-lightning-slow', state: 'Ok', phase: 'ReadingChannelsAddressesFromFile' },
    { id: hang, ticker: 'tBTC-lightning-hang', state: 'InProgress', phase: 'ActivatingCoin' },
  ]);
});

test('finishTask forces Ok or Error now, and refuses tasks that are not running', async () => {
  const sim = await start();
  const toOk = await init(sim, 'tBTC-lightning-hang');
  const toError = await init(sim, 'tBTC-lightning-hang-2', { name: 'n', listening_port: 1 });
  sim.finishTask(toOk);
  sim.finishTask(toError, 'error');
  expect(await taskStatus(sim, toOk)).toMatchObject({ status: 'Ok', details: { platform_coin: 'tBTC-segwit' } });
  expect(await taskStatus(sim, toError)).toMatchObject({ status: 'Error', details: { error_type: 'Internal' } });
  expect(await enabledTickers(sim)).toContain('tBTC-lightning-hang');
  expect(() => sim.finishTask(toOk)).toThrow('task 0 is not running');
  expect(() => sim.finishTask(42, 'ok')).toThrow('task 42 is not running');
});

test('fifty simulators run side by side in one process, each with its own tasks and ids', async () => {
  const nodes = await Promise.all(Array.from({ length: 50 }, () => start({ phaseMs: 5 })));
  expect(new Set(nodes.map(({ port }) => port)).size).toBe(50);
  const taskIds = await Promise.all(nodes.map((node) => init(node, 'tBTC-lightning')));
  expect(taskIds).toEqual(Array(50).fill(0));
  const ends = await Promise.all(nodes.map((node, index) => finished(node, taskIds[index] as number)));
  expect(new Set(ends.map(({ details }) => (details as { address: string }).address)).size).toBe(50);
});
