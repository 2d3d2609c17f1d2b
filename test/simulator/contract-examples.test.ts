/**
 * Every request/response example of the KDF docs page (reference/kdf-lightning-initialization-tasks.txt) and of
 * the contract (kdf-rpc-contract.md), replayed over raw HTTP against an in-process simulator. Where the docs and
 * the contract disagree, the contract (read from KDF's source) wins; each such case says so.
 */
import { startSimulator, type RunningSimulator } from '../../simulator/index.js';
import {
  CANCEL,
  INIT,
  STATUS,
  USERPASS,
  USER_ACTION,
  activation,
  call,
  enabledTickers,
  expectError,
  finished,
  init,
  send,
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

const initParams = (ticker: string, activationParams: object = activation) => ({
  ticker,
  activation_params: activationParams,
});

describe('docs page: task::enable_lightning::init', () => {
  test('success: task_id is an integer, ids start at 0 and the request id is echoed (the docs show 1 and null)', async () => {
    const params = initParams('tBTC-lightning', {
      name: 'KomoDeFi-Docs-Node-1',
      listening_port: 9735,
      color: '000000',
      payment_retries: 5,
    });
    const reply = await call(sim, INIT, params, 2);
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ mmrpc: '2.0', result: { task_id: 0 }, id: 2 });
  });

  test('coin not in the coins file: 400 L2ConfigIsNotFound carrying the ticker', async () => {
    const reply = await call(sim, INIT, initParams('tBTC-lightning-unknown'), 2);
    expectError(reply, {
      status: 400,
      type: 'L2ConfigIsNotFound',
      path: 'init_l2.prelude',
      id: 2,
      data: 'tBTC-lightning-unknown',
    });
    expect((reply.body as { error: string }).error).toBe('Layer 2 tBTC-lightning-unknown config is not found');
  });

  test('a parameter of the wrong type: 400 InvalidRequest from the dispatcher', async () => {
    const reply = await call(sim, INIT, initParams('tBTC-lightning', { name: 'n', listening_port: '9735' }), 762);
    const serde = 'invalid type: string "9735", expected u16';
    expectError(reply, { status: 400, type: 'InvalidRequest', path: 'dispatcher', id: 762, data: serde });
    expect((reply.body as { error: string }).error).toBe(`Error parsing request: ${serde}`);
  });

  test('wrong protocol type: 400 UnexpectedL2Protocol with ticker and protocol object', async () => {
    // the docs use tBTC-segwit, but KDF checks "already enabled" first (init_l2.rs: lp_coinfind), so the example
    // needs a UTXO coin that is not enabled; the text prints the protocol as JSON, not the docs' bare "UTXO"
    const reply = await call(sim, INIT, initParams('tBTC-segwit-disabled'), 2);
    expectError(reply, {
      status: 400,
      type: 'UnexpectedL2Protocol',
      path: 'init_l2.prelude.lightning_activation',
      id: 2,
      data: { ticker: 'tBTC-segwit-disabled', protocol: { type: 'UTXO' } },
      message: 'Unexpected layer 2 protocol {"type":"UTXO"} for tBTC-segwit-disabled',
    });
  });

  test('an enabled non-lightning ticker is L2IsAlreadyActivated, as in KDF source', async () => {
    const reply = await call(sim, INIT, initParams('tBTC-segwit'), 2);
    expectError(reply, { status: 400, type: 'L2IsAlreadyActivated', path: 'init_l2', id: 2, data: 'tBTC-segwit' });
  });

  test('address already in use: a 200 status reply whose result is an Error status with an Internal error object', async () => {
    const taskId = await init(sim, 'tBTC-lightning-port-in-use');
    await finished(sim, taskId);
    const reply = await call(sim, STATUS, { task_id: taskId, forget_if_finished: false }, 7);
    expect(reply.status).toBe(200);
    const body = reply.body as {
      mmrpc: string;
      id: number;
      result: { status: string; details: Record<string, unknown> };
    };
    expect(body).toMatchObject({ mmrpc: '2.0', id: 7, result: { status: 'Error' } });
    expect(Object.keys(body.result.details).sort()).toEqual([
      'error',
      'error_data',
      'error_path',
      'error_trace',
      'error_type',
    ]);
    expect(body.result.details).toMatchObject({
      error: 'I/O error Address already in use (os error 98)',
      error_path: 'init_l2.lightning_activation.ln_p2p',
      error_type: 'Internal',
      error_data: 'I/O error Address already in use (os error 98)',
    });
  });

  test('platform coin not activated: 400 PlatformCoinIsNotActivated carrying the lightning ticker (quirk)', async () => {
    const reply = await call(sim, INIT, initParams('tBTC-lightning-no-platform'), 2);
    expectError(reply, {
      status: 400,
      type: 'PlatformCoinIsNotActivated',
      path: 'init_l2.lp_coins',
      id: 2,
      data: 'tBTC-lightning-no-platform',
      message: 'Platform coin tBTC-lightning-no-platform is not activated',
    });
  });

  test('platform config misses avg_blocktime: 500 InvalidPlatformConfiguration', async () => {
    const reply = await call(sim, INIT, initParams('tBTC-lightning-bad-platform'), 2);
    const err = "'avg_blocktime' field is not found in platform coin config";
    expectError(reply, {
      status: 500,
      type: 'InvalidPlatformConfiguration',
      path: 'init_l2.lightning_activation',
      id: 2,
      data: { platform_coin_ticker: 'tBTC-segwit-no-blocktime', err },
      message: `Invalid config for platform coin: tBTC-segwit-no-blocktime, error: ${err}`,
    });
  });
});

