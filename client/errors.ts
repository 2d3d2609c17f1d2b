// Errors the library throws for conditions the CLI maps to exit codes.

/** Thrown when the Temporal server cannot be reached (connect deadline, UNAVAILABLE). */
export class TemporalUnavailableError extends Error {
  override name = 'TemporalUnavailableError';
}

/** Thrown when no enablement exists for a node and ticker (or none is running, for cancel). */
export class EnablementNotFoundError extends Error {
  override name = 'EnablementNotFoundError';
  constructor(
    message: string,
    readonly workflowId: string
  ) {
    super(message);
  }
}

/** gRPC status UNAVAILABLE / DEADLINE_EXCEEDED, or the connect deadline: the server is not there. */
export function isUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err instanceof TemporalUnavailableError) return true;
  const code = (err as { code?: unknown }).code ?? (err.cause as { code?: unknown } | undefined)?.code;
  if (code === 14) return true;
  return /Failed to connect before the deadline|ECONNREFUSED|UNAVAILABLE/.test(err.message);
}
