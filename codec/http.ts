// The codec server's HTTP side: POST …/decode and …/encode as the Temporal UI and CLI call them, CORS for the UI
// origins, a bearer token. Payloads and the token never reach a log.
import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { PayloadCodec } from '@temporalio/common';
import { z } from 'zod';
import { ConfigError } from '../common/config-error.js';
import { PayloadDecryptionError } from './encryption-codec.js';
import { keyringFromEnv, KEYS_FILE_VARIABLE, KEYS_VARIABLE, type Keyring } from './keys.js';
import { JsonPayload, payloadFromJson, payloadToJson } from './payload-json.js';

const DEFAULT_CODEC_ADDRESS = '127.0.0.1:8888';
/** The UI of `npm start`'s dev server. */
const DEFAULT_CORS_ORIGINS: readonly string[] = ['http://127.0.0.1:8233'];
const MIN_TOKEN_LENGTH = 32;
/** A request carries the payloads of one event or query result; Temporal caps a payload at 2 MB by default. */
const MAX_BODY_BYTES = 8 * 1024 * 1024;

export interface CodecServerConfig {
  keyring: Keyring;
  token: string;
  host: string;
  port: number;
  corsOrigins: string[];
}

const fail = (variable: string, message: string): never => {
  throw new ConfigError(`${variable}: ${message}`, variable);
};

function parseAddress(value: string): { host: string; port: number } {
  const match = /^(\[[0-9a-fA-F:]+\]|[^\s:[\]]+):(\d{1,5})$/.exec(value);
  const port = Number(match?.[2]);
  if (!match?.[1] || !(port >= 0 && port <= 65_535)) {
    return fail('KDF_CODEC_ADDRESS', `"${value}" must be host:port, e.g. ${DEFAULT_CODEC_ADDRESS}`);
  }
  return { host: match[1].replace(/^\[|\]$/g, ''), port };
}

function parseOrigins(value: string): string[] {
  const origins = value
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
  if (origins.length === 0) fail('KDF_CODEC_CORS_ORIGINS', 'must name at least one origin');
  for (const origin of origins) {
    let canonical: string | undefined;
    try {
      const url = new URL(origin);
      if (url.protocol === 'http:' || url.protocol === 'https:') canonical = url.origin;
    } catch {
      // reported below
    }
    if (canonical !== origin) {
      fail('KDF_CODEC_CORS_ORIGINS', `"${origin}" must be an origin like http://127.0.0.1:8080 (no path, no "*")`);
    }
  }
  return origins;
}

/**
 * The codec server's settings: KDF_CODEC_KEYS_FILE (or KDF_CODEC_KEYS), KDF_CODEC_TOKEN, KDF_CODEC_ADDRESS,
 * KDF_CODEC_CORS_ORIGINS.
 * @throws {ConfigError} naming the variable at fault
 */
export function loadCodecServerConfig(env: Record<string, string | undefined>): CodecServerConfig {
  const keyring =
    keyringFromEnv(env) ??
    fail(KEYS_FILE_VARIABLE, `is required (or ${KEYS_VARIABLE}): { "current": "k1", "keys": { "k1": "<base64>" } }`);
  const token = env.KDF_CODEC_TOKEN?.trim() ?? '';
  if (token === '') fail('KDF_CODEC_TOKEN', 'is required: a random bearer token, e.g. `openssl rand -hex 32`');
  if (token.length < MIN_TOKEN_LENGTH || /\s/.test(token)) {
    fail('KDF_CODEC_TOKEN', `must be at least ${MIN_TOKEN_LENGTH} characters without spaces`);
  }
  const address = parseAddress(env.KDF_CODEC_ADDRESS?.trim() || DEFAULT_CODEC_ADDRESS);
  const corsOrigins = parseOrigins(env.KDF_CODEC_CORS_ORIGINS ?? DEFAULT_CORS_ORIGINS.join(','));
  return { keyring, token, ...address, corsOrigins };
}

const CodecRequest = z.object({ payloads: z.array(JsonPayload) });

/** A rejected or failed request, as logged: never the token, the path (it may hold the token) or payloads. */
export interface CodecRequestError {
  endpoint: string;
  status: number;
  message: string;
  namespace?: string;
}

