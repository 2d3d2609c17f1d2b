// `npm run codec-server` (`node dist/codec/server.js` in the image): decrypts payloads for the Temporal UI and CLI.
// Configuration from the environment (deploy/README.md); exits 78 on a bad setting, naming it.
import type { AddressInfo } from 'node:net';
import { ConfigError } from '../common/config-error.js';
import { EncryptionCodec } from './encryption-codec.js';
import { createCodecServer, loadCodecServerConfig } from './http.js';
import { keyringSummary } from './keys.js';

const EXIT_CONFIG = 78;

const log = (level: 'info' | 'warn' | 'error', msg: string, fields: Record<string, unknown> = {}): void =>
  void process.stdout.write(
    `${JSON.stringify({ level, time: new Date().toISOString(), service: 'kdf-codec-server', pid: process.pid, msg, ...fields })}\n`
  );

function run(): void {
  const config = loadCodecServerConfig(process.env);
  const server = createCodecServer({
    codec: new EncryptionCodec(config.keyring),
    token: config.token,
    corsOrigins: config.corsOrigins,
    onError: (error) => log(error.status >= 500 ? 'error' : 'warn', 'request rejected', { ...error }),
  });
  server.once('error', (err) => {
    log('error', `cannot listen on ${config.host}:${config.port}: ${err.message}`);
    process.exit(1);
  });
  if (config.keyring.exposure !== undefined) log('warn', config.keyring.exposure);
  server.listen(config.port, config.host, () => {
    const { port } = server.address() as AddressInfo;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    log('info', 'codec server listening', {
      url: `http://${host}:${port}`,
      ...keyringSummary(config.keyring),
      corsOrigins: config.corsOrigins,
    });
  });
  const stop = (): void => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

try {
  run();
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`kdf-lightning codec server: configuration error\n${err.message}\n`);
  process.exit(EXIT_CONFIG);
}
