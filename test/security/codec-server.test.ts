// The codec server as the Temporal UI and CLI use it: bearer token, CORS for the UI origin, /encode and /decode.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EncryptionCodec } from '../../codec/encryption-codec.js';
import { createCodecServer, type CodecRequestError } from '../../codec/http.js';
import { parseKeyring } from '../../codec/keys.js';
import { childEnv, Proc, ROOT } from '../e2e/helpers.js';

const TOKEN = randomBytes(32).toString('hex');
const KEY = randomBytes(32).toString('base64');
const UI_ORIGIN = 'http://127.0.0.1:8233';
const KEYS_JSON = JSON.stringify({ current: 'k1', keys: { k1: KEY } });

/** What the UI sends: proto3 JSON payloads, metadata and data in base64. */
const b64 = (text: string): string => Buffer.from(text).toString('base64');
const PLAIN = [
  { metadata: { encoding: b64('json/plain') }, data: b64(JSON.stringify({ node: 'alpha', ticker: 'tBTC-lightning' })) },
  { metadata: { encoding: b64('binary/null') }, data: '' },
];

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(
  port: number,
  method: string,
  pathname: string,
  headers: Record<string, string> = {},
  body?: string
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: pathname, headers }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.once('error', reject);
    req.end(body);
  });
}

const json = { 'content-type': 'application/json' };
const bearer = (token = TOKEN) => ({ authorization: `Bearer ${token}` });
const post = (port: number, pathname: string, headers: Record<string, string>, payloads: unknown = PLAIN) =>
  request(port, 'POST', pathname, { ...json, ...headers }, JSON.stringify({ payloads }));