describe('docs page: status and cancel', () => {
  test('Ok with forget_if_finished false: platform coin, 66-hex node id, string balances; readable again', async () => {
    const taskId = await init(sim, 'tBTC-lightning');
    await finished(sim, taskId);
    for (let read = 0; read < 2; read++) {
      const reply = await call(sim, STATUS, { task_id: taskId, forget_if_finished: false }, 2);
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual({
        mmrpc: '2.0',
        result: {
          status: 'Ok',
          details: {
            platform_coin: 'tBTC-segwit',
            address: expect.stringMatching(/^[0-9a-f]{66}$/),
            balance: { spendable: '0', unspendable: '0' },
          },
        },
        id: 2,
      });
    }
  });

  test('InProgress: details is one of the eight documented phase strings', async () => {
    const taskId = await init(sim, 'tBTC-lightning-hang');
    const reply = await call(sim, STATUS, { task_id: taskId, forget_if_finished: false }, 2);
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ mmrpc: '2.0', result: { status: 'InProgress', details: 'ActivatingCoin' }, id: 2 });
  });

  test('cancel: result "success"', async () => {
    const taskId = await init(sim, 'tBTC-lightning-hang');
    const reply = await call(sim, CANCEL, { task_id: taskId }, 1);
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ mmrpc: '2.0', result: 'success', id: 1 });
  });

  test('cancel of a finished task: 409 TaskFinished carrying the task id', async () => {
    const taskId = await init(sim, 'tBTC-lightning');
    await finished(sim, taskId);
    const reply = await call(sim, CANCEL, { task_id: taskId }, 1);
    expectError(reply, {
      status: 409,
      type: 'TaskFinished',
      path: 'init_l2.manager',
      data: taskId,
      message: 'Task is finished already',
    });
  });
});

describe('contract §1: envelopes and dispatcher errors', () => {
  test('§1.3 error example: L2ConfigIsNotFound for LNBTC with id 42', async () => {
    const reply = await call(sim, INIT, initParams('LNBTC'), 42);
    expectError(reply, { status: 400, type: 'L2ConfigIsNotFound', path: 'init_l2.prelude', id: 42, data: 'LNBTC' });
    expect((reply.body as { error: string }).error).toBe('Layer 2 LNBTC config is not found');
  });

  test('§1.4 wrong password: 403 UserpassIsInvalid with nested NbAttemptsLeft', async () => {
    const reply = await send(sim, v2('get_enabled_coins', undefined, 1, 'wrong'));
    expectError(reply, {
      status: 403,
      type: 'UserpassIsInvalid',
      path: 'rate_limiter',
      data: { error_type: 'NbAttemptsLeft', error_data: 9 },
      message: 'Userpass is invalid! - Rate Limit attempts left: 9',
    });
  });

  test('§1.4 unknown method: 400 NoSuchMethod without an error_data key', async () => {
    const reply = await call(sim, 'no_such_method');
    expectError(reply, { status: 400, type: 'NoSuchMethod', path: 'dispatcher', message: 'No such method' });
  });
});

