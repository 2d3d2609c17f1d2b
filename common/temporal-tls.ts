// The TEMPORAL_TLS_* settings, checked before @temporalio/envconfig reads them (it fails with a bare ENOENT or a
// TLS handshake error): worker and CLI report a bad file or pair by the variable that names it.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from './config-error.js';

type Env = Record<string, string | undefined>;

const isTrue = (value: string | undefined): boolean => value === 'true' || value === '1';

/** TLS material from TEMPORAL_TLS_*_PATH / _DATA: readable, PEM, unexpired, certificate and key in pairs. */
export function checkTemporalTlsEnv(env: Env): void {
  const material = (name: 'CLIENT_CERT' | 'CLIENT_KEY' | 'SERVER_CA_CERT') => {
    const pathVariable = `TEMPORAL_TLS_${name}_PATH`;
    const dataVariable = `TEMPORAL_TLS_${name}_DATA`;
    const file = env[pathVariable];
    const data = env[dataVariable];
    if (file !== undefined && data !== undefined) {
      throw new ConfigError(`${pathVariable}: set either ${pathVariable} or ${dataVariable}, not both`, pathVariable);
    }
    if (file === undefined) return data === undefined ? undefined : { variable: dataVariable, pem: data };
    try {
      return { variable: pathVariable, pem: readFileSync(file, 'utf8') };
    } catch (err) {
      const reason = (err as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new ConfigError(`${pathVariable}: cannot read ${path.resolve(file)}: ${reason}`, pathVariable);
    }
  };
  const certificate = (source: { variable: string; pem: string } | undefined) => {
    if (source === undefined) return;
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(source.pem);
    } catch {
      throw new ConfigError(`${source.variable}: not a PEM certificate`, source.variable);
    }
    if (Date.parse(cert.validTo) < Date.now()) {
      throw new ConfigError(`${source.variable}: the certificate expired on ${cert.validTo}`, source.variable);
    }
  };
  const clientCert = material('CLIENT_CERT');
  const clientKey = material('CLIENT_KEY');
  certificate(clientCert);
  certificate(material('SERVER_CA_CERT'));
  if (clientKey !== undefined) {
    try {
      createPrivateKey(clientKey.pem);
    } catch {
      // the parser's message is not shown: it is about the key
      throw new ConfigError(`${clientKey.variable}: not an unencrypted PEM private key`, clientKey.variable);
    }
  }
  if ((clientCert === undefined) !== (clientKey === undefined)) {
    const missing = clientCert === undefined ? 'TEMPORAL_TLS_CLIENT_CERT_PATH' : 'TEMPORAL_TLS_CLIENT_KEY_PATH';
    throw new ConfigError(`${missing}: mTLS needs both the client certificate and its key`, missing);
  }
  if (env.TEMPORAL_API_KEY !== undefined && env.TEMPORAL_TLS !== undefined && !isTrue(env.TEMPORAL_TLS)) {
    throw new ConfigError(
      'TEMPORAL_TLS: must not be false with TEMPORAL_API_KEY (the key would travel in clear text)',
      'TEMPORAL_TLS'
    );
  }
  if (isTrue(env.TEMPORAL_TLS_DISABLE_HOST_VERIFICATION)) {
    throw new ConfigError(
      'TEMPORAL_TLS_DISABLE_HOST_VERIFICATION: not supported by the TypeScript SDK; set TEMPORAL_TLS_SERVER_NAME or TEMPORAL_TLS_SERVER_CA_CERT_PATH instead',
      'TEMPORAL_TLS_DISABLE_HOST_VERIFICATION'
    );
  }
}