export interface CodecServerOptions {
  codec: PayloadCodec;
  token: string;
  corsOrigins: readonly string[];
  onError?: (error: CodecRequestError) => void;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {}
  ) {
    super(message);
  }
}

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/** The body, up to MAX_BODY_BYTES: beyond that (declared or, when chunked, counted) a 413, and no more is read. */
function readBody(request: http.IncomingMessage): Promise<Buffer> {
  const tooLarge = () =>
    new HttpError(413, `request body is larger than ${MAX_BODY_BYTES} bytes`, { connection: 'close' });
  if (Number(request.headers['content-length'] ?? 0) > MAX_BODY_BYTES) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) {
        chunks.push(chunk);
        return;
      }
      // the 413 goes out with `connection: close`, which ends the socket with the rest of the body unread
      request.off('data', onData).pause();
      reject(tooLarge());
    };
    request.on('data', onData);
    request.once('end', () => resolve(Buffer.concat(chunks)));
    request.once('error', reject);
  });
}

function parseRequest(body: Buffer) {
  let raw: unknown;
  try {
    raw = JSON.parse(body.toString('utf8'));
  } catch {
    throw new HttpError(400, 'body is not JSON');
  }
  const parsed = CodecRequest.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`);
    throw new HttpError(400, `body must be { payloads: [{ metadata, data }] } (base64): ${issues.join('; ')}`);
  }
  return parsed.data.payloads.map(payloadFromJson);
}

/**
 * The codec server. Authorised requests carry `Authorization: Bearer <token>`, or the token as the path segment
 * before the endpoint (`/<token>/decode`), because the Temporal UI's codec client cannot send a fixed header.
 * Browser requests must come from one of `corsOrigins`; requests without an `Origin` (CLI, scripts) are not limited.
 */
export function createCodecServer(options: CodecServerOptions): http.Server {
  const tokenDigest = digest(options.token);
  const allowedOrigins = new Set(options.corsOrigins);
  const isToken = (candidate: string | undefined): boolean =>
    candidate !== undefined && timingSafeEqual(digest(candidate), tokenDigest);

  async function handle(
    request: http.IncomingMessage,
    response: http.ServerResponse,
    segments: string[]
  ): Promise<void> {
    const origin = request.headers.origin;
    response.setHeader('Vary', 'Origin');
    response.setHeader('Cache-Control', 'no-store');
    if (origin !== undefined) {
      if (!allowedOrigins.has(origin)) throw new HttpError(403, 'origin not allowed');
      response.setHeader('Access-Control-Allow-Origin', origin);
    }
    const endpoint = segments.at(-1);
    if (endpoint !== 'decode' && endpoint !== 'encode') throw new HttpError(404, 'not found: POST /decode or /encode');
    if (request.method === 'OPTIONS') {
      if (origin === undefined) throw new HttpError(403, 'a CORS preflight needs an Origin');
      response.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      response.setHeader('Access-Control-Allow-Headers', 'authorization, content-type, x-namespace');
      response.setHeader('Access-Control-Max-Age', '600');
      response.writeHead(204).end();
      return;
    }
    if (request.method !== 'POST') throw new HttpError(405, 'method not allowed', { allow: 'POST, OPTIONS' });
    const bearer = /^Bearer (\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
    if (!isToken(bearer) && !isToken(segments.at(-2))) {
      throw new HttpError(401, 'missing or wrong bearer token', { 'www-authenticate': 'Bearer' });
    }
    if (!/^application\/json\b/i.test(request.headers['content-type'] ?? '')) {
      throw new HttpError(415, 'content-type must be application/json');
    }
    const payloads = parseRequest(await readBody(request));
    let result;
    try {
      result = endpoint === 'decode' ? await options.codec.decode(payloads) : await options.codec.encode(payloads);
    } catch (err) {
      if (err instanceof PayloadDecryptionError) throw new HttpError(422, err.message);
      throw err;
    }
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ payloads: result.map(payloadToJson) }));
  }

  return http.createServer((request, response) => {
    const segments = (request.url ?? '/')
      .replace(/[?#].*$/s, '')
      .split('/')
      .filter(Boolean);
    handle(request, response, segments).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : 500;
      const message = err instanceof HttpError ? err.message : `internal error (${(err as Error).name})`;
      const namespace = request.headers['x-namespace'];
      const last = segments.at(-1);
      const endpoint = last === 'decode' || last === 'encode' ? last : '(other)';
      options.onError?.({ endpoint, status, message, ...(typeof namespace === 'string' && { namespace }) });
      if (response.headersSent || response.destroyed) return;
      response.writeHead(status, { 'content-type': 'application/json', ...(err instanceof HttpError && err.headers) });
      response.end(JSON.stringify({ error: message }));
    });
  });
}
