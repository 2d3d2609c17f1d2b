// The AES-256-GCM payload codec and its keyring: round trip, rotation, unknown keys, tampering, config errors.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import type { Payload } from '@temporalio/common';
import { defaultPayloadConverter } from '@temporalio/common';
import {
  ENCRYPTED_ENCODING,
  EncryptionCodec,
  KEY_ID_METADATA,
  PayloadDecryptionError,
} from '../../codec/encryption-codec.js';
import { ConfigError } from '../../common/config-error.js';
import { keyringFromEnv, parseKeyring, type Keyring } from '../../codec/keys.js';

const newKey = (): string => randomBytes(32).toString('base64');
const K1 = newKey();
const K2 = newKey();
const keyring = (current: string, keys: Record<string, string>): Keyring =>
  parseKeyring(JSON.stringify({ current, keys }), 'KDF_CODEC_KEYS');

const SECRET_INPUT = { node: 'node-alpha-7f3c', ticker: 'tBTC-lightning', note: 'plaintext-marker-91c2' };
const payload = (value: unknown = SECRET_INPUT): Payload => defaultPayloadConverter.toPayload(value);
const text = (bytes: Uint8Array | null | undefined): string => Buffer.from(bytes ?? []).toString('utf8');

describe('EncryptionCodec', () => {
  const codec = new EncryptionCodec(keyring('k1', { k1: K1 }));

  test('round trip: metadata and data come back byte for byte', async () => {
    const original = [payload(), payload('second'), payload(null), { metadata: {}, data: new Uint8Array() }];
    const encoded = await codec.encode(original);
    const decoded = await codec.decode(encoded);
    expect(decoded.map((p) => [p.metadata, Buffer.from(p.data ?? [])])).toEqual(
      original.map((p) => [p.metadata, Buffer.from(p.data ?? [])])
    );
    expect(defaultPayloadConverter.fromPayload(decoded[0] as Payload)).toEqual(SECRET_INPUT);
    expect(await codec.encode([])).toEqual([]);
  });

  test('ciphertext only: encoding binary/encrypted, the key id in metadata, no plaintext, a fresh IV each time', async () => {
    const [a, b] = await codec.encode([payload(), payload()]);
    for (const encrypted of [a, b] as Payload[]) {
      expect(Object.keys(encrypted.metadata ?? {}).sort()).toEqual(['encoding', KEY_ID_METADATA]);
      expect(text(encrypted.metadata?.encoding)).toBe(ENCRYPTED_ENCODING);
      expect(text(encrypted.metadata?.[KEY_ID_METADATA])).toBe('k1');
      const bytes = Buffer.from(encrypted.data ?? []);
      for (const plain of ['node-alpha-7f3c', 'tBTC-lightning', 'plaintext-marker-91c2', 'json/plain']) {
        expect(bytes.includes(plain)).toBe(false);
        expect(bytes.toString('base64').includes(Buffer.from(plain).toString('base64'))).toBe(false);
      }
    }
    expect(Buffer.from(a?.data ?? []).equals(Buffer.from(b?.data ?? []))).toBe(false);
  });

  test('rotation: new payloads use the current key, old ones still decrypt with theirs', async () => {
    const before = await new EncryptionCodec(keyring('k1', { k1: K1 })).encode([payload()]);
    const rotated = new EncryptionCodec(keyring('k2', { k1: K1, k2: K2 }));
    const after = await rotated.encode([payload()]);
    expect(text(after[0]?.metadata?.[KEY_ID_METADATA])).toBe('k2');
    const decoded = await rotated.decode([...before, ...after]);
    expect(decoded.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual([SECRET_INPUT, SECRET_INPUT]);
  });

  test('an unknown key id is a clear error naming the key and the known ones', async () => {
    const fromK2 = await new EncryptionCodec(keyring('k2', { k2: K2 })).encode([payload()]);
    const error = await codec.decode(fromK2).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(PayloadDecryptionError);
    expect((error as PayloadDecryptionError).keyId).toBe('k2');
    expect((error as Error).message).toMatch(/encrypted with key "k2", which is not in the keyring \(known: k1\)/);
  });

  test('a different key under the same id fails authentication', async () => {
    const impostor = await new EncryptionCodec(keyring('k1', { k1: K2 })).encode([payload()]);
    await expect(codec.decode(impostor)).rejects.toThrow(/key "k1"\) failed authentication/);
  });

  test.each<[string, (encrypted: Payload) => Payload]>([
    [
      'a flipped ciphertext bit',
      (p) => {
        const data = Buffer.from(p.data ?? []);
        data[20] = (data[20] as number) ^ 0x01;
        return { ...p, data };
      },
    ],
    [
      'a flipped IV bit',
      (p) => {
        const data = Buffer.from(p.data ?? []);
        data[0] = (data[0] as number) ^ 0x80;
        return { ...p, data };
      },
    ],
    ['a cut-off tag', (p) => ({ ...p, data: Buffer.from(p.data ?? []).subarray(0, -1) })],
    [
      'the key id swapped for another known key',
      (p) => ({ ...p, metadata: { ...p.metadata, [KEY_ID_METADATA]: Buffer.from('k2') } }),
    ],
  ])('tampered payload rejected: %s', async (_name, tamper) => {
    const both = new EncryptionCodec(keyring('k1', { k1: K1, k2: K2 }));
    const [encrypted] = await both.encode([payload()]);
    const error = await both.decode([tamper(encrypted as Payload)]).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(PayloadDecryptionError);
    expect((error as Error).message).toMatch(/failed authentication/);
  });

  test('malformed encrypted payloads: no key id, truncated', async () => {
    const encoding = { encoding: Buffer.from(ENCRYPTED_ENCODING) };
    await expect(codec.decode([{ metadata: encoding, data: randomBytes(40) }])).rejects.toThrow(
      /has no "encryption-key-id" metadata/
    );
    await expect(
      codec.decode([{ metadata: { ...encoding, [KEY_ID_METADATA]: Buffer.from('k1') }, data: randomBytes(10) }])
    ).rejects.toThrow(/\(key "k1"\) is truncated/);
  });

  test('payloads written before encryption was turned on pass through decode', async () => {
    const plain = payload();
    expect(await codec.decode([plain])).toEqual([plain]);
  });

  test('the keys never print: KeyObjects hide their bytes', () => {
    const ring = keyring('k1', { k1: K1, k2: K2 });
    const printed = `${inspect(ring, { depth: 5 })}${JSON.stringify(ring)}${JSON.stringify([...ring.keys])}`;
    for (const key of [K1, K2]) {
      expect(printed).not.toContain(key);
      expect(printed).not.toContain(Buffer.from(key, 'base64').toString('hex'));
    }
  });
});

