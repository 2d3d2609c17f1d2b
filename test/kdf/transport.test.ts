import { createServer } from 'node:http';
import { CancelledFailure } from '@temporalio/common';
import type { AddressInfo } from 'node:net';
import {
  KdfInvalidParamsError,
  KdfProtocolError,
  KdfRpcError,
  KdfTransportError,
  createKdfClient,
} from '../../activities/kdf/index.js';
import type { KdfCallEvent, KdfClient } from '../../activities/kdf/index.js';
import type { KdfNodeConfig } from '../../activities/nodes.js';
import { freePort } from '../helpers/ports.js';
import { errorEnvelope, reply, startTestServer } from './kdf-test-server.js';
import type { TestServer } from './kdf-test-server.js';

const userpass = 'test-userpass';
const activation = { ticker: 'tBTC-lightning', activation_params: { name: 'node-1', listening_port: 9735 } };
const lightningOk = {
  status: 'Ok',
  details: {
    platform_coin: 'tBTC-segwit',
    address: '02ce55b18d617bf4ac27b0f045301a0bb4e71669ae45cb5f2529f2f217520ffca1',
    balance: { spendable: '0', unspendable: '0' },
  },
};

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());
beforeEach(() => {
  server.requests.length = 0;
  server.concurrency.max = 0;
});

const clientFor = (overrides: Partial<KdfNodeConfig> = {}, onCall?: (event: KdfCallEvent) => void): KdfClient =>
  createKdfClient(
    { id: 'node-1', url: server.url, userpass, requestTimeoutMs: 2_000, ...overrides },
    onCall && { onCall }
  );

const replyResult = (result: unknown) =>
  server.handle((_request, response) => reply(response, 200, { mmrpc: '2.0', result, id: 1 }));
async function rejectionOf<E extends Error>(
  promise: Promise<unknown>,
  errorClass: abstract new (...args: never[]) => E
): Promise<E> {
  const error = await promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (reason: unknown) => reason
  );
  if (!(error instanceof errorClass)) throw new Error(`expected a ${errorClass.name}, got ${String(error)}`);
  return error;
}

describe('requests', () => {
  test('v2: the full envelope, with an id that increases per client', async () => {
    replyResult({ task_id: 0 });
    const client = clientFor();
    await expect(client.initLightning(activation)).resolves.toEqual({ task_id: 0 });
    await client.initLightning(activation);

    expect(server.requests.map(({ httpMethod, body }) => ({ httpMethod, body }))).toEqual([
      {
        httpMethod: 'POST',
        body: { mmrpc: '2.0', userpass, method: 'task::enable_lightning::init', params: activation, id: 1 },
      },
      {
        httpMethod: 'POST',
        body: { mmrpc: '2.0', userpass, method: 'task::enable_lightning::init', params: activation, id: 2 },
      },
    ]);
    expect(server.requests[0]?.headers['content-type']).toBe('application/json');
  });

  test('status keeps finished tasks unless asked to forget them', async () => {
    replyResult(lightningOk);
    const client = clientFor();
    await expect(client.lightningStatus(3)).resolves.toEqual(lightningOk);
    await client.lightningStatus(3, { forgetIfFinished: true });

    expect(server.requests.map(({ body }) => body)).toMatchObject([
      { method: 'task::enable_lightning::status', params: { task_id: 3, forget_if_finished: false } },
      { method: 'task::enable_lightning::status', params: { task_id: 3, forget_if_finished: true } },
    ]);
  });

  test('cancel', async () => {
    replyResult('success');
    await expect(clientFor().cancelLightning(3)).resolves.toBe('success');
    expect(server.requests[0]?.body).toMatchObject({
      method: 'task::enable_lightning::cancel',
      params: { task_id: 3 },
    });
  });

  test('get_enabled_coins is sent without params and returns tickers', async () => {
    replyResult({ coins: [{ ticker: 'tBTC-segwit' }, { ticker: 'tBTC-lightning' }] });
    await expect(clientFor().enabledCoins()).resolves.toEqual(['tBTC-segwit', 'tBTC-lightning']);
    expect(server.requests[0]?.body).toEqual({ mmrpc: '2.0', userpass, method: 'get_enabled_coins', id: 1 });
  });

  test('disable_coin uses the flat legacy body', async () => {
    const result = { coin: 'tBTC-lightning', cancelled_orders: [], passivized: false };
    server.handle((_request, response) => reply(response, 200, { result }));
    await expect(clientFor().disableCoin('tBTC-lightning')).resolves.toEqual(result);
    expect(server.requests[0]?.body).toEqual({ userpass, method: 'disable_coin', coin: 'tBTC-lightning' });
  });

  test('version uses the flat legacy body', async () => {
    const body = { result: '2.5.1-beta_a9fbf6096', datetime: '2025-07-28T17:10:33.123456+00:00' };
    server.handle((_request, response) => reply(response, 200, body));
    await expect(clientFor().version()).resolves.toEqual(body);
    expect(server.requests[0]?.body).toEqual({ userpass, method: 'version' });
  });

  test('invalid params are rejected before anything is sent', async () => {
    const error = await rejectionOf(
      clientFor().initLightning({ ticker: 'LN', activation_params: { name: 'n', color: '#000000' } }),
      KdfInvalidParamsError
    );
    expect(error.message).toMatchInlineSnapshot(`
     "task::enable_lightning::init: invalid params:
     ✖ must be six hex digits without "#", e.g. 000000
       → at activation_params.color"
    `);
    expect(server.requests).toHaveLength(0);
  });
});

