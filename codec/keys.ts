// Payload encryption keys from KDF_CODEC_KEYS_FILE (or KDF_CODEC_KEYS), validated once. Key material is never printed.
import { createSecretKey, type KeyObject } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../common/config-error.js';
import { issuesMessage } from '../common/zod-messages.js';

export const KEYS_FILE_VARIABLE = 'KDF_CODEC_KEYS_FILE';
export const KEYS_VARIABLE = 'KDF_CODEC_KEYS';

/** AES-256 keys by id: `current` encrypts, every key decrypts (rotation keeps the old ones). */
export interface Keyring {
  current: string;
  /** `KeyObject`s print as `SecretKeyObject { symmetricKeySize: 32 }`, never their bytes. */
  keys: ReadonlyMap<string, KeyObject>;
  /** Set when the keys file can be read by its group or other users: a warning for the service to log. */
  exposure?: string;
}

const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
const KEY_ID_MESSAGE = 'key id must be 1-64 letters, digits, ".", "_" or "-"';
/** Exactly 32 bytes in canonical standard base64 (what `openssl rand -base64 32` prints). */
const isAes256Base64 = (text: string): boolean => {
  const bytes = Buffer.from(text, 'base64');
  return bytes.length === 32 && bytes.toString('base64') === text;
};

const KeysDocument = z
  .strictObject({
    current: z.string().regex(KEY_ID, KEY_ID_MESSAGE),
    keys: z
      .record(
        z.string().regex(KEY_ID, KEY_ID_MESSAGE),
        z
          .string()
          .refine(isAes256Base64, 'must be 32 random bytes in base64 (44 characters), e.g. `openssl rand -base64 32`')
      )
      .refine((keys) => Object.keys(keys).length > 0, 'must hold at least one key'),
  })
  .check((ctx) => {
    const { current, keys } = ctx.value;
    if (!Object.hasOwn(keys, current)) {
      ctx.issues.push({
        code: 'custom',
        input: current,
        path: ['current'],
        message: `must name one of the keys (${Object.keys(keys).join(', ')})`,
      });
    }
  });

/**
 * Parses a keys document `{ "current": "k2", "keys": { "k1": "<base64>", "k2": "<base64>" } }`.
 * @throws {ConfigError} naming `variable` and the field at fault, never a key
 */
export function parseKeyring(text: string, variable: string, source = 'the value'): Keyring {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    // the parser's message quotes the text around the error, which may be key material
    throw new ConfigError(`${variable}: ${source} is not valid JSON`, variable);
  }
  const parsed = KeysDocument.safeParse(raw);
  if (!parsed.success) throw new ConfigError(issuesMessage(parsed.error, variable, '(document)'), variable);
  const keys = new Map(
    Object.entries(parsed.data.keys).map(([id, base64]) => [id, createSecretKey(Buffer.from(base64, 'base64'))])
  );
  return { current: parsed.data.current, keys };
}

/**
 * The keyring from KDF_CODEC_KEYS_FILE (a JSON file) or KDF_CODEC_KEYS (the JSON itself); undefined when neither
 * is set, i.e. payloads are not encrypted.
 * @throws {ConfigError} naming the variable and the field at fault
 */
export function keyringFromEnv(env: Record<string, string | undefined>): Keyring | undefined {
  const file = env[KEYS_FILE_VARIABLE]?.trim();
  const inline = env[KEYS_VARIABLE]?.trim();
  if (file && inline) {
    throw new ConfigError(
      `${KEYS_VARIABLE}: set either ${KEYS_VARIABLE} or ${KEYS_FILE_VARIABLE}, not both`,
      KEYS_VARIABLE
    );
  }
  if (inline) return parseKeyring(inline, KEYS_VARIABLE);
  if (!file) return undefined;
  const resolved = path.resolve(file);
  let text: string;
  try {
    text = readFileSync(resolved, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError(`${KEYS_FILE_VARIABLE}: cannot read ${resolved}: ${reason}`, KEYS_FILE_VARIABLE);
  }
  const keyring = parseKeyring(text, KEYS_FILE_VARIABLE, resolved);
  const mode = statSync(resolved).mode & 0o777;
  if ((mode & 0o077) === 0) return keyring;
  const exposure = `${KEYS_FILE_VARIABLE}: ${resolved} (mode ${mode.toString(8)}) is readable by other users: chmod 600 it`;
  return { ...keyring, exposure };
}

/** What may be logged about a keyring: the key ids, never the keys. */
export const keyringSummary = (keyring: Keyring): { currentKey: string; keyIds: string[] } => ({
  currentKey: keyring.current,
  keyIds: [...keyring.keys.keys()],
});
