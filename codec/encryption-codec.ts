// AES-256-GCM PayloadCodec: each payload becomes `binary/encrypted` ciphertext labelled with the id of its key.
import { createCipheriv, createDecipheriv, randomBytes, type KeyObject } from 'node:crypto';
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';
import type { Keyring } from './keys.js';
import { JsonPayload, payloadFromJson, payloadToJson } from './payload-json.js';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
const CIPHER = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Thrown when an encrypted payload cannot be decrypted: unknown key id, altered ciphertext or malformed payload. */
export class PayloadDecryptionError extends Error {
  override name = 'PayloadDecryptionError';
  constructor(
    message: string,
    /** The key id the payload names, when it names one. */
    readonly keyId?: string
  ) {
    super(message);
  }
}

const text = (bytes: Uint8Array | undefined): string | undefined =>
  bytes === undefined ? undefined : Buffer.from(bytes).toString('utf8');

/**
 * Encrypts every payload with the keyring's current key; decrypts with whichever key the payload names, so payloads
 * written before a rotation stay readable while the old key is kept. The whole payload (metadata and data, as the
 * proto3 JSON form) is encrypted; the key id is authenticated as additional data. Payloads that are not
 * `binary/encrypted` (written before encryption was turned on) pass through `decode` unchanged.
 */
export class EncryptionCodec implements PayloadCodec {
  readonly #currentKey: KeyObject;

  /** @throws {Error} when `keyring.current` is not one of its keys */
  constructor(readonly keyring: Keyring) {
    const key = keyring.keys.get(keyring.current);
    if (key === undefined) throw new Error(`the current key "${keyring.current}" is not in the keyring`);
    this.#currentKey = key;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.#encrypt(payload));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) =>
      text(payload.metadata?.encoding) === ENCRYPTED_ENCODING ? this.#decrypt(payload) : payload
    );
  }

  #encrypt(payload: Payload): Payload {
    const keyId = this.keyring.current;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(CIPHER, this.#currentKey, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(keyId, 'utf8'));
    const plaintext = Buffer.from(JSON.stringify(payloadToJson(payload)), 'utf8');
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return {
      metadata: {
        encoding: Buffer.from(ENCRYPTED_ENCODING),
        [KEY_ID_METADATA]: Buffer.from(keyId),
      },
      data: Buffer.concat([iv, ciphertext, cipher.getAuthTag()]),
    };
  }

  #decrypt(payload: Payload): Payload {
    const keyId = text(payload.metadata?.[KEY_ID_METADATA]);
    if (keyId === undefined) {
      throw new PayloadDecryptionError(`encrypted payload has no "${KEY_ID_METADATA}" metadata`);
    }
    const key = this.keyring.keys.get(keyId);
    if (key === undefined) {
      const known = [...this.keyring.keys.keys()].join(', ');
      throw new PayloadDecryptionError(
        `payload was encrypted with key "${keyId}", which is not in the keyring (known: ${known}); ` +
          'add that key to the keys file to read it',
        keyId
      );
    }
    const data = Buffer.from(payload.data ?? new Uint8Array());
    if (data.length < IV_BYTES + TAG_BYTES) {
      throw new PayloadDecryptionError(`encrypted payload (key "${keyId}") is truncated`, keyId);
    }
    const decipher = createDecipheriv(CIPHER, key, data.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(keyId, 'utf8'));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    let plaintext: Buffer;
    try {
      plaintext = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new PayloadDecryptionError(
        `encrypted payload (key "${keyId}") failed authentication: the ciphertext or its key id was altered, ` +
          'or the key differs from the one that encrypted it',
        keyId
      );
    }
    return payloadFromJson(JsonPayload.parse(JSON.parse(plaintext.toString('utf8'))));
  }
}

/** The DataConverter for Client and Worker when payloads are encrypted. */
export const encryptionDataConverter = (keyring: Keyring): DataConverter => ({
  payloadCodecs: [new EncryptionCodec(keyring)],
});
