/**
 * The single HTTP path to one KDF node: builds the v2 or legacy request, sends it on the node's got instance and
 * turns the reply into a parsed result or a `KdfError`. Section numbers (§) refer to the KDF RPC contract.
 *
 * @module
 */
import got, { RequestError } from 'got';
import { z } from 'zod';
import type { KdfNodeConfig } from '../nodes.js';
import { createConcurrencyLimit } from './concurrency.js';
import {
  KdfClientFailureType,
  KdfInvalidParamsError,
  KdfProtocolError,
  KdfRpcError,
  KdfTransportError,
} from './errors.js';
import type { KdfError } from './errors.js';
import { KdfEnvelope, KdfErrorObject } from './methods.js';
import type { KdfMethod, ParamsOf, ResultOf } from './methods.js';
import { createRedactor } from './redactor.js';
import type { Redactor } from './redactor.js';

/**
 * Sends one request. Rejects with a `KdfError`, or with `signal.reason` when aborted (so that Temporal sees the
 * activity's own `CancelledFailure`).
 */
export type KdfTransport = <M extends KdfMethod>(
  method: M,
  params: ParamsOf<M>,
  signal?: AbortSignal
) => Promise<ResultOf<M>>;

const defaultRequestTimeoutMs = 10_000;

const LegacyErrorBody = z.object({ error: z.string() });
const V2Reply = z.object({ mmrpc: z.literal('2.0'), result: z.unknown() });

export function createKdfTransport(node: KdfNodeConfig): KdfTransport {
  const http = got.extend({
    // retries belong to the activities' retry policy, not to got
    retry: { limit: 0 },
    timeout: { request: node.requestTimeoutMs ?? defaultRequestTimeoutMs },
    // KDF error envelopes come with 4xx/5xx statuses and are parsed below
    throwHttpErrors: false,
    // got would re-send the body, userpass included, to wherever a redirect points
    followRedirect: false,
  });
  const limit = createConcurrencyLimit(node.maxConcurrentRequests);
  const endpoint = withoutCredentials(node.url);
  const redact = createRedactor(node);
  let lastRequestId = 0;

  const requestBody = (method: KdfMethod, params: unknown): Record<string, unknown> => {
    if (method.envelope === KdfEnvelope.legacy) {
      return {
        ...(typeof params === 'object' && params !== null ? params : {}),
        userpass: node.userpass,
        method: method.method,
      };
    }
    lastRequestId += 1;
    return {
      mmrpc: '2.0',
      userpass: node.userpass,
      method: method.method,
      ...(params !== undefined && { params }),
      id: lastRequestId,
    };
  };

  const send = async (method: string, body: Record<string, unknown>, signal: AbortSignal | undefined) => {
    try {
      return await limit(() => http.post(node.url, { json: body, ...(signal && { signal }) }), signal);
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      // got's RequestError keeps the request options, JSON body and userpass included: never let it escape
      if (error instanceof RequestError) {
        throw new KdfTransportError(method, `${redact.text(error.message)} (POST ${endpoint})`, {
          code: error.code,
          cause: sanitized(error, redact),
        });
      }
      throw error;
    }
  };

  /** A reply without a KDF error body: a 5xx came from something in between (transient), anything else is not KDF. */
  const unexpectedReply = (
    method: string,
    httpStatus: number,
    problem: string,
    cause?: Error,
    unparsable = false
  ): KdfError =>
    httpStatus >= 500
      ? new KdfTransportError(method, `HTTP ${httpStatus} without a KDF error body (POST ${endpoint})`, {
          code: `HTTP_${httpStatus}`,
          httpStatus,
        })
      : new KdfProtocolError(method, `${problem} (HTTP ${httpStatus})`, httpStatus, cause, unparsable);

  const parseReply = <M extends KdfMethod>(method: M, httpStatus: number, text: string): ResultOf<M> => {
    let body: unknown;
    try {
      // KDF v2 replies carry no content-type (§1.1), so got leaves the body as text; a task's Error text goes on to
      // workflow failures, so every string of the reply is redacted, not only error envelopes
      body = redact.deep(JSON.parse(text));
    } catch (error) {
      throw unexpectedReply(method.method, httpStatus, 'reply is not JSON', sanitized(error, redact), true);
    }

    const rpcError = KdfErrorObject.safeParse(body);
    if (rpcError.success) {
      throw new KdfRpcError(method.method, rpcError.data, httpStatus);
    }
    // KDF sends `{error}` only with 500 and, for a well-formed request, only from legacy methods (§1.6); the same
    // shape on another status, or for a v2 method, comes from something in between
    const legacyError = LegacyErrorBody.safeParse(body);
    if (method.envelope === KdfEnvelope.legacy && httpStatus === 500 && legacyError.success) {
      const error = { error: legacyError.data.error, error_type: KdfClientFailureType.LegacyRpcError };
      throw new KdfRpcError(method.method, error, httpStatus);
    }
    if (httpStatus < 200 || httpStatus > 299) {
      throw unexpectedReply(method.method, httpStatus, 'reply has no KDF error');
    }

    let payload = body;
    if (method.envelope === KdfEnvelope.v2) {
      const reply = V2Reply.safeParse(body);
      if (!reply.success) throw unexpectedShape(method.method, 'reply', httpStatus, reply.error);
      payload = reply.data.result;
    }
    // the annotation keeps the schema tied to M; `method.result` alone widens to z.ZodType and loses the result type
    const resultSchema: M['result'] = method.result;
    const result = z.safeParse(resultSchema, payload);
    if (!result.success) {
      const part = method.envelope === KdfEnvelope.v2 ? 'result' : 'reply';
      throw unexpectedShape(method.method, part, httpStatus, result.error);
    }
    return result.data;
  };

  return async (method, params, signal) => {
    const validParams = method.params.safeParse(params);
    if (!validParams.success) throw new KdfInvalidParamsError(method.method, validParams.error);
    const response = await send(method.method, requestBody(method, validParams.data), signal);
    return parseReply(method, response.statusCode, response.body);
  };
}

function unexpectedShape(
  method: string,
  part: 'reply' | 'result',
  httpStatus: number,
  error: z.ZodError
): KdfProtocolError {
  return new KdfProtocolError(method, `unexpected ${part}:\n${z.prettifyError(error)}`, httpStatus, error);
}

function withoutCredentials(url: string): string {
  const parsed = new URL(url);
  parsed.username = '';
  parsed.password = '';
  return parsed.toString();
}

/** A stand-in for a library error that keeps its name, code and (redacted) message, and drops everything else. */
function sanitized(error: unknown, redact: Redactor): Error {
  if (!(error instanceof Error)) return new Error(redact.text(String(error)));
  const code: unknown = 'code' in error ? error.code : undefined;
  return Object.assign(new Error(redact.text(error.message)), {
    name: error.name,
    ...(typeof code === 'string' && { code }),
  });
}