describe('createCodecServer', () => {
  let server: http.Server;
  let port: number;
  const errors: CodecRequestError[] = [];

  beforeAll(async () => {
    server = createCodecServer({
      codec: new EncryptionCodec(parseKeyring(KEYS_JSON, 'KDF_CODEC_KEYS')),
      token: TOKEN,
      corsOrigins: [UI_ORIGIN],
      onError: (error) => errors.push(error),
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    // nothing rejected was logged with the token, whether it came in the header or the path
    expect(errors.length).toBeGreaterThan(5);
    expect(JSON.stringify(errors)).not.toContain(TOKEN);
  });

  test('CORS preflight from the UI origin: 204 without a token, POST and the UI headers allowed', async () => {
    const reply = await request(port, 'OPTIONS', '/decode', {
      origin: UI_ORIGIN,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type,x-namespace',
    });
    expect(reply.status).toBe(204);
    expect(reply.headers['access-control-allow-origin']).toBe(UI_ORIGIN);
    expect(reply.headers['access-control-allow-methods']).toContain('POST');
    expect(reply.headers['access-control-allow-headers']?.split(/,\s*/).sort()).toEqual([
      'authorization',
      'content-type',
      'x-namespace',
    ]);
    expect(reply.headers.vary).toContain('Origin');
  });

  test('another origin gets no CORS headers: preflight and POST refused with 403', async () => {
    const preflight = await request(port, 'OPTIONS', '/decode', { origin: 'http://evil.example' });
    expect(preflight.status).toBe(403);
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    const posted = await post(port, '/decode', { ...bearer(), origin: 'http://evil.example' });
    expect(posted.status).toBe(403);
    expect(posted.headers['access-control-allow-origin']).toBeUndefined();
  });

  test.each<[string, string, Record<string, string>]>([
    ['no token → 401', '/decode', {}],
    ['a wrong token → 401', '/decode', bearer(randomBytes(32).toString('hex'))],
    ['the token with another scheme → 401', '/decode', { authorization: `Basic ${TOKEN}` }],
    ['a wrong path token → 401', `/${randomBytes(32).toString('hex')}/decode`, {}],
    ['the token after the endpoint → 404', `/decode/${TOKEN}`, {}],
  ])('auth required: %s', async (_name, pathname, headers) => {
    for (const endpoint of ['decode', 'encode']) {
      const reply = await post(port, pathname.replace('decode', endpoint), { ...headers, origin: UI_ORIGIN });
      expect(reply.status).toBe(pathname.startsWith('/decode/') ? 404 : 401);
      if (reply.status === 401) expect(reply.headers['www-authenticate']).toBe('Bearer');
      expect(reply.body).not.toContain('payloads');
    }
  });

  test('encode then decode round trip with the bearer token, as the UI calls it (x-namespace, Origin)', async () => {
    const headers = { ...bearer(), origin: UI_ORIGIN, 'x-namespace': 'default' };
    const encoded = await post(port, '/encode', headers);
    expect(encoded.status).toBe(200);
    expect(encoded.headers['access-control-allow-origin']).toBe(UI_ORIGIN);
    expect(encoded.headers['cache-control']).toBe('no-store');
    const { payloads } = JSON.parse(encoded.body) as { payloads: { metadata: Record<string, string>; data: string }[] };
    expect(payloads).toHaveLength(2);
    for (const payload of payloads) {
      expect(payload.metadata).toEqual({ encoding: b64('binary/encrypted'), 'encryption-key-id': b64('k1') });
      expect(Buffer.from(payload.data, 'base64').includes('tBTC-lightning')).toBe(false);
    }
    const decoded = await post(port, '/decode', headers, payloads);
    expect(decoded.status).toBe(200);
    expect(JSON.parse(decoded.body)).toEqual({ payloads: PLAIN });
  });

  test('the token as the path segment before the endpoint (the UI codec endpoint cannot send a header)', async () => {
    const encoded = await post(port, `/${TOKEN}/encode`, { origin: UI_ORIGIN });
    expect(encoded.status).toBe(200);
    const decoded = await post(port, `/kdf/${TOKEN}/decode`, {}, JSON.parse(encoded.body).payloads);
    expect(JSON.parse(decoded.body)).toEqual({ payloads: PLAIN });
  });

  test('a payload under an unknown key: 422 naming the key', async () => {
    const other = new EncryptionCodec(
      parseKeyring(JSON.stringify({ current: 'k9', keys: { k9: randomBytes(32).toString('base64') } }), 'x')
    );
    const [foreign] = await other.encode([
      { metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('1') },
    ]);
    const body = {
      metadata: Object.fromEntries(
        Object.entries(foreign?.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])
      ),
      data: Buffer.from(foreign?.data ?? []).toString('base64'),
    };
    const reply = await post(port, '/decode', bearer(), [body]);
    expect(reply.status).toBe(422);
    expect(JSON.parse(reply.body).error).toMatch(/encrypted with key "k9", which is not in the keyring \(known: k1\)/);
  });

  test.each<[string, number, () => Promise<Reply>, RegExp]>([
    ['body not JSON', 400, () => request(port, 'POST', '/decode', { ...json, ...bearer() }, '{'), /not JSON/],
    ['no payloads field', 400, () => request(port, 'POST', '/decode', { ...json, ...bearer() }, '{}'), /payloads/],
    ['data not base64', 400, () => post(port, '/decode', bearer(), [{ data: 'not base64!' }]), /payloads\.0\.data/],
    [
      'wrong content type',
      415,
      () => request(port, 'POST', '/decode', { ...bearer(), 'content-type': 'text/plain' }, '{}'),
      /application\/json/,
    ],
    ['GET', 405, () => request(port, 'GET', '/decode', bearer()), /method/],
    ['unknown path', 404, () => post(port, '/status', bearer()), /POST \/decode or \/encode/],
    [
      'a body over 8 MiB',
      413,
      () => request(port, 'POST', '/decode', { ...json, ...bearer() }, 'x'.repeat(9 * 1024 * 1024)),
      /larger than/,
    ],
  ])('%s → %i', async (_name, status, send, message) => {
    const reply = await send();
    expect(reply.status).toBe(status);
    expect(JSON.parse(reply.body).error).toMatch(message);
  });

  test('a chunked body (no content-length) over 8 MiB → 413, logged as 413, and the rest is not read', async () => {
    const logged = errors.length;
    const chunk = Buffer.alloc(64 * 1024, 'x');
    let sent = 0;
    const reply = await new Promise<Reply>((resolve, reject) => {
      const req = http.request({
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/decode',
        headers: { ...json, ...bearer() },
      });
      req.on('response', (res) => {
        let text = '';
        res.on('data', (part: Buffer) => (text += part.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      });
      // the server closing while this side still writes is the expected end of the upload
      req.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') reject(error);
      });
      const writeMore = () => {
        // up to 64 MiB: a server that reads everything would take it all and answer late, or not at all
        while (sent < 64 * 1024 * 1024 && !req.destroyed) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', writeMore);
        }
        req.end();
      };
      writeMore();
    });
    expect(reply.status).toBe(413);
    expect(reply.headers['connection']).toBe('close');
    expect(JSON.parse(reply.body).error).toMatch(/larger than/);
    expect(errors.slice(logged)).toEqual([expect.objectContaining({ endpoint: 'decode', status: 413 })]);
    expect(sent).toBeLessThan(32 * 1024 * 1024);
  }, 10_000);
});