describe('contract §2.0: params deserialization failures are 400 InvalidRequest', () => {
  test.each([
    [INIT, undefined, 'invalid type: null, expected struct InitL2Req'],
    [STATUS, { task_id: '1' }, 'invalid type: string "1", expected u64'],
    [STATUS, { task_id: -1 }, 'invalid value: integer `-1`, expected u64'],
    [
      INIT,
      initParams('tBTC-lightning', { name: 'n', listening_port: 70000 }),
      'invalid value: integer `70000`, expected u16',
    ],
    [INIT, { activation_params: activation }, 'missing field `ticker`'],
    [INIT, { ticker: 'tBTC-lightning' }, 'missing field `activation_params`'],
    [INIT, initParams('tBTC-lightning', {}), 'missing field `name`'],
    [CANCEL, {}, 'missing field `task_id`'],
    ['get_enabled_coins', {}, 'invalid type: map, expected unit struct GetEnabledCoinsRequest'],
  ])('%s %j → %s', async (method, params, serde) => {
    const reply = await call(sim, method, params);
    expectError(reply, {
      status: 400,
      type: 'InvalidRequest',
      path: 'dispatcher',
      data: serde,
      message: `Error parsing request: ${serde}`,
    });
  });
});

describe('contract §2.1: init checks in order', () => {
  test.each([
    [
      'tBTC-lightning-bad-protocol',
      500,
      'L2ProtocolParseError',
      'init_l2.prelude',
      { ticker: 'tBTC-lightning-bad-protocol', error: 'missing field `network`' },
    ],
    ['tBTC-lightning-bad-config', 500, 'L2ConfigParseError', 'init_l2.prelude', 'invalid type: null, expected u8'],
    [
      'tBTC-lightning-unsupported-platform',
      500,
      'UnsupportedPlatformCoin',
      'init_l2.lightning_activation',
      { platform_coin_ticker: 'tQTUM', l2_ticker: 'tBTC-lightning-unsupported-platform' },
    ],
    [
      'tBTC-lightning-not-segwit',
      500,
      'Internal',
      'init_l2.lightning_activation',
      'Lightning network is only supported in segwit mode',
    ],
  ])('%s → %d %s', async (ticker, status, type, path, data) => {
    expectError(await call(sim, INIT, initParams(ticker)), { status, type, path, data });
  });

  test.each([
    [{ name: 'x'.repeat(33) }, "Invalid request: Node name length can't be more than 32 characters"],
    [{ name: 'é'.repeat(17) }, "Invalid request: Node name length can't be more than 32 characters"],
    [{ name: 'n', color: '#00000' }, 'Invalid request: Invalid Hex Color'],
    [{ name: 'n', color: 'zzzzzz' }, 'Invalid request: Invalid Hex Color'],
  ])('activation params %j → 500 Internal "%s"', async (params, message) => {
    const reply = await call(sim, INIT, initParams('tBTC-lightning', params));
    expectError(reply, { status: 500, type: 'Internal', path: 'init_l2.lightning_activation', data: message, message });
  });

  test('a 32-byte name, unknown fields and null optionals are accepted', async () => {
    const params = { name: 'x'.repeat(32), color: 'A0b1C2', listening_port: null, surprise: true };
    const reply = await call(sim, INIT, { ...initParams('tBTC-lightning', params), extra: 1 });
    expect(reply.status).toBe(200);
  });

  test('L2IsAlreadyActivated once the coin is enabled', async () => {
    await finished(sim, await init(sim, 'tBTC-lightning'));
    const reply = await call(sim, INIT, initParams('tBTC-lightning'));
    expectError(reply, {
      status: 400,
      type: 'L2IsAlreadyActivated',
      path: 'init_l2',
      data: 'tBTC-lightning',
      message: 'Layer 2 tBTC-lightning is already activated',
    });
  });
});

