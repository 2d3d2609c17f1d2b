/** An HTTP status and a JSON body. */
export interface Reply {
  readonly status: number;
  readonly body: unknown;
}

export const reply = (body: unknown, status = 200): Reply => ({ status, body });

/** Legacy errors are HTTP 500 with `{"error": "..."}`, sometimes with extra fields (contract §1.6). */
export const legacyError = (message: string, extra: Record<string, unknown> = {}): Reply =>
  reply({ error: message, ...extra }, 500);
