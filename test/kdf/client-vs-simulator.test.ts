import { setTimeout as sleep } from 'node:timers/promises';
import {
  KdfProtocolError,
  KdfRpcError,
  KdfTransportError,
  LightningActivationPhases,
  createKdfClient,
} from '../../activities/kdf/index.js';
import type { KdfClient, LightningTaskStatus } from '../../activities/kdf/index.js';
import { startSimulator } from '../../simulator/index.js';
import type { RunningSimulator } from '../../simulator/index.js';

const userpass = 'simulated-userpass';
const activation = (ticker: string) => ({ ticker, activation_params: { name: 'kdf-client-test' } });

let simulator: RunningSimulator;
let client: KdfClient;
beforeAll(async () => {
  simulator = await startSimulator({ userpass, phaseMs: 20 });
  client = createKdfClient({ id: 'sim', url: simulator.url, userpass, requestTimeoutMs: 2_000 });
});
afterAll(() => simulator.stop());

async function rpcError(promise: Promise<unknown>): Promise<KdfRpcError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason
  );
  if (!(error instanceof KdfRpcError)) throw new Error(`expected a KdfRpcError, got ${String(error)}`);
  return error;
}

/** Polls without forgetting until the task finishes; returns the distinct InProgress phases seen and the end. */
async function pollToEnd(taskId: number): Promise<{ phases: string[]; final: LightningTaskStatus }> {
  const phases: string[] = [];
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; await sleep(5)) {
    const status = await client.lightningStatus(taskId);
    if (status.status !== 'InProgress') return { phases, final: status };
    if (phases.at(-1) !== status.details) phases.push(status.details);
  }
  throw new Error(`task ${taskId} did not finish`);
}

test('version', async () => {
  await expect(client.version()).resolves.toEqual({ result: expect.any(String), datetime: expect.any(String) });
});

describe('a full activation', () => {
  test('init, phases in order, Ok kept until read with forgetIfFinished, then NoSuchTask', async () => {
    expect(await client.enabledCoins()).not.toContain('tBTC-lightning');
    const { task_id: taskId } = await client.initLightning(activation('tBTC-lightning'));

    const { phases, final } = await pollToEnd(taskId);
    expect(phases.length).toBeGreaterThan(0);
    const phaseOrder: readonly string[] = LightningActivationPhases;
    const positions = phases.map((phase) => phaseOrder.indexOf(phase));
    expect(positions).not.toContain(-1);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(final).toEqual({
      status: 'Ok',
      details: {
        platform_coin: 'tBTC-segwit',
        address: expect.stringMatching(/^[0-9a-f]{66}$/),
        balance: { spendable: '0', unspendable: '0' },
      },
    });

    await expect(client.lightningStatus(taskId)).resolves.toEqual(final);
    await expect(client.lightningStatus(taskId, { forgetIfFinished: true })).resolves.toEqual(final);
    expect(await rpcError(client.lightningStatus(taskId))).toMatchObject({
      errorType: 'NoSuchTask',
      errorData: taskId,
      httpStatus: 400,
    });
    expect(await rpcError(client.cancelLightning(taskId))).toMatchObject({ errorType: 'NoSuchTask', httpStatus: 404 });
    expect(await client.enabledCoins()).toContain('tBTC-lightning');
  });

  test('a second init is L2IsAlreadyActivated; after disable_coin it works again, and cancel then finds it finished', async () => {
    expect(await rpcError(client.initLightning(activation('tBTC-lightning')))).toMatchObject({
      errorType: 'L2IsAlreadyActivated',
      errorData: 'tBTC-lightning',
      httpStatus: 400,
    });

    await expect(client.disableCoin('tBTC-lightning')).resolves.toEqual({
      coin: 'tBTC-lightning',
      cancelled_orders: [],
      passivized: false,
    });
    expect(await client.enabledCoins()).not.toContain('tBTC-lightning');

    const { task_id: taskId } = await client.initLightning(activation('tBTC-lightning'));
    expect((await pollToEnd(taskId)).final.status).toBe('Ok');
    expect(await rpcError(client.cancelLightning(taskId))).toMatchObject({
      errorType: 'TaskFinished',
      errorData: taskId,
      httpStatus: 409,
    });
  });
});

describe('cancel', () => {
  test('a running task: success, then the task is gone', async () => {
    const { task_id: taskId } = await client.initLightning(activation('tBTC-lightning-hang'));
    await expect(client.cancelLightning(taskId)).resolves.toBe('success');
    expect(await rpcError(client.lightningStatus(taskId))).toMatchObject({ errorType: 'NoSuchTask', httpStatus: 400 });
    expect(await rpcError(client.cancelLightning(taskId))).toMatchObject({ errorType: 'NoSuchTask', httpStatus: 404 });
    expect(await client.enabledCoins()).not.toContain('tBTC-lightning-hang');
  });

  test('an unknown task', async () => {
    expect(await rpcError(client.cancelLightning(987_654))).toMatchObject({
      errorType: 'NoSuchTask',
      errorData: 987_654,
      httpStatus: 404,
    });
  });
});

