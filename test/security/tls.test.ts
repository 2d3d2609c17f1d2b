// TLS, mTLS and API keys for the Temporal connection. The CLI dev server (v1.9.1) has no TLS option, so the tests put
// a proxy that terminates TLS and HTTP/2 (self-signed CA from openssl, client certificates required) in front of
// jest's dev server; it sees every call's headers, the API key's bearer token among them.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http2 from 'node:http2';
import type net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type tls from 'node:tls';
import { NativeConnection } from '@temporalio/worker';
import { connectClient, resolveConnectConfig } from '../../client/connection.js';
import { ExitCode } from '../../client/exit-codes.js';
import { ConfigError, loadTemporalConfig, loadWorkerConfig } from '../../worker/config.js';
import { startWorkerProcess, writeNodesFile } from '../e2e/helpers.js';
import { cliRun } from '../helpers/cli.js';
import type { Proc } from '../e2e/helpers.js';

const API_KEY = `api-key-${randomUUID()}`;
const dir = mkdtempSync(path.join(tmpdir(), 'kdf-tls-'));
const file = (name: string): string => path.join(dir, name);

function openssl(...args: string[]): void {
  const run = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`openssl ${args.join(' ')} failed:\n${run.stderr}`);
}

/** A CA, and certificates it signs: `name.pem` + `name.key`, valid for `days` (negative: already expired). */
function issue(ca: string, name: string, subject: string, extensions: string, days = 2): void {
  writeFileSync(file(`${name}.ext`), extensions);
  openssl(
    'req',
    ...['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
    ...['-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject]
  );
  openssl(
    'x509',
    ...['-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial'],
    ...['-out', `${name}.pem`, '-days', String(days), '-extfile', `${name}.ext`]
  );
}

function makeCa(name: string): void {
  openssl(
    'req',
    ...['-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
    ...['-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=${name}`],
    ...['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']
  );
}

const LEAF = 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n';
beforeAll(() => {
  makeCa('ca');
  makeCa('other-ca');
  issue('ca', 'server', '/CN=localhost', `${LEAF}extendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost\n`);
  issue('ca', 'client', '/CN=kdf-worker', `${LEAF}extendedKeyUsage=clientAuth\n`);
  issue('other-ca', 'stranger', '/CN=stranger', `${LEAF}extendedKeyUsage=clientAuth\n`);
  issue('ca', 'expired', '/CN=kdf-worker', `${LEAF}extendedKeyUsage=clientAuth\n`, -1);
}, 30_000);

/** TEMPORAL_* for mTLS with the test PKI; TEMPORAL_CONFIG_FILE points nowhere so no profile is read. */
const mtlsEnv = (address: string, overrides: Record<string, string | undefined> = {}) => ({
  TEMPORAL_ADDRESS: address,
  TEMPORAL_CONFIG_FILE: file('none.toml'),
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: file('ca.pem'),
  TEMPORAL_TLS_SERVER_NAME: 'localhost',
  TEMPORAL_TLS_CLIENT_CERT_PATH: file('client.pem'),
  TEMPORAL_TLS_CLIENT_KEY_PATH: file('client.key'),
  ...overrides,
});

function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    loadTemporalConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('configuration accepted');
}

describe('connection options from the environment', () => {
  test('mTLS: CA, server name, client certificate and key are read from their files', () => {
    const { connection } = loadTemporalConfig(mtlsEnv('temporal.example:7233'));
    expect(connection.address).toBe('temporal.example:7233');
    expect(connection.tls).toMatchObject({ serverNameOverride: 'localhost' });
    const options = connection.tls as Exclude<typeof connection.tls, boolean | null | undefined>;
    expect(Buffer.from(options.serverRootCACertificate ?? []).equals(readFileSync(file('ca.pem')))).toBe(true);
    expect(Buffer.from(options.clientCertPair?.crt ?? []).equals(readFileSync(file('client.pem')))).toBe(true);
    expect(Buffer.from(options.clientCertPair?.key ?? []).equals(readFileSync(file('client.key')))).toBe(true);
  });

  test('PEM given inline in TEMPORAL_TLS_*_DATA works the same', () => {
    const { connection } = loadTemporalConfig({
      TEMPORAL_CONFIG_FILE: file('none.toml'),
      TEMPORAL_TLS_CLIENT_CERT_DATA: readFileSync(file('client.pem'), 'utf8'),
      TEMPORAL_TLS_CLIENT_KEY_DATA: readFileSync(file('client.key'), 'utf8'),
    });
    const options = connection.tls as Exclude<typeof connection.tls, boolean | null | undefined>;
    expect(Buffer.from(options.clientCertPair?.crt ?? []).toString()).toContain('BEGIN CERTIFICATE');
  });

  test('an API key implies TLS (system roots); without any TLS setting the connection is plain', () => {
    const { connection } = loadTemporalConfig({ TEMPORAL_CONFIG_FILE: file('none.toml'), TEMPORAL_API_KEY: API_KEY });
    expect(connection).toMatchObject({ apiKey: API_KEY, tls: true });
    expect(
      loadTemporalConfig({ TEMPORAL_CONFIG_FILE: file('none.toml'), TEMPORAL_TLS: 'true' }).connection.tls
    ).toBeTruthy();
    expect(loadTemporalConfig({ TEMPORAL_CONFIG_FILE: file('none.toml') }).connection.tls).toBeUndefined();
  });

  test.each<[string, () => Record<string, string | undefined>, string]>([
    [
      'missing client certificate file',
      () => mtlsEnv('h:1', { TEMPORAL_TLS_CLIENT_CERT_PATH: file('missing.pem') }),
      'TEMPORAL_TLS_CLIENT_CERT_PATH: cannot read',
    ],
    [
      'missing client key file',
      () => mtlsEnv('h:1', { TEMPORAL_TLS_CLIENT_KEY_PATH: file('missing.key') }),
      'TEMPORAL_TLS_CLIENT_KEY_PATH: cannot read',
    ],
    [
      'missing CA file',
      () => mtlsEnv('h:1', { TEMPORAL_TLS_SERVER_CA_CERT_PATH: file('missing-ca.pem') }),
      'TEMPORAL_TLS_SERVER_CA_CERT_PATH: cannot read',
    ],
    [
      'certificate without its key',
      () => mtlsEnv('h:1', { TEMPORAL_TLS_CLIENT_KEY_PATH: undefined }),
      'TEMPORAL_TLS_CLIENT_KEY_PATH: mTLS needs both',
    ],
    [
      'key without its certificate',
      () => mtlsEnv('h:1', { TEMPORAL_TLS_CLIENT_CERT_PATH: undefined }),
      'TEMPORAL_TLS_CLIENT_CERT_PATH: mTLS needs both',
    ],
    [
      'a key where the certificate belongs',
      () => mtlsEnv('h:1', { TEMPORAL_TLS_CLIENT_CERT_PATH: file('client.key') }),
      'TEMPORAL_TLS_CLIENT_CERT_PATH: not a PEM certificate',
    ],
    [
      'a certificate where the key belongs',
      () => mtlsEnv('h:1', { TEMPORAL_TLS_CLIENT_KEY_PATH: file('client.pem') }),
      'TEMPORAL_TLS_CLIENT_KEY_PATH: not an unencrypted PEM private key',
    ],
    [
      'an expired client certificate',
      () =>
        mtlsEnv('h:1', {
          TEMPORAL_TLS_CLIENT_CERT_PATH: file('expired.pem'),
          TEMPORAL_TLS_CLIENT_KEY_PATH: file('expired.key'),
        }),
      'TEMPORAL_TLS_CLIENT_CERT_PATH: the certificate expired on',
    ],
    [
      'both _PATH and _DATA',
      () => mtlsEnv('h:1', { TEMPORAL_TLS_CLIENT_CERT_DATA: 'x' }),
      'TEMPORAL_TLS_CLIENT_CERT_PATH: set either TEMPORAL_TLS_CLIENT_CERT_PATH or TEMPORAL_TLS_CLIENT_CERT_DATA',
    ],
    [
      'an API key with TLS switched off',
      () => ({ TEMPORAL_CONFIG_FILE: file('none.toml'), TEMPORAL_API_KEY: API_KEY, TEMPORAL_TLS: 'false' }),
      'TEMPORAL_TLS: must not be false with TEMPORAL_API_KEY',
    ],
    [
      'host verification off (unsupported by the TS SDK)',
      () => mtlsEnv('h:1', { TEMPORAL_TLS_DISABLE_HOST_VERIFICATION: 'true' }),
      'TEMPORAL_TLS_DISABLE_HOST_VERIFICATION: not supported',
    ],
  ])('%s: an error naming the variable', (_name, env, message) => {
    const error = configError({ TEMPORAL_API_KEY: API_KEY, ...env() });
    expect(error.message).toContain(message);
    expect(error.message.startsWith(`${error.field}: `)).toBe(true);
    expect(error.message).not.toContain(API_KEY);
    expect(error.message).not.toContain('PRIVATE KEY');
  });

  test('the worker configuration reports the same errors (exit 78 path)', () => {
    expect(() =>
      loadWorkerConfig({
        ...mtlsEnv('h:1', { TEMPORAL_TLS_CLIENT_KEY_PATH: file('missing.key') }),
        KDF_NODES_FILE: writeNodesFile({ alpha: 'http://127.0.0.1:1/' }),
        KDF_TEST_USERPASS: 'x',
      })
    ).toThrow(expect.objectContaining({ field: 'TEMPORAL_TLS_CLIENT_KEY_PATH' }));
  });

  test('the CLI reports them as usage errors (exit 64) naming the variable', async () => {
    const env = mtlsEnv('127.0.0.1:1', { TEMPORAL_TLS_CLIENT_KEY_PATH: file('missing.key') });
    const { code, stderr } = await cliRun(['list'], { env, connect: 'real' });
    expect(code).toBe(ExitCode.usage);
    expect(stderr).toContain(`error: TEMPORAL_TLS_CLIENT_KEY_PATH: cannot read ${file('missing.key')}: ENOENT`);
    expect(() => resolveConnectConfig({ env: mtlsEnv('h:1', { TEMPORAL_TLS_CLIENT_CERT_DATA: 'x' }) })).toThrow(
      expect.objectContaining({ name: 'InputError', field: 'TEMPORAL_TLS_CLIENT_CERT_PATH' })
    );
  });
});

describe('through a TLS proxy that requires client certificates', () => {
  let proxy: http2.Http2SecureServer;
  let upstream: http2.ClientHttp2Session;
  let address: string;
  const peers: string[] = [];
  /** The `authorization` header of every gRPC call that reached the proxy. */
  const authorizations: string[] = [];

  beforeAll(async () => {
    // terminates TLS and HTTP/2, so that the test sees each call's headers, and relays the call to the dev server
    upstream = http2.connect(`http://${process.env.TEMPORAL_ADDRESS ?? ''}`);
    upstream.on('error', () => undefined);
    proxy = http2.createSecureServer({
      key: readFileSync(file('server.key')),
      cert: readFileSync(file('server.pem')),
      ca: readFileSync(file('ca.pem')),
      requestCert: true,
      rejectUnauthorized: true,
    });
    proxy.on('secureConnection', (socket: tls.TLSSocket) => {
      peers.push(String(socket.getPeerCertificate().subject?.CN));
    });
    proxy.on('stream', (stream, headers) => relay(stream, headers));
    proxy.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    address = `127.0.0.1:${(proxy.address() as net.AddressInfo).port}`;
  });

  function relay(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
    authorizations.push(String(headers.authorization ?? ''));
    const { ':authority': _authority, ':scheme': _scheme, ...forwarded } = headers;
    const call = upstream.request(forwarded);
    let trailers: http2.IncomingHttpHeaders = {};
    call.on('response', (responseHeaders) => {
      // a trailers-only reply (an error status) carries grpc-status in its headers and nothing else
      if (responseHeaders['grpc-status'] !== undefined) stream.respond(responseHeaders, { endStream: true });
      else stream.respond(responseHeaders, { waitForTrailers: true });
    });
    call.on('trailers', (received) => (trailers = received));
    stream.on('wantTrailers', () => stream.sendTrailers(trailers));
    stream.on('close', () => call.close());
    call.on('error', () => stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR));
    stream.on('error', () => call.close(http2.constants.NGHTTP2_CANCEL));
    stream.pipe(call);
    call.pipe(stream);
  }

  afterAll(async () => {
    upstream.close();
    await new Promise((resolve) => proxy.close(resolve));
  });

  test('the worker’s NativeConnection and the client’s Connection connect with mTLS', async () => {
    const native = await NativeConnection.connect(loadTemporalConfig(mtlsEnv(address)).connection);
    try {
      const info = await native.workflowService.getSystemInfo({});
      expect(info.serverVersion).toEqual(expect.any(String));
    } finally {
      await native.close();
    }
    const client = await connectClient({ env: mtlsEnv(address) });
    try {
      expect((await client.workflowService.getSystemInfo({})).serverVersion).toEqual(expect.any(String));
    } finally {
      await client.connection.close();
    }
    expect(peers).toContain('kdf-worker');
  });

  test.concurrent.each<[string, Record<string, string | undefined>]>([
    ['no client certificate', { TEMPORAL_TLS_CLIENT_CERT_PATH: undefined, TEMPORAL_TLS_CLIENT_KEY_PATH: undefined }],
    [
      'a client certificate from another CA',
      { TEMPORAL_TLS_CLIENT_CERT_PATH: file('stranger.pem'), TEMPORAL_TLS_CLIENT_KEY_PATH: file('stranger.key') },
    ],
    ['a server CA that did not sign the server', { TEMPORAL_TLS_SERVER_CA_CERT_PATH: file('other-ca.pem') }],
  ])('refused: %s', async (_name, overrides) => {
    const accepted = peers.length;
    const client = connectClient({ env: mtlsEnv(address, overrides), connectTimeoutMs: 3_000 });
    await expect(client).rejects.toThrow(/cannot reach Temporal/);
    // refused in the TLS handshake: no connection reached the server
    expect(peers.slice(accepted)).toEqual([]);
  });

  test('the worker process runs over mTLS with an API key and never prints the key', async () => {
    const worker: Proc = await startWorkerProcess({
      ...mtlsEnv(address, { TEMPORAL_API_KEY: API_KEY }),
      KDF_TASK_QUEUE: `tls-${randomUUID()}`,
      KDF_NODES_FILE: writeNodesFile({ alpha: 'http://127.0.0.1:1/' }),
    });
    expect((await worker.stop('SIGTERM')).code).toBe(0);
    expect(worker.stdout).toMatch(/"tls":true/);
    expect(worker.stdout).toMatch(/"apiKey":"set"/);
    expect(worker.stdout + worker.stderr).not.toContain(API_KEY);
    // the server side saw the key on the worker's calls
    expect(authorizations).toContain(`Bearer ${API_KEY}`);
  }, 120_000);

  test('the client sends the API key as a bearer token on every call', async () => {
    const seen = authorizations.length;
    const client = await connectClient({ env: mtlsEnv(address, { TEMPORAL_API_KEY: API_KEY }) });
    try {
      await client.workflowService.getSystemInfo({});
      await client.workflowService.describeNamespace({ namespace: 'default' });
    } finally {
      await client.connection.close();
    }
    const calls = authorizations.slice(seen);
    expect(calls.length).toBeGreaterThanOrEqual(2);
    expect(new Set(calls)).toEqual(new Set([`Bearer ${API_KEY}`]));
  });
});
