/**
 * The admin endpoint under `/__sim/`, apart from the RPC path: no userpass, loopback callers only, JSON replies.
 * Routes are listed in simulator/README.md. A request that changes something must carry `ADMIN_HEADERS`: a web page
 * open in a local browser cannot send either header without a CORS preflight, which this endpoint never grants, so
 * it cannot restart the node or inject faults.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { isLoopback } from './dispatcher.js';
import { FaultError } from './faults.js';
import { readBody, sendJson } from './http-io.js';
import { TaskNotRunningError } from './node.js';
import type { Simulator } from './simulator.js';

const FinishBody = z.strictObject({ outcome: z.enum(['ok', 'error']).optional() });

/** Thrown for a request the admin endpoint refuses; `status` is the HTTP status of the reply. */
class AdminError extends Error {
  override name = 'AdminError';
  constructor(
    readonly status: number,
    message: string
  ) {
    super(message);
  }
}

type Route = (simulator: Simulator, body: unknown, match: RegExpMatchArray) => unknown;

const ok = { ok: true } as const;

/** What every non-GET admin request carries. */
export const ADMIN_HEADERS = { 'content-type': 'application/json', 'x-kdf-sim-admin': '1' } as const;

const ROUTES: readonly (readonly [method: string, path: RegExp, route: Route])[] = [
  ['GET', /^\/__sim\/stats$/, (simulator) => simulator.stats()],
  [
    'POST',
    /^\/__sim\/stats\/reset$/,
    (simulator) => {
      simulator.resetStats();
      return ok;
    },
  ],
  ['GET', /^\/__sim\/faults$/, (simulator) => ({ faults: simulator.faults.list() })],
  [
    'POST',
    /^\/__sim\/faults$/,
    (simulator, body) => {
      simulator.faults.add(body);
      return { faults: simulator.faults.list() };
    },
  ],
  [
    'DELETE',
    /^\/__sim\/faults$/,
    (simulator) => {
      simulator.faults.clear();
      return { faults: [] };
    },
  ],
  [
    'POST',
    /^\/__sim\/restart$/,
    (simulator) => {
      simulator.restart();
      return ok;
    },
  ],
  [
    'POST',
    /^\/__sim\/tasks\/(\d+)\/finish$/,
    (simulator, body, match) => {
      const parsed = FinishBody.safeParse(body ?? {});
      if (!parsed.success) throw new AdminError(400, `invalid body:\n${z.prettifyError(parsed.error)}`);
      simulator.finishTask(Number(match[1]), parsed.data.outcome);
      return ok;
    },
  ],
];

export async function handleAdmin(
  simulator: Simulator,
  request: IncomingMessage,
  response: ServerResponse,
  path: string
): Promise<void> {
  try {
    if (!isLoopback(request.socket.remoteAddress ?? '')) throw new AdminError(403, 'loopback clients only');
    const routes = ROUTES.filter(([, pattern]) => pattern.test(path));
    if (routes.length === 0) throw new AdminError(404, `no admin route ${path}`);
    const route = routes.find(([method]) => method === request.method);
    if (route === undefined) throw new AdminError(405, `${request.method ?? ''} is not allowed on ${path}`);
    if (request.method !== 'GET') refuseWithoutAdminHeaders(request);
    const [, pattern, handle] = route;
    sendJson(
      response,
      200,
      handle(simulator, parseBody(await readBody(request)), path.match(pattern) as RegExpMatchArray)
    );
  } catch (error) {
    sendJson(response, statusOf(error), { error: (error as Error).message });
  }
}

function refuseWithoutAdminHeaders(request: IncomingMessage): void {
  if (!/^application\/json\b/i.test(request.headers['content-type'] ?? '')) {
    throw new AdminError(415, 'content-type must be application/json');
  }
  if (request.headers['x-kdf-sim-admin'] !== ADMIN_HEADERS['x-kdf-sim-admin']) {
    throw new AdminError(403, 'requests that change the simulator need the header x-kdf-sim-admin: 1');
  }
}

function parseBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new AdminError(400, `body is not JSON: ${(error as Error).message}`);
  }
}

function statusOf(error: unknown): number {
  if (error instanceof AdminError) return error.status;
  if (error instanceof FaultError) return 400;
  if (error instanceof TaskNotRunningError) return 409;
  return 500;
}