describe('KDF error replies', () => {
  test('400 InvalidRequest from the dispatcher', async () => {
    const message = 'Error parsing request: invalid type: string "9735", expected u16';
    server.handle((_request, response) =>
      reply(response, 400, errorEnvelope('InvalidRequest', message, 'invalid type: string "9735", expected u16'))
    );
    const error = await rejectionOf(clientFor().initLightning(activation), KdfRpcError);
    expect(error).toMatchObject({
      name: 'KdfRpcError',
      message: `task::enable_lightning::init: ${message}`,
      method: 'task::enable_lightning::init',
      errorType: 'InvalidRequest',
      errorPath: 'dispatcher',
      errorData: 'invalid type: string "9735", expected u16',
      errorTrace: 'dispatcher:272]',
      httpStatus: 400,
    });
    expect(Object.keys(error)).not.toContain('errorTrace');
  });

  test('403 UserpassIsInvalid keeps the nested error_data', async () => {
    const errorData = { error_type: 'NbAttemptsLeft', error_data: 9 };
    server.handle((_request, response) =>
      reply(
        response,
        403,
        errorEnvelope('UserpassIsInvalid', 'Userpass is invalid! - Rate Limit attempts left: 9', errorData)
      )
    );
    await expect(clientFor().enabledCoins()).rejects.toMatchObject({
      errorType: 'UserpassIsInvalid',
      errorData,
      httpStatus: 403,
    });
  });

  test('400 NoSuchMethod has no error_data', async () => {
    server.handle((_request, response) => reply(response, 400, errorEnvelope('NoSuchMethod', 'No such method')));
    const error = await rejectionOf(clientFor().cancelLightning(1), KdfRpcError);
    expect(error).toMatchObject({
      errorType: 'NoSuchMethod',
      httpStatus: 400,
      message: 'task::enable_lightning::cancel: No such method',
    });
    expect(error.errorData).toBeUndefined();
  });

  test.each([
    ['status', 400, 'NoSuchTask', "No such task '7'", 7],
    ['status', 500, 'Internal', 'Internal error: poisoned', 'poisoned'],
    ['cancel', 404, 'NoSuchTask', "No such task '7'", 7],
    ['cancel', 409, 'TaskFinished', 'Task is finished already', 7],
    [
      'cancel',
      500,
      'Internal',
      "Internal error: RPC '7' task is in unexpected status. Actual: 'Cancelled', expected: 'InProgress'",
      "RPC '7' task is in unexpected status",
    ],
  ] as const)('%s: HTTP %i %s', async (call, status, errorType, message, errorData) => {
    server.handle((_request, response) => reply(response, status, errorEnvelope(errorType, message, errorData)));
    const client = clientFor();
    const error = await rejectionOf(
      call === 'status' ? client.lightningStatus(7) : client.cancelLightning(7),
      KdfRpcError
    );
    expect(error).toMatchObject({
      errorType,
      errorData,
      httpStatus: status,
      message: expect.stringContaining(message),
    });
  });

  test('a legacy HTTP 500 {error} becomes LegacyRpcError', async () => {
    server.handle((_request, response) =>
      reply(response, 500, { error: 'No such coin: LN', orders: { matching: [], cancelled: [] }, active_swaps: [] })
    );
    await expect(clientFor().disableCoin('LN')).rejects.toMatchObject({
      name: 'KdfRpcError',
      errorType: 'LegacyRpcError',
      httpStatus: 500,
      message: 'disable_coin: No such coin: LN',
    });
  });
});

describe('error bodies KDF would not send', () => {
  test('{error} for a v2 method is not a KDF error', async () => {
    server.handle((_request, response) => reply(response, 500, { error: 'upstream failed' }));
    await expect(clientFor().enabledCoins()).rejects.toMatchObject({
      name: 'KdfTransportError',
      code: 'HTTP_500',
      httpStatus: 500,
    });
  });

  test('{error} with a status other than 500 is not a KDF error', async () => {
    server.handle((_request, response) => reply(response, 503, { error: 'maintenance' }));
    await expect(clientFor().disableCoin('LN')).rejects.toMatchObject({ name: 'KdfTransportError', code: 'HTTP_503' });
  });
});

