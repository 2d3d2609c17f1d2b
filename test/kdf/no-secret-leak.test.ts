import { inspect } from 'node:util';
import { DefaultFailureConverter, defaultPayloadConverter } from '@temporalio/common';
import {
  KdfEventStream,
  KdfInvalidParamsError,
  KdfProtocolError,
  KdfRpcError,
  KdfTransportError,
  createKdfClient,
  toApplicationFailure,
} from '../../activities/kdf/index.js';
import type { KdfClient } from '../../activities/kdf/index.js';
import { freePort } from '../helpers/ports.js';
import { errorEnvelope, reply, startTestServer } from './kdf-test-server.js';
import type { Handler, TestServer } from './kdf-test-server.js';

const userpass = 'S3cr3t-userpass-XYZ';
const urlPassword = 'url-S3cr3t-pw';
const secrets = [userpass, urlPassword];

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const clientAt = (url: string): KdfClient => createKdfClient({ id: 'node-1', url, userpass, requestTimeoutMs: 200 });
const clientWithUrlCredentials = (): KdfClient => clientAt(server.url.replace('http://', `http://kdf:${urlPassword}@`));

// a server that echoes secrets wherever it can, which KDF does not do but a proxy or a future version might
const echoing =
  (status: number, body: (secret: string) => unknown): Handler =>
  (_request, response) =>
    reply(response, status, body(userpass));

interface Scenario {
  name: string;
  errorClass: abstract new (...args: never[]) => Error;
  handler?: Handler;
  run: (client: KdfClient) => Promise<unknown>;
  client?: () => Promise<KdfClient>;
}

const scenarios: Scenario[] = [
  {
    name: 'v2 error envelope echoing the userpass',
    errorClass: KdfRpcError,
    handler: echoing(403, (secret) =>
      errorEnvelope('UserpassIsInvalid', `Userpass ${secret} is invalid!`, { error_type: 'Echo', error_data: [secret] })
    ),
    run: (client) => client.enabledCoins(),
  },
  {
    name: 'legacy 500 {error} echoing the userpass',
    errorClass: KdfRpcError,
    handler: echoing(500, (secret) => ({ error: `rpc:184] RPC call failed: Userpass ${secret} is invalid!` })),
    run: (client) => client.disableCoin('LN'),
  },
  {
    name: 'connection refused',
    errorClass: KdfTransportError,
    client: async () => clientAt(`http://kdf:${urlPassword}@127.0.0.1:${await freePort()}/`),
    run: (client) => client.initLightning({ ticker: 'LN', activation_params: { name: 'n' } }),
  },
  {
    name: 'connection reset',
    errorClass: KdfTransportError,
    handler: (_request, response) => {
      response.writeHead(200, { 'content-length': '100' });
      response.write(`{"echo":"${userpass}"`);
      setTimeout(() => response.destroy(), 20);
    },
    run: (client) => client.lightningStatus(1),
  },
  {
    name: 'timeout',
    errorClass: KdfTransportError,
    handler: () => undefined,
    run: (client) => client.cancelLightning(1),
  },
  {
    name: '502 page echoing the userpass',
    errorClass: KdfTransportError,
    handler: (_request, response) => {
      response.writeHead(502, { 'content-type': 'text/html' });
      response.end(`<h1>Bad Gateway</h1><pre>${userpass}</pre>`);
    },
    run: (client) => client.version(),
  },
  {
    name: 'invalid JSON echoing the userpass',
    errorClass: KdfProtocolError,
    handler: (_request, response) => {
      response.writeHead(200);
      response.end(`${userpass} {`);
    },
    run: (client) => client.version(),
  },
  {
    name: 'wrong shape echoing the userpass',
    errorClass: KdfProtocolError,
    handler: echoing(200, (secret) => ({ mmrpc: '2.0', result: { status: secret, details: secret } })),
    run: (client) => client.lightningStatus(1),
  },
  {
    name: 'invalid params',
    errorClass: KdfInvalidParamsError,
    run: (client) => client.initLightning({ ticker: 'LN', activation_params: { name: userpass.repeat(3) } }),
  },
];

const renderings = (value: unknown): Record<string, string> => ({
  'JSON.stringify': JSON.stringify(value) ?? '',
  'util.inspect': inspect(value, { depth: 10, showHidden: true }),
  ...(value instanceof Error && { message: value.message, stack: value.stack ?? '' }),
});

test.each(scenarios)('no secret in the error or its failure: $name', async (scenario) => {
  server.handle(scenario.handler ?? echoing(200, () => ({ mmrpc: '2.0', result: { task_id: 1 } })));
  const client = scenario.client ? await scenario.client() : clientWithUrlCredentials();

  const error = await scenario.run(client).then(
    () => {
      throw new Error('expected a rejection');
    },
    (rejection: unknown) => rejection
  );
  expect(error).toBeInstanceOf(scenario.errorClass);

  const failure = toApplicationFailure(error);
  const failureProto = new DefaultFailureConverter().errorToFailure(failure, defaultPayloadConverter);
  const exposed = {
    ...renderings(error),
    ...Object.fromEntries(Object.entries(renderings(failure)).map(([how, text]) => [`failure ${how}`, text])),
    'failure as sent to Temporal': JSON.stringify(failureProto),
  };
  for (const [how, text] of Object.entries(exposed)) {
    for (const secret of secrets) {
      expect({ how, leaks: text.includes(secret) }).toEqual({ how, leaks: false });
    }
  }
});

describe('a task Error whose text echoes the userpass reaches the workflow redacted', () => {
  const taskError = (secret: string) => ({
    status: 'Error',
    details: { error: `listener failed: userpass ${secret}`, error_type: 'Internal', error_data: [secret] },
  });
  const expectRedacted = (value: unknown) => {
    const text = JSON.stringify(value);
    for (const secret of secrets) expect(text).not.toContain(secret);
    expect(text).toContain('listener failed: userpass [redacted]');
  };

  test('read by status', async () => {
    server.handle(echoing(200, (secret) => ({ mmrpc: '2.0', result: taskError(secret), id: 1 })));
    expectRedacted(await clientWithUrlCredentials().lightningStatus(1));
  });

  test('pushed on the event stream', async () => {
    server.handle((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write(`data: ${JSON.stringify({ _type: 'TASK:7', message: taskError(userpass) })}\n\n`);
    });
    const stream = new KdfEventStream({ id: 'node-1', url: server.url, userpass, eventStream: true });
    try {
      const [event] = await stream.waitForEvents(7, 0, 5_000, new AbortController().signal);
      expectRedacted(event?.status);
    } finally {
      stream.close();
    }
  });
});
