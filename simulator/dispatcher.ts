/**
 * KDF's request dispatch for a parsed JSON body: batches, legacy routing, the v2 envelope and the order of checks
 * (contract §1.1–§1.6, §6).
 *
 * @module
 */
import type { HandlingFaults } from './faults.js';
import { PUBLIC_METHODS } from './kdf-constants.js';
import { LEGACY_METHODS, V2_METHODS } from './methods.js';
import { DispatcherError, MmError, errorEnvelope, okEnvelope, type RequestId } from './mm-error.js';
import type { KdfNode } from './node.js';
import { legacyError, reply, type Reply } from './reply.js';
import { decodeOr, json, optional, string, struct, usize, variants, withDefault } from './serde.js';

export interface DispatchContext {
  readonly node: KdfNode;
  readonly userpass: string;
  /** The caller's address as the socket reports it. */
  readonly clientIp: string;
  /** What injected faults change in the handling. */
  readonly faults: HandlingFaults;
}

/** Only these keys, `id` a non-negative integer (§1.2). */
const Envelope = struct(
  'MmRpcRequest',
  { mmrpc: json, userpass: optional(string), method: string, params: withDefault(json, null), id: optional(usize) },
  { denyUnknownFields: true }
);
const MmRpcVersion = variants('2.0');

/** What ERRL! puts in front of legacy dispatcher failures (file:line prefix; exact text unconfirmed, §1.6). */
const LEGACY_FAILURE_PREFIX = 'rpc:189] RPC call failed: ';

export const isLoopback = (ip: string): boolean =>
  ip.startsWith('127.') || ip === '::1' || ip.startsWith('::ffff:127.');

/** An array is a batch: every element answered in order, HTTP 200 overall (§1.1). */
export function dispatch(body: unknown, context: DispatchContext): Reply {
  if (Array.isArray(body)) return reply(body.map((element) => dispatchOne(element, context).body));
  return dispatchOne(body, context);
}

function dispatchOne(body: unknown, context: DispatchContext): Reply {
  const request = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  if (typeof request['method'] === 'string') context.node.counters.calls.add(request['method']);
  return request['mmrpc'] == null ? dispatchLegacy(request, context) : dispatchV2(request, context);
}

/**
 * Steps 2–4 of the v2 order (localhost, ban, userpass), shared with the legacy path. Public methods skip the ban
 * and the userpass (the ban is checked inside auth, after the public-method exemption).
 */
function refusal(method: unknown, userpass: unknown, context: DispatchContext): MmError | undefined {
  const isPublic = typeof method === 'string' && PUBLIC_METHODS.has(method);
  if (isPublic) return undefined;
  const { clientIp, node } = context;
  if (!isLoopback(clientIp)) return DispatcherError.localHostOnly();
  if (node.rateLimiter.isBanned(clientIp)) return DispatcherError.banned();
  if (typeof userpass !== 'string') return DispatcherError.userpassIsNotSet();
  if (userpass !== context.userpass) return DispatcherError.userpassIsInvalid(node.rateLimiter.recordFailure(clientIp));
  return undefined;
}

/** The legacy dispatcher: auth first, then its own methods; anything else goes to v2 with `mmrpc` added (§1.6). */
function dispatchLegacy(request: Record<string, unknown>, context: DispatchContext): Reply {
  const denied = refusal(request['method'], request['userpass'], context);
  if (denied !== undefined) return legacyError(LEGACY_FAILURE_PREFIX + legacyText(denied));
  const method = lookUp(LEGACY_METHODS, request['method'] as string, context);
  return method === undefined ? dispatchV2({ ...request, mmrpc: '2.0' }, context) : method(context.node, request);
}

/** A method the node has, unless a fault makes it lack it. */
function lookUp<M>(methods: ReadonlyMap<string, M>, name: string, context: DispatchContext): M | undefined {
  return context.faults.lacks(name) ? undefined : methods.get(name);
}

function legacyText(error: MmError): string {
  if (error.errorType === 'Banned') return 'Selected method is not allowed: Your IP is banned.';
  if (error.errorType === 'UserpassIsInvalid') return `rate_limiter:52] ${error.message}`;
  return error.message;
}

function dispatchV2(request: Record<string, unknown>, context: DispatchContext): Reply {
  let id: RequestId = null;
  try {
    decodeOr(MmRpcVersion, request['mmrpc'], DispatcherError.invalidMmRpcVersion);
    const envelope = decodeOr(Envelope, request, DispatcherError.invalidRequest);
    // echoed; the docs' examples show null, KDF's source echoes it (contract §7.0)
    id = envelope.id ?? null;
    const denied = refusal(envelope.method, envelope.userpass, context);
    if (denied !== undefined) throw denied;
    const method = lookUp(V2_METHODS, envelope.method, context);
    if (method === undefined) throw DispatcherError.noSuchMethod();
    return reply(okEnvelope(method(context.node, envelope.params, context.faults), id));
  } catch (error) {
    if (error instanceof MmError) return reply(errorEnvelope(error, id), error.httpStatus);
    throw error;
  }
}