describe('transport failures', () => {
  test('connection refused', async () => {
    const url = `http://127.0.0.1:${await freePort()}/`;
    const error = await rejectionOf(clientFor({ url }).version(), KdfTransportError);
    expect(error).toMatchObject({
      name: 'KdfTransportError',
      code: 'ECONNREFUSED',
      method: 'version',
      httpStatus: undefined,
    });
    expect(error.message).toMatch(/^version: connect ECONNREFUSED .* \(POST http:\/\/127\.0\.0\.1:\d+\/\)$/);
  });

  test('credentials in the node URL are stripped from messages', async () => {
    const url = `http://kdf:url-password@127.0.0.1:${await freePort()}/`;
    const error = await rejectionOf(clientFor({ url }).version(), KdfTransportError);
    expect(error.message).toContain('(POST http://127.0.0.1:');
    expect(error.message).not.toContain('url-password');
  });

  test('connection reset in the middle of the body', async () => {
    server.handle((_request, response) => {
      response.writeHead(200, { 'content-length': '200' });
      response.write('{"mmrpc":"2.0","result":');
      setTimeout(() => response.destroy(), 20);
    });
    const error = await rejectionOf(clientFor().enabledCoins(), KdfTransportError);
    expect(error).toMatchObject({ code: 'ECONNRESET' });
  });

  test('a body slower than requestTimeoutMs', async () => {
    server.handle((_request, response) => {
      response.writeHead(200);
      response.write('{"mmrpc":"2.0",');
    });
    const error = await rejectionOf(clientFor({ requestTimeoutMs: 100 }).enabledCoins(), KdfTransportError);
    expect(error).toMatchObject({ code: 'ETIMEDOUT' });
    expect(error.message).toContain("Timeout awaiting 'request' for 100ms");
  });

  test('a proxy 502 page', async () => {
    server.handle((_request, response) => {
      response.writeHead(502, { 'content-type': 'text/html' });
      response.end('<html><body><h1>502 Bad Gateway</h1></body></html>');
    });
    const error = await rejectionOf(clientFor().enabledCoins(), KdfTransportError);
    expect(error).toMatchObject({ code: 'HTTP_502', httpStatus: 502 });
    expect(error.message).toBe(`get_enabled_coins: HTTP 502 without a KDF error body (POST ${server.url})`);
  });
});

describe('replies that are not KDF', () => {
  test('a body that is not JSON', async () => {
    server.handle((_request, response) => {
      response.writeHead(200);
      response.end('{"mmrpc":"2.0","result":');
    });
    const error = await rejectionOf(clientFor().enabledCoins(), KdfProtocolError);
    expect(error).toMatchObject({ name: 'KdfProtocolError', method: 'get_enabled_coins', httpStatus: 200 });
    expect(error.message).toBe('get_enabled_coins: reply is not JSON (HTTP 200)');
    expect(error.cause).toMatchObject({ name: 'SyntaxError' });
  });

  test('a result of the wrong shape', async () => {
    replyResult({ task_id: '7' });
    const error = await rejectionOf(clientFor().initLightning(activation), KdfProtocolError);
    expect(error.message).toMatchInlineSnapshot(`
     "task::enable_lightning::init: unexpected result:
     ✖ Invalid input: expected number, received string
       → at task_id"
    `);
  });

  test('a reply without the v2 envelope', async () => {
    server.handle((_request, response) => reply(response, 200, { result: { task_id: 7 } }));
    const error = await rejectionOf(clientFor().initLightning(activation), KdfProtocolError);
    expect(error.message).toMatchInlineSnapshot(`
     "task::enable_lightning::init: unexpected reply:
     ✖ Invalid input: expected "2.0"
       → at mmrpc"
    `);
  });

  test('a legacy reply of the wrong shape', async () => {
    server.handle((_request, response) => reply(response, 200, { result: '2.5.1-beta_a9fbf6096' }));
    const error = await rejectionOf(clientFor().version(), KdfProtocolError);
    expect(error.message).toMatchInlineSnapshot(`
     "version: unexpected reply:
     ✖ Invalid input: expected string, received undefined
       → at datetime"
    `);
  });

  test('an unknown task status', async () => {
    replyResult({ status: 'Paused', details: null });
    await expect(clientFor().lightningStatus(1)).rejects.toBeInstanceOf(KdfProtocolError);
  });

  test('a 4xx without a KDF error body', async () => {
    server.handle((_request, response) => {
      response.writeHead(404, { 'content-type': 'text/html' });
      response.end('<h1>Not Found</h1>');
    });
    await expect(clientFor().version()).rejects.toMatchObject({
      name: 'KdfProtocolError',
      message: 'version: reply is not JSON (HTTP 404)',
      httpStatus: 404,
    });
  });

  test('a redirect is not followed, so the userpass goes nowhere else', async () => {
    const elsewhere = createServer((_request, response) =>
      reply(response, 200, { mmrpc: '2.0', result: { coins: [] } })
    );
    let requestsElsewhere = 0;
    elsewhere.on('request', () => (requestsElsewhere += 1));
    await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
    const { port } = elsewhere.address() as AddressInfo;
    server.handle((_request, response) => {
      response.writeHead(307, { location: `http://127.0.0.1:${port}/` });
      response.end();
    });

    await expect(clientFor().enabledCoins()).rejects.toMatchObject({ name: 'KdfProtocolError', httpStatus: 307 });
    expect(requestsElsewhere).toBe(0);
    await new Promise((resolve) => elsewhere.close(resolve));
  });
});