describe('init errors', () => {
  test.each([
    ['tBTC-nope', 'L2ConfigIsNotFound', 400],
    // not `tBTC-segwit`: it is enabled, and that check comes first (L2IsAlreadyActivated, contract §2.1)
    ['tBTC-segwit-disabled', 'UnexpectedL2Protocol', 400],
    ['tBTC-lightning-bad-protocol', 'L2ProtocolParseError', 500],
    ['tBTC-lightning-bad-config', 'L2ConfigParseError', 500],
    ['tBTC-lightning-no-platform', 'PlatformCoinIsNotActivated', 400],
    ['tBTC-lightning-unsupported-platform', 'UnsupportedPlatformCoin', 500],
    ['tBTC-lightning-not-segwit', 'Internal', 500],
    ['tBTC-lightning-bad-platform', 'InvalidPlatformConfiguration', 500],
  ])('%s: %s (HTTP %i)', async (ticker, errorType, httpStatus) => {
    const error = await rpcError(client.initLightning(activation(ticker)));
    expect(error).toMatchObject({ name: 'KdfRpcError', method: 'task::enable_lightning::init', errorType, httpStatus });
    expect(error.message).toMatch(/^task::enable_lightning::init: /);
  });

  test('PlatformCoinIsNotActivated names the lightning ticker (contract §2.1 quirk)', async () => {
    expect(await rpcError(client.initLightning(activation('tBTC-lightning-no-platform')))).toMatchObject({
      errorData: 'tBTC-lightning-no-platform',
    });
  });
});

describe('task errors arrive as an Error status in a 200 reply', () => {
  test.each([
    ['tBTC-lightning-port-in-use', 'Internal'],
    ['tBTC-lightning-transport-error', 'Transport'],
  ])('%s: %s', async (ticker, errorType) => {
    const { task_id: taskId } = await client.initLightning(activation(ticker));
    const { final } = await pollToEnd(taskId);
    expect(final).toMatchObject({ status: 'Error', details: { error_type: errorType, error: expect.any(String) } });
  });
});

describe('transport faults', () => {
  afterEach(() => simulator.clearFaults());

  test.each([
    ['http500', KdfTransportError, { code: 'HTTP_500', httpStatus: 500 }],
    ['http502', KdfTransportError, { code: 'HTTP_502', httpStatus: 502 }],
    ['http503', KdfTransportError, { code: 'HTTP_503', httpStatus: 503 }],
    ['reset', KdfTransportError, { code: 'ECONNRESET' }],
    ['drop-after-handling', KdfTransportError, { code: 'ECONNRESET' }],
    ['malformed', KdfProtocolError, { httpStatus: 200 }],
  ] as const)('%s', async (kind, errorClass, fields) => {
    simulator.injectFault({ kind, method: 'get_enabled_coins', count: 1 });
    const error = await client.enabledCoins().then(
      () => undefined,
      (reason: unknown) => reason
    );
    expect(error).toBeInstanceOf(errorClass);
    expect(error).toMatchObject(fields);
    await expect(client.enabledCoins()).resolves.toContain('tBTC-segwit');
  });
});

test('a reply slower than requestTimeoutMs', async () => {
  simulator.injectFault({ kind: 'latency', latencyMs: 500, method: 'version', count: 1 });
  const impatient = createKdfClient({ id: 'sim', url: simulator.url, userpass, requestTimeoutMs: 50 });
  await expect(impatient.version()).rejects.toMatchObject({ name: 'KdfTransportError', code: 'ETIMEDOUT' });
});

// last: wrong passwords count towards the simulator's per-IP ban (contract §1.4)
describe('a wrong userpass', () => {
  const intruder = () => createKdfClient({ id: 'sim', url: simulator.url, userpass: 'wrong-userpass' });

  test('v2: 403 UserpassIsInvalid with the attempts left', async () => {
    expect(await rpcError(intruder().enabledCoins())).toMatchObject({
      errorType: 'UserpassIsInvalid',
      errorData: { error_type: 'NbAttemptsLeft', error_data: expect.any(Number) },
      httpStatus: 403,
    });
  });

  test('legacy: HTTP 500 {error}', async () => {
    expect(await rpcError(intruder().disableCoin('tBTC-segwit'))).toMatchObject({
      errorType: 'LegacyRpcError',
      httpStatus: 500,
      message: expect.stringContaining('Userpass is invalid'),
    });
  });

  test('version is public', async () => {
    await expect(intruder().version()).resolves.toMatchObject({ result: expect.any(String) });
  });
});
