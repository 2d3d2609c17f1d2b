// `npm run worker`: the kdf-lightning worker process. Configuration from the environment (worker/README.md).
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { Logger as PinoLogger } from 'pino';
import { encryptionDataConverter } from '../codec/encryption-codec.js';
import { ConfigError, configSummary, loadWorkerConfig, secretsOf } from './config.js';
import { KdfEventStreams } from '../activities/index.js';
import { createKdfWorker } from './create-worker.js';
import { createLogger } from './logger.js';
import { eventStreamMetrics, exportWorkflowCountersAtZero } from './metrics.js';
import { installRuntime } from './runtime.js';

/** Exit codes: 78 bad configuration (EX_CONFIG), 69 Temporal unreachable (EX_UNAVAILABLE), 1 anything else. */
const EXIT_CONFIG = 78;
const EXIT_UNAVAILABLE = 69;

let log: PinoLogger | undefined;

async function run(): Promise<void> {
  const config = loadWorkerConfig(process.env);
  const secrets = secretsOf(config);
  if (config.temporal.connection.apiKey !== undefined) secrets.push(config.temporal.connection.apiKey);
  log = createLogger({ level: config.logLevel, secrets });
  const metrics: { metricsAddress?: string } = config.metricsAddress ? { metricsAddress: config.metricsAddress } : {};
  const runtime = installRuntime({ logger: log, logLevel: config.logLevel, ...metrics });
  log.info({ config: configSummary(config) }, 'starting kdf-lightning worker');
  if (config.payloadEncryption?.exposure !== undefined) log.warn(config.payloadEncryption.exposure);

  let connection: NativeConnection;
  let clientConnection: Connection;
  try {
    connection = await NativeConnection.connect(config.temporal.connection);
    clientConnection = await Connection.connect(config.temporal.connection);
  } catch (err) {
    throw Object.assign(new Error(`cannot reach Temporal at ${config.temporal.connection.address}`, { cause: err }), {
      exitCode: EXIT_UNAVAILABLE,
    });
  }
  const eventStreams = new KdfEventStreams(config.nodes, eventStreamMetrics(runtime.metricMeter, log));
  // the fleet activities' client reads enablement results, so it decrypts like the worker
  const dataConverter = config.payloadEncryption && encryptionDataConverter(config.payloadEncryption);
  try {
    const worker = await createKdfWorker({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: config.taskQueue,
      nodes: config.nodes,
      client: new Client({
        connection: clientConnection,
        namespace: config.temporal.namespace,
        ...(dataConverter && { dataConverter }),
      }),
      eventStreams,
      tuning: config.tuning,
      ...(config.workflowBundle !== undefined && { workflowBundlePath: config.workflowBundle }),
      ...(dataConverter && { dataConverter }),
    });
    if (config.metricsAddress) {
      const scope = { namespace: config.temporal.namespace, taskQueue: config.taskQueue };
      exportWorkflowCountersAtZero(runtime.metricMeter, scope, [...config.nodes.keys()]);
      log.info({ url: `http://${config.metricsAddress}/metrics` }, 'Prometheus metrics');
    }
    log.info({ taskQueue: config.taskQueue, namespace: config.temporal.namespace }, 'worker running');
    await worker.run();
    log.info('worker stopped');
  } finally {
    eventStreams.close();
    await Promise.all([connection.close(), clientConnection.close()]);
  }
}

run().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`kdf-lightning worker: configuration error\n${err.message}\n`);
    process.exit(EXIT_CONFIG);
  }
  const code = (err as { exitCode?: number }).exitCode ?? 1;
  if (log) log.fatal({ err }, err instanceof Error ? err.message : String(err));
  else console.error(err);
  if (code === EXIT_UNAVAILABLE) {
    const cause = (err as Error).cause;
    process.stderr.write(
      `kdf-lightning worker: ${(err as Error).message}: ${cause instanceof Error ? cause.message : ''}\n`
    );
  }
  process.exit(code);
});