describe('abort', () => {
  test('rejects with the signal reason while the request is in flight', async () => {
    server.handle(() => undefined);
    const controller = new AbortController();
    // what an activity's cancellationSignal carries; Temporal needs it back to report the activity as cancelled
    const reason = new CancelledFailure('CANCELLED');
    const pending = clientFor().lightningStatus(1, { signal: controller.signal });
    await waitFor(() => server.requests.length === 1);
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
  });

  test('an already aborted signal sends nothing', async () => {
    const reason = new Error('too late');
    await expect(clientFor().version({ signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(server.requests).toHaveLength(0);
  });
});

describe('maxConcurrentRequests', () => {
  test('at most that many requests are in flight', async () => {
    server.handle((_request, response) => {
      setTimeout(() => reply(response, 200, { mmrpc: '2.0', result: { coins: [] }, id: 1 }), 30);
    });
    const client = clientFor({ maxConcurrentRequests: 2 });
    await Promise.all(Array.from({ length: 7 }, () => client.enabledCoins()));
    expect(server.requests).toHaveLength(7);
    expect(server.concurrency.max).toBe(2);
  });

  test('a call waiting for a slot can be aborted, and the slot still passes on', async () => {
    const held: (() => void)[] = [];
    server.handle((_request, response) => {
      held.push(() => reply(response, 200, { mmrpc: '2.0', result: 'success', id: 1 }));
    });
    const client = clientFor({ maxConcurrentRequests: 1 });
    const first = client.cancelLightning(1);
    const controller = new AbortController();
    const second = client.cancelLightning(2, { signal: controller.signal });
    const third = client.cancelLightning(3);
    await waitFor(() => held.length === 1);
    controller.abort(new Error('gave up waiting'));
    await expect(second).rejects.toThrow('gave up waiting');

    held.shift()?.();
    await expect(first).resolves.toBe('success');
    await waitFor(() => held.length === 1);
    held.shift()?.();
    await expect(third).resolves.toBe('success');
    expect(server.requests.map(({ body }) => body)).toMatchObject([
      { params: { task_id: 1 } },
      { params: { task_id: 3 } },
    ]);
  });

  test('must be a positive integer', () => {
    expect(() => clientFor({ maxConcurrentRequests: 0 })).toThrow(RangeError);
  });
});

describe('onCall', () => {
  test('reports every call with its outcome', async () => {
    const events: KdfCallEvent[] = [];
    const client = clientFor({}, (event) => events.push(event));

    replyResult({ coins: [] });
    await client.enabledCoins();
    server.handle((_request, response) => reply(response, 400, errorEnvelope('L2ConfigIsNotFound', 'not found', 'LN')));
    await rejectionOf(client.initLightning(activation), KdfRpcError);
    server.handle((_request, response) => {
      response.writeHead(200);
      response.end('not json');
    });
    await rejectionOf(client.version(), KdfProtocolError);
    await rejectionOf(client.initLightning({ ticker: '', activation_params: { name: 'n' } }), KdfInvalidParamsError);
    await rejectionOf(client.version({ signal: AbortSignal.abort(new Error('stop')) }), Error);
    const unreachable = clientFor({ url: `http://127.0.0.1:${await freePort()}/` }, (event) => events.push(event));
    await rejectionOf(unreachable.version(), KdfTransportError);

    expect(events.map(({ method, outcome }) => [method, outcome])).toEqual([
      ['get_enabled_coins', 'ok'],
      ['task::enable_lightning::init', 'L2ConfigIsNotFound'],
      ['version', 'KdfProtocolError'],
      ['task::enable_lightning::init', 'KdfInvalidParamsError'],
      ['version', 'aborted'],
      ['version', 'KdfTransportError'],
    ]);
    for (const { durationMs } of events) expect(durationMs).toBeGreaterThanOrEqual(0);
  });
});

/** Polls `condition` every 5 ms; fails the test when it has not held within `timeoutMs`. */
async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${condition.toString()}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