describe('keyring configuration: each bad field is named, no key material in any message', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'kdf-codec-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const file = (content: string): string => {
    const target = path.join(dir, 'keys.json');
    writeFileSync(target, content);
    return target;
  };

  function configError(env: Record<string, string | undefined>): ConfigError {
    try {
      keyringFromEnv(env);
    } catch (err) {
      if (err instanceof ConfigError) return err;
      throw err;
    }
    throw new Error('configuration accepted');
  }

  test('KDF_CODEC_KEYS_FILE and KDF_CODEC_KEYS (inline JSON) both load; neither means no encryption', () => {
    const document = JSON.stringify({ current: 'k2', keys: { k1: K1, k2: K2 } });
    for (const env of [{ KDF_CODEC_KEYS_FILE: file(document) }, { KDF_CODEC_KEYS: document }]) {
      const ring = keyringFromEnv(env);
      expect(ring?.current).toBe('k2');
      expect([...(ring?.keys.keys() ?? [])]).toEqual(['k1', 'k2']);
      expect(ring?.keys.get('k1')?.export().toString('base64')).toBe(K1);
    }
    expect(keyringFromEnv({})).toBeUndefined();
    expect(keyringFromEnv({ KDF_CODEC_KEYS_FILE: ' ', KDF_CODEC_KEYS: '' })).toBeUndefined();
  });

  const SHORT = randomBytes(31).toString('base64');
  const LONG = randomBytes(33).toString('base64');
  test.each<[string, () => Record<string, string>, string]>([
    ['unreadable file', () => ({ KDF_CODEC_KEYS_FILE: '/nonexistent/keys.json' }), 'KDF_CODEC_KEYS_FILE: cannot read'],
    [
      'not JSON (the parser would quote the key)',
      () => ({ KDF_CODEC_KEYS_FILE: file(`{ "current": "k1", "keys": { "k1": "${K1}", } }`) }),
      'keys.json is not valid JSON',
    ],
    ['both variables', () => ({ KDF_CODEC_KEYS_FILE: 'x.json', KDF_CODEC_KEYS: '{}' }), 'KDF_CODEC_KEYS: set either'],
    [
      '31-byte key',
      () => ({ KDF_CODEC_KEYS: JSON.stringify({ current: 'k1', keys: { k1: SHORT } }) }),
      'KDF_CODEC_KEYS: keys.k1: must be 32 random bytes in base64',
    ],
    [
      '33-byte key',
      () => ({ KDF_CODEC_KEYS_FILE: file(JSON.stringify({ current: 'k1', keys: { k1: LONG } })) }),
      'KDF_CODEC_KEYS_FILE: keys.k1: must be 32 random bytes in base64',
    ],
    [
      'hex instead of base64',
      () => ({ KDF_CODEC_KEYS: JSON.stringify({ current: 'k1', keys: { k1: randomBytes(32).toString('hex') } }) }),
      'KDF_CODEC_KEYS: keys.k1: must be 32 random bytes in base64',
    ],
    [
      'current names no key',
      () => ({ KDF_CODEC_KEYS: JSON.stringify({ current: 'k3', keys: { k1: K1, k2: K2 } }) }),
      'KDF_CODEC_KEYS: current: must name one of the keys (k1, k2)',
    ],
    [
      'no keys',
      () => ({ KDF_CODEC_KEYS: JSON.stringify({ current: 'k1', keys: {} }) }),
      'KDF_CODEC_KEYS: keys: must hold at least one key',
    ],
    [
      'bad key id',
      () => ({ KDF_CODEC_KEYS: JSON.stringify({ current: 'k1', keys: { k1: K1, 'bad id!': K2 } }) }),
      'KDF_CODEC_KEYS: keys.bad id!: key id must be 1-64 letters',
    ],
    [
      'unknown field',
      () => ({ KDF_CODEC_KEYS: JSON.stringify({ current: 'k1', keys: { k1: K1 }, cipher: 'aes' }) }),
      'KDF_CODEC_KEYS: cipher: unknown field',
    ],
    [
      'missing current',
      () => ({ KDF_CODEC_KEYS: JSON.stringify({ keys: { k1: K1 } }) }),
      'KDF_CODEC_KEYS: current: Invalid input',
    ],
  ])('%s', (_name, env, message) => {
    const error = configError(env());
    expect(error.message).toContain(message);
    expect(error.message.startsWith(`${error.field}: `)).toBe(true);
    for (const key of [K1, K2, SHORT, LONG]) expect(error.message).not.toContain(key);
    expect(error.message).not.toMatch(/[A-Za-z0-9+/]{40,}/);
  });
});
