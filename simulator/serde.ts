/**
 * Decoders that accept and reject JSON values the way KDF's serde structs do, with serde_json's error messages
 * (`invalid type: string "9735", expected u16`, `missing field \`name\``), because clients see those messages in
 * `InvalidRequest` replies (contract §2.0).
 *
 * @module
 */

/** Thrown when a value does not fit the Rust type; `message` is serde_json's text. */
export class SerdeError extends Error {
  override name = 'SerdeError';
}

export type Decoder<T> = (value: unknown) => T;

/** Decodes `value`, turning a `SerdeError` into the error `toError` makes of its message. */
export function decodeOr<T>(decode: Decoder<T>, value: unknown, toError: (message: string) => Error): T {
  try {
    return decode(value);
  } catch (error) {
    if (error instanceof SerdeError) throw toError(error.message);
    throw error;
  }
}

/** A struct field: a decoder, or a decoder plus the value serde uses when the key is absent. */
type Field<T> = Decoder<T> | { readonly decode: Decoder<T>; readonly absent: T };
type Fields<T> = { readonly [K in keyof T]: Field<T[K]> };

/** serde's "unexpected" description of a JSON value. */
function describe(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return `boolean \`${value}\``;
  if (typeof value === 'number')
    return Number.isInteger(value) ? `integer \`${value}\`` : `floating point \`${value}\``;
  if (typeof value === 'string') return `string ${JSON.stringify(value)}`;
  return Array.isArray(value) ? 'sequence' : 'map';
}

const invalidType = (value: unknown, expected: string) =>
  new SerdeError(`invalid type: ${describe(value)}, expected ${expected}`);

function unsigned(rustType: string, max: number): Decoder<number> {
  return (value) => {
    if (typeof value !== 'number' || !Number.isInteger(value)) throw invalidType(value, rustType);
    if (value < 0 || value > max) throw new SerdeError(`invalid value: integer \`${value}\`, expected ${rustType}`);
    return value;
  };
}

export const u8 = unsigned('u8', 0xff);
export const u16 = unsigned('u16', 0xffff);
export const u32 = unsigned('u32', 0xffff_ffff);
export const u64 = unsigned('u64', Number.MAX_SAFE_INTEGER);
export const usize = unsigned('usize', Number.MAX_SAFE_INTEGER);

export const bool: Decoder<boolean> = (value) => {
  if (typeof value !== 'boolean') throw invalidType(value, 'a boolean');
  return value;
};

export const string: Decoder<string> = (value) => {
  if (typeof value !== 'string') throw invalidType(value, 'a string');
  return value;
};

/** `serde_json::Value`: anything. */
export const json: Decoder<unknown> = (value) => value;

/** A JSON object whose fields are not looked at (e.g. a nested config struct the simulator ignores). */
export const map: Decoder<Record<string, unknown>> = (value) => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidType(value, 'a map');
  return value as Record<string, unknown>;
};

/** `Option<T>`: absent and `null` are `None`. */
export const optional = <T>(decode: Decoder<T>): Field<T | undefined> => ({
  decode: (value) => (value === null ? undefined : decode(value)),
  absent: undefined,
});

/** `#[serde(default = ...)]`: absent takes the default, `null` is still a type error. */
export const withDefault = <T>(decode: Decoder<T>, absent: T): Field<T> => ({ decode, absent });

/** The string variants of a unit-only Rust enum. */
export function variants<const V extends string>(...names: V[]): Decoder<V> {
  const quoted = names.map((name) => `\`${name}\``);
  const expected = quoted.length <= 2 ? quoted.join(' or ') : `one of ${quoted.join(', ')}`;
  return (value) => {
    if (typeof value !== 'string') throw invalidType(value, 'variant identifier');
    if (!(names as string[]).includes(value))
      throw new SerdeError(`unknown variant \`${value}\`, expected ${expected}`);
    return value as V;
  };
}

export interface StructOptions {
  /** `#[serde(deny_unknown_fields)]` */
  readonly denyUnknownFields?: boolean;
}

/**
 * A Rust struct. Like serde, it walks the input keys in order (unknown keys are ignored or rejected, present
 * fields are type-checked) and only then reports the first missing required field in declaration order.
 */
export function struct<T>(rustName: string, fields: Fields<T>, options: StructOptions = {}): Decoder<T> {
  const names = Object.keys(fields) as (keyof T & string)[];
  return (value) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw invalidType(value, `struct ${rustName}`);
    }
    const input = value as Record<string, unknown>;
    const output: Partial<T> = {};
    for (const [key, raw] of Object.entries(input)) {
      const field = (fields as Record<string, Field<unknown>>)[key];
      if (field === undefined) {
        if (options.denyUnknownFields) {
          throw new SerdeError(`unknown field \`${key}\`, expected one of ${names.map((n) => `\`${n}\``).join(', ')}`);
        }
        continue;
      }
      output[key as keyof T] = (typeof field === 'function' ? field : field.decode)(raw) as T[keyof T];
    }
    for (const name of names) {
      if (name in input) continue;
      const field = fields[name];
      if (typeof field === 'function') throw new SerdeError(`missing field \`${name}\``);
      output[name] = field.absent;
    }
    return output as T;
  };
}

/** A Rust unit struct (`struct GetEnabledCoinsRequest;`): serde_json's `Value` accepts only `null` for it. */
export function unitStruct(rustName: string): Decoder<null> {
  return (value) => {
    if (value !== null && value !== undefined) throw invalidType(value, `unit struct ${rustName}`);
    return null;
  };
}

/** An internally tagged enum (`#[serde(tag = "...")]`) whose variants are structs. */
export function taggedEnum<T>(rustName: string, tag: string, cases: Record<string, Decoder<T>>): Decoder<T> {
  const tagDecoder = variants(...Object.keys(cases));
  return (value) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw invalidType(value, `internally tagged enum ${rustName}`);
    }
    const input = value as Record<string, unknown>;
    if (!(tag in input)) throw new SerdeError(`missing field \`${tag}\``);
    const decode = cases[tagDecoder(input[tag])] as Decoder<T>;
    return decode(input);
  };
}