describe('contract §2.2–§2.4: status, cancel and user_action errors', () => {
  test('status of an unknown task: 400 NoSuchTask carrying the id as a number', async () => {
    expectError(await call(sim, STATUS, { task_id: 99 }), {
      status: 400,
      type: 'NoSuchTask',
      path: 'init_l2',
      data: 99,
      message: "No such task '99'",
    });
  });

  test('cancel of an unknown task: 404 NoSuchTask', async () => {
    expectError(await call(sim, CANCEL, { task_id: 99 }), {
      status: 404,
      type: 'NoSuchTask',
      path: 'init_l2.manager',
      data: 99,
    });
  });

  test('user_action: 500 Internal on a running task, 400 NoSuchTask on an unknown one', async () => {
    const taskId = await init(sim, 'tBTC-lightning-hang');
    const action = { action_type: 'TrezorPin', pin: '1234' };
    const running = await call(sim, USER_ACTION, { task_id: taskId, user_action: action });
    const detail = `RPC '${taskId}' task is in unexpected status. Actual: 'InProgress', expected: 'AwaitingUserAction'`;
    expectError(running, {
      status: 500,
      type: 'Internal',
      path: 'init_l2.manager',
      data: detail,
      message: `Internal error: ${detail}`,
    });
    expectError(await call(sim, USER_ACTION, { task_id: 99, user_action: action }), {
      status: 400,
      type: 'NoSuchTask',
      path: 'init_l2',
      data: 99,
    });
  });

  test('user_action with an unknown action type is an InvalidRequest', async () => {
    const reply = await call(sim, USER_ACTION, { task_id: 0, user_action: { action_type: 'Nod' } });
    expectError(reply, {
      status: 400,
      type: 'InvalidRequest',
      path: 'dispatcher',
      data: 'unknown variant `Nod`, expected `TrezorPin` or `TrezorPassphrase`',
    });
  });
});

describe('contract §2.5–§2.7: coins and version', () => {
  test('get_enabled_coins v2 lists tickers only; params null is accepted', async () => {
    const reply = await call(sim, 'get_enabled_coins', null, 7);
    expect(reply.status).toBe(200);
    const body = reply.body as { result: { coins: object[] }; id: number };
    expect(body.id).toBe(7);
    expect(body.result.coins).toContainEqual({ ticker: 'tBTC-segwit' });
    for (const coin of body.result.coins) expect(Object.keys(coin)).toEqual(['ticker']);
  });

  test('legacy get_enabled_coins adds the address; for lightning it is the node id', async () => {
    const taskId = await init(sim, 'tBTC-lightning');
    const { details } = await finished(sim, taskId);
    const reply = await send(sim, { userpass: USERPASS, method: 'get_enabled_coins' });
    expect(reply.status).toBe(200);
    const coins = (reply.body as { result: { ticker: string; address: string }[] }).result;
    expect(coins).toContainEqual({ ticker: 'tBTC-lightning', address: (details as { address: string }).address });
    expect(coins.find(({ ticker }) => ticker === 'tBTC-segwit')?.address).toEqual(expect.any(String));
  });

  test('disable_coin: lightning coin removed, not passivized; a new init then succeeds with the same node id', async () => {
    const first = await finished(sim, await init(sim, 'tBTC-lightning'));
    const reply = await send(sim, {
      userpass: USERPASS,
      method: 'disable_coin',
      coin: 'tBTC-lightning',
      force_disable: false,
    });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ result: { coin: 'tBTC-lightning', cancelled_orders: [], passivized: false } });
    expect(await enabledTickers(sim)).not.toContain('tBTC-lightning');
    const second = await finished(sim, await init(sim, 'tBTC-lightning'));
    expect(second).toEqual(first);
  });

  test('disable_coin of a platform with dependents passivizes it; force removes it with its dependents', async () => {
    await finished(sim, await init(sim, 'tBTC-lightning'));
    const passive = await send(sim, { userpass: USERPASS, method: 'disable_coin', coin: 'tBTC-segwit' });
    expect(passive.body).toEqual({ result: { coin: 'tBTC-segwit', cancelled_orders: [], passivized: true } });
    expect(await enabledTickers(sim)).toEqual(expect.arrayContaining(['tBTC-segwit', 'tBTC-lightning']));
    // passive coins are invisible to the platform lookup (§3.6)
    await send(sim, { userpass: USERPASS, method: 'disable_coin', coin: 'tBTC-lightning' });
    expectError(await call(sim, INIT, initParams('tBTC-lightning')), {
      status: 400,
      type: 'PlatformCoinIsNotActivated',
      path: 'init_l2.lp_coins',
      data: 'tBTC-lightning',
    });

    await send(sim, { userpass: USERPASS, method: 'electrum', coin: 'tBTC-segwit', servers: [] });
    await finished(sim, await init(sim, 'tBTC-lightning'));
    const forced = await send(sim, {
      userpass: USERPASS,
      method: 'disable_coin',
      coin: 'tBTC-segwit',
      force_disable: true,
    });
    expect(forced.body).toEqual({ result: { coin: 'tBTC-segwit', cancelled_orders: [], passivized: false } });
    const tickers = await enabledTickers(sim);
    expect(tickers).not.toContain('tBTC-segwit');
    expect(tickers).not.toContain('tBTC-lightning');
  });

  test('disable_coin errors are HTTP 500 {"error"}; an unknown coin adds orders and active_swaps', async () => {
    const unknown = await send(sim, { userpass: USERPASS, method: 'disable_coin', coin: 'NOPE' });
    expect(unknown.status).toBe(500);
    expect(unknown.body).toEqual({
      error: 'No such coin: NOPE',
      orders: { matching: [], cancelled: [] },
      active_swaps: [],
    });
    const missing = await send(sim, { userpass: USERPASS, method: 'disable_coin' });
    expect(missing.status).toBe(500);
    expect(missing.body).toEqual({ error: expect.stringContaining("No 'coin' field") });
  });

  test('disable_coin, version and other legacy-only methods are NoSuchMethod with mmrpc 2.0', async () => {
    for (const method of ['disable_coin', 'version']) {
      expectError(await call(sim, method, { coin: 'tBTC-segwit' }), {
        status: 400,
        type: 'NoSuchMethod',
        path: 'dispatcher',
      });
    }
  });

  test('legacy version needs no userpass', async () => {
    const reply = await send(sim, { method: 'version' });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({
      result: expect.stringMatching(/^\d+\.\d+\.\d+-beta_\w+$/),
      datetime: expect.any(String),
    });
    expect(Number.isNaN(Date.parse((reply.body as { datetime: string }).datetime))).toBe(false);
  });
});

