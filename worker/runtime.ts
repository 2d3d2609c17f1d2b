// The Temporal Runtime of the worker process: logs forwarded to pino, Prometheus metrics, shutdown signals.
import { makeTelemetryFilterString, Runtime } from '@temporalio/worker';
import type { Logger as PinoLogger } from 'pino';
import type { LogLevel } from './config.js';
import { PinoSdkLogger, sdkLogLevel } from './logger.js';

export interface RuntimeSettings {
  logger: PinoLogger;
  logLevel: LogLevel;
  /** Loopback `host:port`; serves `/metrics` in Prometheus text format when set. */
  metricsAddress?: string;
}

/**
 * Installs the Runtime singleton; call before creating any NativeConnection or Worker.
 * - SDK, workflow and activity logs go to pino with their context; core (Rust) logs are forwarded there too.
 * - Metrics: the SDK's own series (`temporal_*`) and the custom ones emitted through `metricMeter` /
 *   `Context.current().metricMeter` (`kdf_*`) are served by the Runtime's Prometheus exporter.
 * - SIGINT/SIGTERM/SIGQUIT start a graceful shutdown of every worker (`Runtime.shutdownSignals` default).
 */
export function installRuntime(settings: RuntimeSettings): Runtime {
  const level = sdkLogLevel(settings.logLevel);
  const coreLevel = level === 'TRACE' || level === 'DEBUG' ? level : 'WARN';
  return Runtime.install({
    logger: new PinoSdkLogger(settings.logger),
    telemetryOptions: {
      logging: { forward: {}, filter: makeTelemetryFilterString({ core: coreLevel, other: 'ERROR' }) },
      ...(settings.metricsAddress && {
        metrics: {
          prometheus: {
            bindAddress: settings.metricsAddress,
            // `kdf_enablements_total`, `kdf_phase_duration_ms`: Prometheus naming for counters and units
            countersTotalSuffix: true,
            unitSuffix: true,
          },
        },
      }),
    },
    shutdownSignals: ['SIGINT', 'SIGTERM', 'SIGQUIT'],
  });
}
