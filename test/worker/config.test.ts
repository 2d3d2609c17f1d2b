import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  ConfigError,
  configSummary,
  loadWorkerConfig,
  parseMetricsAddress,
  stripUrlCredentials,
} from '../../worker/config.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'kdf-config-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const USERPASS = 'Correct-Horse-Battery-Staple-42';

function file(name: string, text: string): string {
  const target = path.join(dir, name);
  writeFileSync(target, text);
  return target;
}

let files = 0;
const nodesJson = (nodes: unknown) => file(`nodes-${++files}.json`, JSON.stringify({ nodes }));

/** Env with a valid nodes file unless overridden; TEMPORAL_CONFIG_FILE points nowhere so no profile is read. */
function env(overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    KDF_NODES_FILE: nodesJson({ alpha: { url: 'http://127.0.0.1:7783', userpassEnv: 'ALPHA_USERPASS' } }),
    ALPHA_USERPASS: USERPASS,
    TEMPORAL_CONFIG_FILE: path.join(dir, 'none.toml'),
    ...overrides,
  };
}

function configError(values: Record<string, string | undefined>): ConfigError {
  try {
    loadWorkerConfig(values);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('configuration accepted');
}

describe('valid configuration', () => {
  test('defaults: 127.0.0.1:7233, namespace default, task queue kdf-lightning, info logs, no metrics', () => {
    const config = loadWorkerConfig(env());
    expect(config.temporal).toEqual({ connection: { address: '127.0.0.1:7233' }, namespace: 'default' });
    expect(config.taskQueue).toBe('kdf-lightning');
    expect(config.logLevel).toBe('info');
    expect(config.metricsAddress).toBeUndefined();
    expect(config.nodes.get('alpha')).toEqual({ id: 'alpha', url: 'http://127.0.0.1:7783', userpass: USERPASS });
    expect(config.tuning).toEqual({
      maxCachedWorkflows: 1000,
      maxConcurrentActivityTaskExecutions: 200,
      maxConcurrentWorkflowTaskExecutions: 40,
      shutdownGraceTimeMs: 10_000,
    });
  });

  test('TEMPORAL_* through envconfig, KDF_* overrides', () => {
    const config = loadWorkerConfig(
      env({
        TEMPORAL_ADDRESS: 'temporal.example:7233',
        TEMPORAL_NAMESPACE: 'kdf',
        TEMPORAL_API_KEY: 'api-key-123',
        KDF_TASK_QUEUE: 'q1',
        KDF_LOG_LEVEL: 'DEBUG',
        KDF_METRICS_ADDRESS: 'localhost:9464',
        KDF_MAX_CACHED_WORKFLOWS: '50',
        KDF_MAX_CONCURRENT_ACTIVITIES: '20',
        KDF_MAX_CONCURRENT_WORKFLOW_TASKS: '10',
      })
    );
    expect(config.temporal.connection).toMatchObject({
      address: 'temporal.example:7233',
      apiKey: 'api-key-123',
      tls: true,
    });
    expect(config.temporal.namespace).toBe('kdf');
    expect(config.taskQueue).toBe('q1');
    expect(config.logLevel).toBe('debug');
    expect(config.metricsAddress).toBe('127.0.0.1:9464');
    expect(config.tuning).toMatchObject({
      maxCachedWorkflows: 50,
      maxConcurrentActivityTaskExecutions: 20,
      maxConcurrentWorkflowTaskExecutions: 10,
    });
  });

  test('YAML nodes file, userpassFile relative to it (trailing newline dropped), per-node options', () => {
    file('alpha.secret', `${USERPASS}\n`);
    const yaml = file(
      'nodes.yaml',
      `nodes:\n  alpha:\n    url: https://kdf.example/rpc\n    userpassFile: alpha.secret\n    requestTimeoutMs: 5000\n    maxConcurrentRequests: 4\n  beta:\n    url: http://127.0.0.1:7784\n    userpassEnv: BETA\n`
    );
    const config = loadWorkerConfig(env({ KDF_NODES_FILE: yaml, BETA: 'beta-pass' }));
    expect(config.nodes.get('alpha')).toEqual({
      id: 'alpha',
      url: 'https://kdf.example/rpc',
      userpass: USERPASS,
      requestTimeoutMs: 5000,
      maxConcurrentRequests: 4,
    });
    expect(config.nodes.get('beta')?.userpass).toBe('beta-pass');
  });

  test('the summary names nodes and URLs without credentials and never a userpass or API key', () => {
    const nodes = nodesJson({ alpha: { url: 'http://admin:hunter2@127.0.0.1:7783/', userpassEnv: 'ALPHA_USERPASS' } });
    const config = loadWorkerConfig(env({ KDF_NODES_FILE: nodes, TEMPORAL_API_KEY: 'api-key-xyz' }));
    const text = JSON.stringify(configSummary(config));
    expect(text).toContain('"id":"alpha"');
    expect(text).toContain('http://127.0.0.1:7783/');
    expect(text).not.toContain(USERPASS);
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('api-key-xyz');
    expect(stripUrlCredentials('https://u:p@h:1/x')).toBe('https://h:1/x');
  });
});

describe('each bad field is named', () => {
  test.each<[string, Record<string, string | undefined>, string]>([
    ['KDF_NODES_FILE missing', { KDF_NODES_FILE: undefined }, 'KDF_NODES_FILE: is required'],
    ['KDF_NODES_FILE unreadable', { KDF_NODES_FILE: '/nonexistent/nodes.json' }, 'KDF_NODES_FILE: cannot read'],
    [
      'KDF_LOG_LEVEL',
      { KDF_LOG_LEVEL: 'loud' },
      'KDF_LOG_LEVEL: "loud" must be one of trace, debug, info, warn, error',
    ],
    [
      'KDF_METRICS_ADDRESS not loopback',
      { KDF_METRICS_ADDRESS: '0.0.0.0:9464' },
      'KDF_METRICS_ADDRESS: "0.0.0.0:9464" must be a loopback',
    ],
    ['KDF_METRICS_ADDRESS no port', { KDF_METRICS_ADDRESS: '127.0.0.1' }, 'KDF_METRICS_ADDRESS:'],
    [
      'KDF_MAX_CACHED_WORKFLOWS',
      { KDF_MAX_CACHED_WORKFLOWS: 'many' },
      'KDF_MAX_CACHED_WORKFLOWS: "many" must be an integer',
    ],
    ['KDF_MAX_CONCURRENT_ACTIVITIES', { KDF_MAX_CONCURRENT_ACTIVITIES: '0' }, 'KDF_MAX_CONCURRENT_ACTIVITIES: "0"'],
    [
      'KDF_MAX_CONCURRENT_WORKFLOW_TASKS',
      { KDF_MAX_CONCURRENT_WORKFLOW_TASKS: '1' },
      'KDF_MAX_CONCURRENT_WORKFLOW_TASKS: "1" must be an integer from 2',
    ],
    ['KDF_SHUTDOWN_GRACE_MS', { KDF_SHUTDOWN_GRACE_MS: '-1' }, 'KDF_SHUTDOWN_GRACE_MS:'],
    ['KDF_WORKFLOW_BUNDLE', { KDF_WORKFLOW_BUNDLE: '/nonexistent/bundle.js' }, 'KDF_WORKFLOW_BUNDLE:'],
    ['TEMPORAL_ADDRESS', { TEMPORAL_ADDRESS: 'no port here' }, 'TEMPORAL_ADDRESS: "no port here" must be host:port'],
  ])('%s', (_name, overrides, message) => {
    const error = configError(env(overrides));
    expect(error.message).toContain(message);
    expect(message.startsWith(error.field)).toBe(true);
  });

  test.each<[string, unknown, string]>([
    [
      'invalid URL',
      { alpha: { url: 'not a url', userpassEnv: 'ALPHA_USERPASS' } },
      'KDF_NODES_FILE: nodes.alpha.url: Invalid URL',
    ],
    [
      'non-http URL',
      { alpha: { url: 'ftp://h/x', userpassEnv: 'ALPHA_USERPASS' } },
      'KDF_NODES_FILE: nodes.alpha.url: Invalid URL',
    ],
    [
      'no userpass source',
      { alpha: { url: 'http://h:1' } },
      'nodes.alpha.userpassEnv: exactly one of userpassEnv and userpassFile',
    ],
    [
      'both userpass sources',
      { alpha: { url: 'http://h:1', userpassEnv: 'ALPHA_USERPASS', userpassFile: 'x' } },
      'nodes.alpha.userpassFile: exactly one of userpassEnv and userpassFile',
    ],
    [
      'unset env var',
      { alpha: { url: 'http://h:1', userpassEnv: 'NOPE_NOT_SET' } },
      'nodes.alpha.userpassEnv: environment variable NOPE_NOT_SET is not set or empty',
    ],
    ['missing file', { alpha: { url: 'http://h:1', userpassFile: 'missing.secret' } }, 'nodes.alpha.userpassFile:'],
    [
      'unknown field',
      { alpha: { url: 'http://h:1', userpassEnv: 'ALPHA_USERPASS', userpass: 'inline!' } },
      'nodes.alpha.userpass: unknown field',
    ],
    [
      'timeout too long',
      { alpha: { url: 'http://h:1', userpassEnv: 'ALPHA_USERPASS', requestTimeoutMs: 60_000 } },
      'nodes.alpha.requestTimeoutMs: must be at most 15000',
    ],
    [
      'bad concurrency',
      { alpha: { url: 'http://h:1', userpassEnv: 'ALPHA_USERPASS', maxConcurrentRequests: 0 } },
      'nodes.alpha.maxConcurrentRequests: must be at least 1',
    ],
    [
      'bad node id',
      { 'bad id': { url: 'http://h:1', userpassEnv: 'ALPHA_USERPASS' } },
      'KDF_NODES_FILE: nodes.bad id: node id must be',
    ],
    ['no nodes', {}, 'KDF_NODES_FILE: nodes: must name at least one node'],
  ])('nodes file: %s', (_name, nodes, message) => {
    const error = configError(env({ KDF_NODES_FILE: nodesJson(nodes) }));
    expect(error.field).toBe('KDF_NODES_FILE');
    expect(error.message).toContain(message);
    expect(error.message).not.toContain(USERPASS);
  });

  test('an empty userpass file and an empty env var are rejected', () => {
    file('empty.secret', '\n');
    expect(
      configError(env({ KDF_NODES_FILE: nodesJson({ a: { url: 'http://h:1', userpassFile: 'empty.secret' } }) }))
        .message
    ).toContain('nodes.a.userpassFile:');
    expect(configError(env({ ALPHA_USERPASS: '' })).message).toContain('ALPHA_USERPASS is not set or empty');
  });

  test('an unknown field in a YAML nodes file is named', () => {
    const yaml = file(
      'nodes.yaml',
      'nodes:\n  alpha:\n    url: http://h:1\n    userpassEnv: ALPHA_USERPASS\n    userpas: oops\n'
    );
    expect(configError(env({ KDF_NODES_FILE: yaml })).message).toBe(
      'KDF_NODES_FILE: nodes.alpha.userpas: unknown field'
    );
  });

  test('a file that is neither JSON nor YAML, or has no nodes key', () => {
    expect(configError(env({ KDF_NODES_FILE: file('bad.json', '{ nodes: ') })).message).toContain('KDF_NODES_FILE: ');
    expect(configError(env({ KDF_NODES_FILE: file('bad.yaml', 'nodes: [1, 2') })).message).toContain(
      'is not valid JSON/YAML'
    );
    expect(configError(env({ KDF_NODES_FILE: file('other.yaml', 'hosts: {}\n') })).message).toContain(
      'KDF_NODES_FILE: nodes:'
    );
  });
});

test('parseMetricsAddress accepts only loopback host:port', () => {
  expect(parseMetricsAddress('127.0.0.1:9464')).toBe('127.0.0.1:9464');
  expect(parseMetricsAddress('[::1]:9464')).toBe('[::1]:9464');
  for (const bad of ['10.0.0.1:9464', '127.0.0.1:0', '127.0.0.1:99999', ':9464', 'localhost']) {
    expect(() => parseMetricsAddress(bad)).toThrow(ConfigError);
  }
});
