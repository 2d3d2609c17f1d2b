/**
 * Bad configuration or input, found before anything runs. The message starts with the variable, flag or field at
 * fault, which `field` also names (e.g. `KDF_NODES_FILE`, `TEMPORAL_TLS_CLIENT_KEY_PATH`).
 */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    message: string,
    readonly field: string
  ) {
    super(message);
  }
}
