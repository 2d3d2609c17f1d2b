/**
 * Removes a node's secrets (its userpass, also JSON-escaped, and a password in its URL) from whatever came from the
 * wire or a library: error texts, and every reply and pushed event before it is parsed, since a task's `Error`
 * details end up in workflow failures and histories.
 *
 * @module
 */
import type { KdfNodeConfig } from '../nodes.js';

export interface Redactor {
  text(value: string): string;
  deep(value: unknown): unknown;
}

/** KDF does not echo the userpass, but a proxy or a future error message might: nothing from the wire is trusted. */
export function createRedactor(node: KdfNodeConfig): Redactor {
  const { password } = new URL(node.url);
  const secrets = [node.userpass, JSON.stringify(node.userpass).slice(1, -1), password, decodeURIComponent(password)]
    .filter((secret) => secret.length > 0)
    .sort((a, b) => b.length - a.length);
  const text = (value: string): string => secrets.reduce((out, secret) => out.replaceAll(secret, '[redacted]'), value);
  const deep = (value: unknown): unknown => {
    if (typeof value === 'string') return text(value);
    if (Array.isArray(value)) return value.map(deep);
    if (typeof value === 'object' && value !== null) {
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [text(key), deep(item)]));
    }
    return value;
  };
  return { text, deep };
}
