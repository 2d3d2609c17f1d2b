// Temporal connection settings for the client: @temporalio/envconfig (TEMPORAL_* env vars, TOML profile) + overrides.
import { Client, Connection } from '@temporalio/client';
import type { ConnectionOptions } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { encryptionDataConverter } from '../codec/encryption-codec.js';
import { keyringFromEnv } from '../codec/keys.js';
import { ConfigError } from '../common/config-error.js';
import { checkTemporalTlsEnv } from '../common/temporal-tls.js';
import { DEFAULT_TASK_QUEUE } from '../workflows/api.js';
import { TemporalUnavailableError } from './errors.js';
import { InputError } from './schema.js';

export const DEFAULT_ADDRESS = '127.0.0.1:7233';
export const DEFAULT_NAMESPACE = 'default';

export interface ConnectConfig {
  /** host:port of the Temporal frontend. @default TEMPORAL_ADDRESS, else 127.0.0.1:7233 */
  address?: string;
  /** @default TEMPORAL_NAMESPACE, else `default` */
  namespace?: string;
  /** Sent as `Authorization: Bearer`; turns TLS on. @default TEMPORAL_API_KEY */
  apiKey?: string;
  /** TLS settings; from TEMPORAL_TLS* when absent. */
  tls?: ConnectionOptions['tls'];
  /** Give up connecting after this long. @default 10000 */
  connectTimeoutMs?: number;
  /**
   * Payload codecs; must match the workers'.
   * @default AES-256-GCM encryption when KDF_CODEC_KEYS_FILE or KDF_CODEC_KEYS is set, else none
   */
  dataConverter?: DataConverter;
  /** Environment to read TEMPORAL_* from. @default process.env */
  env?: Record<string, string | undefined>;
}

export interface ResolvedConnectConfig {
  namespace: string;
  connection: ConnectionOptions;
  dataConverter?: DataConverter;
}

/** A bad setting in the environment, as the CLI's usage error (exit 64) that names the variable. */
function asInputError<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    throw err instanceof ConfigError ? new InputError(err.message, err.field) : err;
  }
}

/** The encryption DataConverter when the env names codec keys. */
function dataConverterFromEnv(env: Record<string, string | undefined>): DataConverter | undefined {
  const keyring = keyringFromEnv(env);
  return keyring && encryptionDataConverter(keyring);
}

/**
 * Merges explicit settings over the envconfig profile (env vars + optional TOML file).
 * @throws {InputError} naming the variable when a TEMPORAL_TLS_* file or codec key setting is bad
 */
export function resolveConnectConfig(config: ConnectConfig = {}): ResolvedConnectConfig {
  const env = config.env ?? process.env;
  asInputError(() => checkTemporalTlsEnv(env));
  const definedEnv = Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined)
  );
  const loaded = loadClientConnectConfig({ overrideEnvVars: definedEnv });
  const options = loaded.connectionOptions;
  const connection: ConnectionOptions = {
    address: config.address ?? options.address ?? DEFAULT_ADDRESS,
    connectTimeout: config.connectTimeoutMs ?? 10_000,
  };
  const apiKey = config.apiKey ?? options.apiKey;
  if (typeof apiKey === 'string') connection.apiKey = apiKey;
  const tls = config.tls ?? options.tls;
  if (tls !== undefined) connection.tls = tls;
  if (options.metadata) connection.metadata = options.metadata;
  const resolved: ResolvedConnectConfig = {
    namespace: config.namespace ?? loaded.namespace ?? DEFAULT_NAMESPACE,
    connection,
  };
  const dataConverter = config.dataConverter ?? asInputError(() => dataConverterFromEnv(env));
  if (dataConverter !== undefined) resolved.dataConverter = dataConverter;
  return resolved;
}

/**
 * Connects a Temporal client. Close it with `client.connection.close()`.
 * @throws {TemporalUnavailableError} when the server cannot be reached before the deadline
 */
export async function connectClient(config: ConnectConfig = {}): Promise<Client> {
  const { namespace, connection: options, dataConverter } = resolveConnectConfig(config);
  let connection: Connection;
  try {
    connection = await Connection.connect(options);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new TemporalUnavailableError(`cannot reach Temporal at ${options.address} (${reason})`, { cause: err });
  }
  return new Client({ connection, namespace, ...(dataConverter && { dataConverter }) });
}

/** KDF_TASK_QUEUE, else the default task queue. */
export const taskQueueFromEnv = (env: Record<string, string | undefined> = process.env): string =>
  env.KDF_TASK_QUEUE?.trim() || DEFAULT_TASK_QUEUE;
