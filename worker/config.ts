// Worker configuration, parsed once at start from the environment and KDF_NODES_FILE. Fails fast naming the bad field.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { NativeConnectionOptions } from '@temporalio/worker';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { KdfNodeConfig, NodeRegistry } from '../activities/index.js';
import { keyringFromEnv, keyringSummary, type Keyring } from '../codec/keys.js';
import { ConfigError } from '../common/config-error.js';
import { checkTemporalTlsEnv } from '../common/temporal-tls.js';
import { issuesMessage } from '../common/zod-messages.js';
import { DEFAULT_TASK_QUEUE } from '../workflows/api.js';

export const DEFAULT_TEMPORAL_ADDRESS = '127.0.0.1:7233';
export const DEFAULT_NAMESPACE = 'default';

export { ConfigError };

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

export interface WorkerTuning {
  /** @default 1000 (KDF_MAX_CACHED_WORKFLOWS) */
  maxCachedWorkflows: number;
  /** @default 200 (KDF_MAX_CONCURRENT_ACTIVITIES) */
  maxConcurrentActivityTaskExecutions: number;
  /** @default 40 (KDF_MAX_CONCURRENT_WORKFLOW_TASKS) */
  maxConcurrentWorkflowTaskExecutions: number;
  /** In-flight activities get this long to finish on shutdown. @default 10000 (KDF_SHUTDOWN_GRACE_MS) */
  shutdownGraceTimeMs: number;
}

export interface WorkerConfig {
  temporal: { connection: NativeConnectionOptions; namespace: string };
  taskQueue: string;
  nodes: NodeRegistry;
  nodesFile: string;
  /** Loopback `host:port` for the Prometheus `/metrics` endpoint, when metrics are on. */
  metricsAddress?: string;
  logLevel: LogLevel;
  tuning: WorkerTuning;
  /** Path of a prebuilt workflow bundle (KDF_WORKFLOW_BUNDLE, or dist/workflow-bundle.js in production). */
  workflowBundle?: string;
  /** AES-256-GCM payload encryption keys (KDF_CODEC_KEYS_FILE or KDF_CODEC_KEYS); payloads are plaintext without. */
  payloadEncryption?: Keyring;
}

type Env = Record<string, string | undefined>;

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const NodeEntry = z
  .strictObject({
    url: z.url({ protocol: /^https?$/, error: 'Invalid URL (expected http:// or https://)' }),
    userpassEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name')
      .exactOptional(),
    userpassFile: z.string().min(1, 'must not be empty').exactOptional(),
    requestTimeoutMs: z
      .int()
      .min(100, 'must be at least 100')
      // G1: an init on the wire after a stop (≤ this + 1 s) and a dead worker's 20 s heartbeat timeout fit in 60 s
      .max(15_000, 'must be at most 15000 (an enablement ends within 60 s of a cancel, an init on the wire included)')
      .exactOptional(),
    maxConcurrentRequests: z.int().min(1, 'must be at least 1').max(1_000).exactOptional(),
    /** Follow KDF's event stream (needs `event_streaming_configuration` in the node's KDF config). */
    eventStream: z.boolean().exactOptional(),
  })
  .check((ctx) => {
    const { userpassEnv, userpassFile } = ctx.value;
    if ((userpassEnv === undefined) === (userpassFile === undefined)) {
      ctx.issues.push({
        code: 'custom',
        input: ctx.value,
        path: [userpassEnv === undefined ? 'userpassEnv' : 'userpassFile'],
        message: 'exactly one of userpassEnv and userpassFile is required',
      });
    }
  });

const NodesFile = z.strictObject({
  nodes: z
    .record(z.string().regex(ID_PATTERN, 'node id must be 1-64 letters, digits, ".", "_" or "-"'), NodeEntry)
    .refine((nodes) => Object.keys(nodes).length > 0, 'must name at least one node'),
});

