/**
 * The HTTP side of a simulated node: KDF's single RPC endpoint (contract §1.1), the SSE endpoint, the admin
 * endpoint, and where injected faults take effect.
 *
 * @module
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import { handleAdmin } from './admin.js';
import { handlingFaults, type Exchange } from './faults.js';
import { readBody, sendJson, sendText } from './http-io.js';
import { CORS_ORIGIN } from './kdf-constants.js';
import type { Simulator } from './simulator.js';

const CORS = { 'Access-Control-Allow-Origin': CORS_ORIGIN };
const PREFLIGHT = {
  ...CORS,
  'Access-Control-Allow-Methods': 'POST, OPTIONS',
  'Access-Control-Allow-Headers': 'Content-Type',
  'Access-Control-Max-Age': '3600',
};
/** KDF's `rpc:<line>] ` prefix on transport-level failures (line made up). */
const RPC_PREFIX = 'rpc:190] ';

/** @param stopping aborted when the server stops: pending latency faults give up */
export function createRequestListener(simulator: Simulator, stopping: AbortSignal): RequestListener {
  return (request, response) => {
    handle(simulator, request, response, stopping).catch((error: unknown) => {
      if (stopping.aborted) return;
      console.error('kdf-sim: request failed:', error);
      if (!response.headersSent) sendJson(response, 500, { error: String(error) });
    });
  };
}

async function handle(
  simulator: Simulator,
  request: IncomingMessage,
  response: ServerResponse,
  stopping: AbortSignal
): Promise<void> {
  const [path = '/', query = ''] = (request.url ?? '/').split('?', 2);
  if (path.startsWith('/__sim/')) return handleAdmin(simulator, request, response, path);
  if (path === '/event-stream' && request.method === 'GET') {
    return simulator.streams.open(request, response, new URLSearchParams(query));
  }
  if (request.method === 'OPTIONS') return sendText(response, 200, '', PREFLIGHT);
  const text = await readBody(request);
  if (request.method !== 'POST')
    return sendRpc(response, 500, { error: `${RPC_PREFIX}Only POST requests are supported!` });

  let body: unknown;
  let parseError: string | undefined;
  try {
    body = JSON.parse(text);
  } catch (error) {
    parseError = (error as Error).message;
  }
  const { latencyMs, fault } = simulator.faults.decide(methodsOf(body));
  if (latencyMs > 0) await delay(latencyMs, undefined, { signal: stopping });
  switch (fault?.kind) {
    case 'http500':
    case 'http502':
    case 'http503': {
      const status = Number(fault.kind.slice(4));
      return sendRpc(response, status, { error: `kdf-sim: injected HTTP ${status}` });
    }
    case 'reset':
      request.socket.resetAndDestroy();
      return;
  }

  const reply =
    parseError === undefined
      ? simulator.dispatch(body, request.socket.remoteAddress ?? '', handlingFaults(fault))
      : { status: 500, body: { error: `${RPC_PREFIX}${parseError}` } };
  if (fault?.kind === 'drop-after-handling') {
    request.socket.destroy();
    return;
  }
  if (fault?.kind === 'slow-reply') {
    await delay(fault.latencyMs ?? 0, undefined, { signal: stopping });
    if (response.destroyed) return; // the client left: the reply is lost
  }
  const payload = JSON.stringify(reply.body);
  sendText(
    response,
    reply.status,
    fault?.kind === 'malformed' ? payload.slice(0, Math.ceil(payload.length / 2)) : payload,
    CORS
  );
  if (simulator.faults.restartsAfterReply(exchangesOf(body, reply.body))) simulator.restart();
}

/** RPC replies carry the CORS origin and no `Content-Type` (contract §1.1). */
function sendRpc(response: ServerResponse, status: number, body: unknown): void {
  sendText(response, status, JSON.stringify(body), CORS);
}

/** A batch's elements; any other body is one request. */
const requestsOf = (body: unknown): unknown[] => (Array.isArray(body) ? body : [body]);

function methodOf(request: unknown): string | undefined {
  const method = (request as { method?: unknown } | null)?.method;
  return typeof method === 'string' ? method : undefined;
}

/** The methods a body calls, for the faults' method filter. */
const methodsOf = (body: unknown): string[] => requestsOf(body).flatMap((request) => methodOf(request) ?? []);

/** Each request of a body with its reply (a batch's replies come in the same order). */
function exchangesOf(body: unknown, replyBody: unknown): Exchange[] {
  const replies = requestsOf(replyBody);
  return requestsOf(body).map((request, index) => {
    const status = (replies[index] as { result?: { status?: unknown } } | null | undefined)?.result?.status;
    return { method: methodOf(request), resultStatus: typeof status === 'string' ? status : undefined };
  });
}