describe('codec/server.ts, the process', () => {
  const keysFile = path.join(mkdtempSync(path.join(tmpdir(), 'kdf-codec-server-')), 'keys.json');
  writeFileSync(keysFile, KEYS_JSON, { mode: 0o600 });

  const start = (env: Record<string, string | undefined>) =>
    new Proc(
      'codec-server',
      spawn(process.execPath, ['--import', 'tsx', 'codec/server.ts'], {
        cwd: ROOT,
        env: childEnv({
          KDF_CODEC_KEYS_FILE: keysFile,
          KDF_CODEC_TOKEN: TOKEN,
          KDF_CODEC_ADDRESS: '127.0.0.1:0',
          ...env,
        }),
        stdio: ['ignore', 'pipe', 'pipe'],
      })
    );

  test.each<[string, Record<string, string | undefined>, string]>([
    ['no keys', { KDF_CODEC_KEYS_FILE: undefined }, 'KDF_CODEC_KEYS_FILE: is required'],
    ['no token', { KDF_CODEC_TOKEN: undefined }, 'KDF_CODEC_TOKEN: is required'],
    ['short token', { KDF_CODEC_TOKEN: 'x'.repeat(20) }, 'KDF_CODEC_TOKEN: must be at least 32 characters'],
    ['wildcard origin', { KDF_CODEC_CORS_ORIGINS: '*' }, 'KDF_CODEC_CORS_ORIGINS: "*" must be an origin'],
    [
      'origin with a path',
      { KDF_CODEC_CORS_ORIGINS: 'http://127.0.0.1:8080/ui' },
      'KDF_CODEC_CORS_ORIGINS: "http://127.0.0.1:8080/ui" must be an origin',
    ],
    ['bad address', { KDF_CODEC_ADDRESS: '8888' }, 'KDF_CODEC_ADDRESS: "8888" must be host:port'],
  ])('bad configuration (%s): exit 78 naming the variable, no secret printed', async (_name, env, message) => {
    const proc = start(env);
    expect((await proc.exited).code).toBe(78);
    expect(proc.stderr).toContain(message);
    expect(proc.stdout + proc.stderr).not.toContain(TOKEN);
    expect(proc.stdout + proc.stderr).not.toContain(KEY);
  });

  test('starts, logs its URL, key ids and origins (never the token or keys), decodes, stops on SIGTERM', async () => {
    const proc = start({ KDF_CODEC_CORS_ORIGINS: 'http://127.0.0.1:8080, http://localhost:8080' });
    const [, port] = await proc.waitFor(/"url":"http:\/\/127\.0\.0\.1:(\d+)"/, 30_000);
    // the keys file is 0600: the listening line is the first, no warning before it
    const line = JSON.parse(proc.stdout.split('\n')[0] as string);
    expect(line).toMatchObject({
      level: 'info',
      msg: 'codec server listening',
      currentKey: 'k1',
      keyIds: ['k1'],
      corsOrigins: ['http://127.0.0.1:8080', 'http://localhost:8080'],
    });
    const encoded = await post(Number(port), '/encode', bearer());
    const decoded = await post(Number(port), '/decode', bearer(), JSON.parse(encoded.body).payloads);
    expect(JSON.parse(decoded.body)).toEqual({ payloads: PLAIN });
    await post(Number(port), `/${'0'.repeat(64)}/decode`, {});
    await proc.waitFor(/"msg":"request rejected".*"status":401/, 10_000);
    expect((await proc.stop('SIGTERM')).code).toBe(0);
    expect(proc.stdout + proc.stderr).not.toContain(TOKEN);
    expect(proc.stdout + proc.stderr).not.toContain(KEY);
  });

  test('a keys file other users can read: a warning naming it and the fix, then it serves', async () => {
    const exposed = path.join(path.dirname(keysFile), 'exposed-keys.json');
    writeFileSync(exposed, KEYS_JSON, { mode: 0o644 });
    chmodSync(exposed, 0o644);
    const proc = start({ KDF_CODEC_KEYS_FILE: exposed });
    await proc.waitFor(/"msg":"codec server listening"/, 30_000);
    expect(JSON.parse(proc.stdout.split('\n')[0] as string)).toMatchObject({
      level: 'warn',
      msg: `KDF_CODEC_KEYS_FILE: ${exposed} (mode 644) is readable by other users: chmod 600 it`,
    });
    expect((await proc.stop('SIGTERM')).code).toBe(0);
    expect(proc.stdout + proc.stderr).not.toContain(KEY);
  });
});