/** Reads and validates a nodes file (JSON or YAML), resolving each userpass from its env var or file. */
export function loadNodesFile(file: string, env: Env = process.env, variable = 'KDF_NODES_FILE'): NodeRegistry {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`${variable}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`, variable);
  }
  let raw: unknown;
  try {
    raw = /\.json$/i.test(file) ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ConfigError(`${variable}: ${file} is not valid JSON/YAML: ${(err as Error).message}`, variable);
  }
  const parsed = NodesFile.safeParse(raw);
  if (!parsed.success) throw new ConfigError(issuesMessage(parsed.error, variable, '(file)'), variable);

  const problems: string[] = [];
  const nodes = new Map<string, KdfNodeConfig>();
  for (const [id, entry] of Object.entries(parsed.data.nodes)) {
    let userpass: string | undefined;
    if (entry.userpassEnv !== undefined) {
      userpass = env[entry.userpassEnv];
      if (!userpass?.trim()) {
        problems.push(
          `${variable}: nodes.${id}.userpassEnv: environment variable ${entry.userpassEnv} is not set or empty`
        );
        continue;
      }
    } else if (entry.userpassFile !== undefined) {
      const secretFile = path.resolve(path.dirname(file), entry.userpassFile);
      if (!existsSync(secretFile)) {
        problems.push(`${variable}: nodes.${id}.userpassFile: ${secretFile} does not exist`);
        continue;
      }
      try {
        userpass = readFileSync(secretFile, 'utf8').replace(/\r?\n$/, '');
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
        problems.push(`${variable}: nodes.${id}.userpassFile: ${secretFile} cannot be read (${code})`);
        continue;
      }
      if (!userpass.trim()) {
        problems.push(`${variable}: nodes.${id}.userpassFile: ${secretFile} is empty`);
        continue;
      }
    }
    const node: KdfNodeConfig = { id, url: entry.url, userpass: userpass ?? '' };
    if (entry.requestTimeoutMs !== undefined) node.requestTimeoutMs = entry.requestTimeoutMs;
    if (entry.maxConcurrentRequests !== undefined) node.maxConcurrentRequests = entry.maxConcurrentRequests;
    if (entry.eventStream !== undefined) node.eventStream = entry.eventStream;
    nodes.set(id, node);
  }
  if (problems.length > 0) throw new ConfigError(problems.join('\n'), variable);
  return nodes;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** `host:port` on loopback only: the metrics endpoint has no authentication. */
export function parseMetricsAddress(value: string): string {
  const match = /^(.+):(\d{1,5})$/.exec(value.trim());
  const host = match?.[1];
  const port = Number(match?.[2]);
  if (!host || !LOOPBACK_HOSTS.has(host) || !(port >= 1 && port <= 65_535)) {
    throw new ConfigError(
      `KDF_METRICS_ADDRESS: "${value}" must be a loopback host:port, e.g. 127.0.0.1:9464 (metrics have no auth)`,
      'KDF_METRICS_ADDRESS'
    );
  }
  return `${host === 'localhost' ? '127.0.0.1' : host}:${port}`;
}

function positiveInt(env: Env, name: string, fallback: number, min = 1, max = 100_000): number {
  const value = env[name]?.trim();
  if (value === undefined || value === '') return fallback;
  const number = Number(value);
  if (!/^\d+$/.test(value) || number < min || number > max) {
    throw new ConfigError(`${name}: "${value}" must be an integer from ${min} to ${max}`, name);
  }
  return number;
}

const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error'];

function logLevel(env: Env): LogLevel {
  const value = (env.KDF_LOG_LEVEL?.trim() || 'info').toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(value)) {
    throw new ConfigError(
      `KDF_LOG_LEVEL: "${env.KDF_LOG_LEVEL}" must be one of ${LOG_LEVELS.join(', ')}`,
      'KDF_LOG_LEVEL'
    );
  }
  return value as LogLevel;
}

/**
 * Temporal connection from @temporalio/envconfig (TEMPORAL_ADDRESS, _NAMESPACE, _API_KEY, _TLS_*, profile file).
 * An API key turns TLS on; TLS files are read and checked here, so a bad one is reported by its variable.
 */
export function loadTemporalConfig(env: Env = process.env): WorkerConfig['temporal'] {
  checkTemporalTlsEnv(env);
  const defined = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
  let loaded: ReturnType<typeof loadClientConnectConfig>;
  try {
    loaded = loadClientConnectConfig({ overrideEnvVars: defined });
  } catch (err) {
    throw new ConfigError(`TEMPORAL_*: ${(err as Error).message}`, 'TEMPORAL_ADDRESS');
  }
  const options = loaded.connectionOptions;
  const address = options.address ?? DEFAULT_TEMPORAL_ADDRESS;
  if (!/^[^\s:/]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(address)) {
    throw new ConfigError(`TEMPORAL_ADDRESS: "${address}" must be host:port`, 'TEMPORAL_ADDRESS');
  }
  const connection: NativeConnectionOptions = { address };
  if (options.apiKey !== undefined) connection.apiKey = options.apiKey;
  if (options.tls !== undefined) connection.tls = options.tls;
  if (options.metadata !== undefined) connection.metadata = options.metadata;
  return { connection, namespace: loaded.namespace ?? DEFAULT_NAMESPACE };
}

