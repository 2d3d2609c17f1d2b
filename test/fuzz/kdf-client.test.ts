// Property-based tests of the KDF client against a local HTTP server answering random and truncated bodies with
// random status codes: every call settles (per-call deadline) with a valid parsed result or a typed `KdfError`.
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import fc from 'fast-check';
import { createKdfClient, KdfError, type KdfClient } from '../../activities/kdf/index.js';

type Reply =
  | { kind: 'body'; status: number; body: string; contentType: string }
  | { kind: 'truncated'; status: number; body: string; cut: number }
  | { kind: 'stall' }
  | { kind: 'destroy' };

let reply: Reply = { kind: 'destroy' };
let requests = 0;
const server = createServer((request, response) => {
  requests++;
  request.resume();
  request.on('end', () => answer(response, reply));
});
let url = '';
let client: KdfClient;
const userpass = 'fuzz-userpass-3b1d';
let unhandled = 0;
const onUnhandled = () => unhandled++;

beforeAll(async () => {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  client = createKdfClient({ id: 'fuzz', url, userpass, requestTimeoutMs: 300 });
  process.on('unhandledRejection', onUnhandled);
});
afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  server.closeAllConnections();
  server.close();
  await once(server, 'close');
});

function answer(response: ServerResponse, plan: Reply): void {
  switch (plan.kind) {
    case 'body':
      response.writeHead(plan.status, { 'content-type': plan.contentType });
      response.end(plan.body);
      return;
    case 'truncated': {
      // announce the whole body, send part of it, then drop the connection
      const bytes = Buffer.from(plan.body);
      response.writeHead(plan.status, { 'content-type': 'application/json', 'content-length': bytes.length });
      response.write(bytes.subarray(0, Math.min(plan.cut, Math.max(0, bytes.length - 1))));
      setTimeout(() => response.destroy(), 5);
      return;
    }
    case 'stall':
      return; // never answers: the client's request timeout must fire
    case 'destroy':
      response.socket?.destroy();
      return;
  }
}

/** Valid envelopes for the methods called below, so truncations and status mixes start from the real thing. */
const VALID_BODIES = [
  { mmrpc: '2.0', result: { task_id: 7 }, id: 1 },
  { mmrpc: '2.0', result: { status: 'InProgress', details: 'ActivatingCoin' }, id: 1 },
  {
    mmrpc: '2.0',
    result: {
      status: 'Ok',
      details: { platform_coin: 'tBTC-segwit', address: '02ab', balance: { spendable: '0', unspendable: '0' } },
    },
    id: 1,
  },
  { mmrpc: '2.0', result: { coins: [{ ticker: 'tBTC-segwit' }] }, id: 1 },
  { result: '2.1.0_abc', datetime: '2024-01-01T00:00:00Z' },
  { mmrpc: '2.0', error: 'No such task', error_type: 'NoSuchTask', error_path: 'x', error_data: 3, id: 1 },
  { error: 'legacy failure' },
].map((body) => JSON.stringify(body));

const status = () => fc.oneof(fc.constantFrom(200, 400, 404, 500, 502, 503, 504), fc.integer({ min: 200, max: 599 }));

const replies: fc.Arbitrary<Reply> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant('body' as const),
      status: status(),
      body: fc.oneof(
        fc.string({ maxLength: 300 }),
        fc.string({ unit: 'binary', maxLength: 100 }),
        fc.json({ maxDepth: 4 }),
        fc.constantFrom(...VALID_BODIES),
        fc
          .record(
            {
              mmrpc: fc.oneof(fc.constant('2.0'), fc.jsonValue()),
              result: fc.jsonValue(),
              error: fc.jsonValue(),
              error_type: fc.jsonValue(),
              id: fc.jsonValue(),
            },
            { requiredKeys: [] }
          )
          .map((body) => JSON.stringify(body))
      ),
      contentType: fc.constantFrom('application/json', 'text/html', 'text/plain'),
    }),
    weight: 12,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('truncated' as const),
      status: status(),
      body: fc.constantFrom(...VALID_BODIES),
      cut: fc.nat({ max: 200 }),
    }),
    weight: 6,
  },
  { arbitrary: fc.constant({ kind: 'stall' as const }), weight: 1 },
  { arbitrary: fc.constant({ kind: 'destroy' as const }), weight: 1 }
);

const calls = [
  (kdf: KdfClient) => kdf.initLightning({ ticker: 'tBTC-lightning', activation_params: { name: 'fuzz' } }),
  (kdf: KdfClient) => kdf.lightningStatus(7),
  (kdf: KdfClient) => kdf.cancelLightning(7),
  (kdf: KdfClient) => kdf.enabledCoins(),
  (kdf: KdfClient) => kdf.version(),
];

const PER_CALL_DEADLINE_MS = 3_000;

/** Settles `promise` or fails with "hang" after the deadline. */
async function settle(
  promise: Promise<unknown>
): Promise<{ ok: true; value: unknown } | { ok: false; error: unknown }> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(new Error(`hang: no settlement within ${PER_CALL_DEADLINE_MS} ms`)),
      PER_CALL_DEADLINE_MS
    );
  });
  try {
    return { ok: true, value: await Promise.race([promise, hang]) };
  } catch (error) {
    if (error instanceof Error && error.message.startsWith('hang:')) throw error;
    return { ok: false, error };
  } finally {
    clearTimeout(timer);
  }
}

test('random, truncated and stalled replies: a parsed result or a KdfError, never anything else or a hang', async () => {
  const seen = { ok: 0, typed: 0 };
  await fc.assert(
    fc.asyncProperty(replies, fc.integer({ min: 0, max: calls.length - 1 }), async (plan, index) => {
      reply = plan;
      const outcome = await settle(calls[index]!(client));
      if (outcome.ok) {
        seen.ok++;
        expect(outcome.value).toBeDefined();
        // a result can only come from a complete 2xx/5xx-with-body reply, never from a stall or a cut body
        expect(plan.kind).toBe('body');
      } else {
        seen.typed++;
        expect(outcome.error).toBeInstanceOf(KdfError);
        const message = (outcome.error as Error).message;
        expect(message).not.toContain(userpass);
      }
    }),
    { numRuns: 200 }
  );
  expect(seen.typed).toBeGreaterThan(100);
  expect(seen.ok + seen.typed).toBe(200);
  expect(requests).toBeGreaterThan(150);
  expect(unhandled).toBe(0);
}, 120_000);

test('valid envelopes with 200 parse to their result', async () => {
  reply = { kind: 'body', status: 200, body: VALID_BODIES[0]!, contentType: 'application/json' };
  await expect(
    client.initLightning({ ticker: 'tBTC-lightning', activation_params: { name: 'fuzz' } })
  ).resolves.toEqual({
    task_id: 7,
  });
  reply = { kind: 'body', status: 200, body: VALID_BODIES[4]!, contentType: 'application/json' };
  await expect(client.version()).resolves.toMatchObject({ result: '2.1.0_abc' });
});
