// Structured JSON logs (pino) for the worker, and the SDK logger that forwards workflow, activity and core logs to it.
import type { LogLevel as SdkLogLevel, LogMetadata, Logger as SdkLogger } from '@temporalio/common';
import { pino } from 'pino';
import type { Logger as PinoLogger } from 'pino';
import type { LogLevel } from './config.js';

export const REDACTED = '[REDACTED]';

/**
 * Replaces every occurrence of a secret in a serialised log line, raw and JSON-escaped. The safety net behind
 * "userpasses are never logged": whatever object or message carries one, the line written has none.
 */
export function createRedactor(secrets: Iterable<string>): (line: string) => string {
  const needles = new Set<string>();
  for (const secret of secrets) {
    if (!secret) continue;
    needles.add(secret);
    needles.add(JSON.stringify(secret).slice(1, -1));
  }
  // longest first, so a secret containing another is replaced whole
  const ordered = [...needles].sort((a, b) => b.length - a.length);
  if (ordered.length === 0) return (line) => line;
  return (line) => {
    let out = line;
    for (const needle of ordered) if (out.includes(needle)) out = out.split(needle).join(REDACTED);
    return out;
  };
}

export interface LoggerOptions {
  level: LogLevel;
  /** Values that must never appear in a log line (userpasses, the Temporal API key). */
  secrets?: Iterable<string>;
  /** Where lines go. @default process.stdout */
  write?: (line: string) => void;
  /** Static fields on every line. */
  base?: Record<string, unknown>;
}

/** A pino logger writing JSON lines, with every secret value redacted. */
export function createLogger(options: LoggerOptions): PinoLogger {
  const redact = createRedactor(options.secrets ?? []);
  const write = options.write ?? ((line: string) => void process.stdout.write(line));
  return pino(
    {
      level: options.level,
      base: { service: 'kdf-lightning-worker', pid: process.pid, ...options.base },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err, failure: pino.stdSerializers.err },
    },
    { write: (line: string) => write(redact(line)) }
  );
}

const PINO_LEVEL: Record<SdkLogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/**
 * The Temporal SDK `Logger` over pino: `Runtime.install({ logger })` sends SDK, workflow (`log` from
 * `@temporalio/workflow`), activity (`log` from `@temporalio/activity`) and forwarded core logs here, with their
 * context (workflowId, runId, activityType, taskQueue, sdkComponent, …) in the meta.
 */
export class PinoSdkLogger implements SdkLogger {
  constructor(private readonly target: PinoLogger) {}

  log(level: SdkLogLevel, message: string, meta?: LogMetadata): void {
    // symbol keys (the SDK's timestamp) are dropped by JSON serialisation; errors go through pino's serializers
    const fields: Record<string, unknown> = { ...meta };
    this.target[PINO_LEVEL[level] ?? 'info'](fields, message);
  }

  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta);
  }

  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta);
  }

  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta);
  }

  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }

  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }
}

/** KDF_LOG_LEVEL → the SDK's level names. */
export const sdkLogLevel = (level: LogLevel): SdkLogLevel => level.toUpperCase() as SdkLogLevel;