/** Where to find the repository root (package.json), from this file in worker/ or dist/worker/. */
export function projectRoot(from = path.dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return process.cwd();
  }
}

/**
 * Parses the whole worker configuration.
 * @throws {ConfigError} naming the variable (and the field inside KDF_NODES_FILE) at fault
 */
export function loadWorkerConfig(env: Env = process.env): WorkerConfig {
  const logLevelValue = logLevel(env);
  const temporal = loadTemporalConfig(env);
  const taskQueue = env.KDF_TASK_QUEUE?.trim() || DEFAULT_TASK_QUEUE;
  const nodesFile = env.KDF_NODES_FILE?.trim();
  if (!nodesFile) {
    throw new ConfigError(
      'KDF_NODES_FILE: is required (a JSON or YAML file: { nodes: { <id>: { url, userpassEnv | userpassFile } } })',
      'KDF_NODES_FILE'
    );
  }
  const nodes = loadNodesFile(path.resolve(nodesFile), env);
  const maxConcurrentWorkflowTaskExecutions = positiveInt(env, 'KDF_MAX_CONCURRENT_WORKFLOW_TASKS', 40, 2, 10_000);
  const tuning: WorkerTuning = {
    maxCachedWorkflows: positiveInt(env, 'KDF_MAX_CACHED_WORKFLOWS', 1_000, 0, 1_000_000),
    maxConcurrentActivityTaskExecutions: positiveInt(env, 'KDF_MAX_CONCURRENT_ACTIVITIES', 200, 1, 100_000),
    maxConcurrentWorkflowTaskExecutions,
    shutdownGraceTimeMs: positiveInt(env, 'KDF_SHUTDOWN_GRACE_MS', 10_000, 0, 600_000),
  };
  const config: WorkerConfig = {
    temporal,
    taskQueue,
    nodes,
    nodesFile: path.resolve(nodesFile),
    logLevel: logLevelValue,
    tuning,
  };
  const metrics = env.KDF_METRICS_ADDRESS?.trim();
  if (metrics) config.metricsAddress = parseMetricsAddress(metrics);
  const bundle = env.KDF_WORKFLOW_BUNDLE?.trim();
  if (bundle) {
    if (!existsSync(bundle)) {
      throw new ConfigError(
        `KDF_WORKFLOW_BUNDLE: ${path.resolve(bundle)} does not exist (run npm run build)`,
        'KDF_WORKFLOW_BUNDLE'
      );
    }
    config.workflowBundle = path.resolve(bundle);
  } else if (env.NODE_ENV === 'production') {
    const built = path.join(projectRoot(), 'dist', 'workflow-bundle.js');
    if (existsSync(built)) config.workflowBundle = built;
  }
  const keyring = keyringFromEnv(env);
  if (keyring !== undefined) config.payloadEncryption = keyring;
  return config;
}

/** `https://user:pass@host/x` → `https://host/x`: URLs in logs never carry credentials. */
export function stripUrlCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return '(invalid url)';
  }
}

/** What the worker logs at start: no secrets, URLs without credentials. */
export function configSummary(config: WorkerConfig): Record<string, unknown> {
  return {
    temporalAddress: config.temporal.connection.address,
    namespace: config.temporal.namespace,
    tls: Boolean(config.temporal.connection.tls),
    apiKey: config.temporal.connection.apiKey === undefined ? 'unset' : 'set',
    taskQueue: config.taskQueue,
    nodesFile: config.nodesFile,
    nodes: [...config.nodes.values()].map((node) => ({ id: node.id, url: stripUrlCredentials(node.url) })),
    metricsAddress: config.metricsAddress ?? 'disabled',
    logLevel: config.logLevel,
    workflowCode: config.workflowBundle ?? 'workflowsPath (bundled at start)',
    payloadEncryption: config.payloadEncryption ? keyringSummary(config.payloadEncryption) : 'off',
    ...config.tuning,
  };
}

/** Every userpass in the registry: the logger redacts these values wherever they appear. */
export const secretsOf = (config: Pick<WorkerConfig, 'nodes'>): string[] =>
  [...config.nodes.values()].map((node) => node.userpass).filter((secret) => secret.length > 0);