test('contract §4.4 happy-path sequence on a node whose platform coin starts disabled', async () => {
  const node = await startSimulator({
    userpass: USERPASS,
    phaseMs: 15,
    scenario: {
      coins: [
        { ticker: 'tBTC-TEST-segwit', protocol: 'UTXO' },
        { ticker: 'tBTC-TEST-lightning', protocol: 'LIGHTNING', platform: 'tBTC-TEST-segwit' },
      ],
    },
  });
  try {
    expect(await enabledTickers(node)).toEqual([]);
    const enable = await send(node, {
      userpass: USERPASS,
      method: 'electrum',
      coin: 'tBTC-TEST-segwit',
      servers: [{ url: 'electrum1.cipig.net:10068' }],
      mm2: 1,
      tx_history: false,
    });
    expect(enable.status).toBe(200);
    expect(enable.body).toMatchObject({ result: 'success', coin: 'tBTC-TEST-segwit', address: expect.any(String) });
    expect(await enabledTickers(node)).toEqual(['tBTC-TEST-segwit']);

    const taskId = await init(node, 'tBTC-TEST-lightning', { name: 'node-1' });
    const seen: string[] = [];
    const done = await waitFor(
      () => taskStatus(node, taskId),
      (status) => {
        if (status.status === 'InProgress' && seen.at(-1) !== status.details) seen.push(status.details as string);
        return status.status !== 'InProgress';
      }
    );
    expect(seen[0]).toBe('ActivatingCoin');
    expect(done).toMatchObject({ status: 'Ok', details: { platform_coin: 'tBTC-TEST-segwit' } });
    expect(await enabledTickers(node)).toContain('tBTC-TEST-lightning');
    expectError(await call(node, INIT, initParams('tBTC-TEST-lightning')), {
      status: 400,
      type: 'L2IsAlreadyActivated',
      path: 'init_l2',
      data: 'tBTC-TEST-lightning',
    });

    const disable = await send(node, { userpass: USERPASS, method: 'disable_coin', coin: 'tBTC-TEST-lightning' });
    expect(disable.body).toEqual({ result: { coin: 'tBTC-TEST-lightning', cancelled_orders: [], passivized: false } });
    const again = await finished(node, await init(node, 'tBTC-TEST-lightning', { name: 'node-1' }));
    expect((again.details as { address: string }).address).toBe((done.details as { address: string }).address);
  } finally {
    await node.stop();
  }
});
