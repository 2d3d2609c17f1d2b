// Shared fast-check arbitraries for the bad-input properties: valid values, and bad values per field.
import fc from 'fast-check';

export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Node ids and tickers the validators accept. */
export const validId = (): fc.Arbitrary<string> => fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,20}$/);

/** Strings (or other values) that are not valid ids. */
export const badId = (): fc.Arbitrary<unknown> =>
  fc.oneof(
    fc.constant(''),
    fc.string({ minLength: 1, maxLength: 12 }).filter((text) => !ID_PATTERN.test(text)),
    fc.stringMatching(/^[A-Za-z][A-Za-z0-9]{64,70}$/),
    fc.integer(),
    fc.constant(null),
    fc.boolean()
  );

const utf8Bytes = (text: string): number => new TextEncoder().encode(text).length;

export const validName = (): fc.Arbitrary<string> =>
  fc.string({ minLength: 1, maxLength: 32 }).filter((name) => utf8Bytes(name) <= 32 && name.trim() !== '');

export const validActivationParams = () =>
  fc.record(
    {
      name: validName(),
      listening_port: fc.integer({ min: 1, max: 65_535 }),
      color: fc.stringMatching(/^[0-9a-fA-F]{6}$/),
      payment_retries: fc.integer({ min: 0, max: 100 }),
      backup_path: fc.string({ minLength: 1, maxLength: 20 }),
    },
    { requiredKeys: ['name'] }
  );

export const validPoll = () =>
  fc
    .record(
      {
        initialIntervalMs: fc.integer({ min: 100, max: 10_000 }),
        maxIntervalMs: fc.integer({ min: 10_000, max: 3_600_000 }),
        backoffCoefficient: fc.double({ min: 1, max: 10, noNaN: true }),
      },
      { requiredKeys: [] }
    )
    .map((poll) => poll as Record<string, number>);

export const validEnableInput = () =>
  fc.record(
    {
      node: validId(),
      ticker: validId(),
      platformCoin: validId(),
      activationParams: validActivationParams(),
      timeoutMs: fc.integer({ min: 1_000, max: 7 * 86_400_000 }),
      poll: validPoll(),
    },
    { requiredKeys: ['node', 'ticker', 'activationParams'] }
  );

const notInteger = () =>
  fc.oneof(
    fc.double({ noInteger: true, noNaN: true, noDefaultInfinity: true }),
    fc.string(),
    fc.constant(null),
    fc.constant(Number.NaN)
  );

/** One bad value per field path of `EnableLightningInput`; `undefined` means "leave the field out". */
export const enableFieldCorruptions: Record<string, fc.Arbitrary<unknown>> = {
  node: badId(),
  ticker: badId(),
  platformCoin: badId(),
  activationParams: fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.array(fc.integer())),
  'activationParams.name': fc.oneof(
    fc.constant(''),
    fc.constant('   '),
    fc.string({ minLength: 33, maxLength: 50 }),
    fc.constant('é'.repeat(17)),
    fc.integer(),
    fc.constant(null)
  ),
  'activationParams.listening_port': fc.oneof(fc.integer({ max: 0 }), fc.integer({ min: 65_536 }), notInteger()),
  'activationParams.color': fc.oneof(
    fc.string().filter((text) => !/^[0-9a-fA-F]{6}$/.test(text)),
    fc.constant('#00ff00'),
    fc.integer()
  ),
  'activationParams.payment_retries': fc.oneof(fc.integer({ max: -1 }), fc.integer({ min: 101 }), notInteger()),
  'activationParams.backup_path': fc.oneof(fc.constant(''), fc.integer(), fc.constant(false)),
  timeoutMs: fc.oneof(fc.integer({ min: -1_000, max: 999 }), fc.integer({ min: 7 * 86_400_000 + 1 }), notInteger()),
  'poll.initialIntervalMs': fc.oneof(fc.integer({ min: -10, max: 99 }), fc.integer({ min: 3_600_001 }), notInteger()),
  'poll.backoffCoefficient': fc.oneof(
    fc.double({ max: 0.999, noNaN: true, noDefaultInfinity: true }),
    fc.double({ min: 10.001, noNaN: true, noDefaultInfinity: true }),
    fc.string()
  ),
};

/** Required fields whose absence must be reported by name. */
export const requiredEnableFields = ['node', 'ticker', 'activationParams', 'activationParams.name'] as const;

/** A deep copy of `value` with `path` (dot-separated) set to `bad`, or deleted when `remove`. */
export function withField(value: object, path: string, bad: unknown, remove = false): Record<string, unknown> {
  const copy = structuredClone(value) as Record<string, unknown>;
  const parts = path.split('.');
  let target = copy;
  for (const part of parts.slice(0, -1)) {
    if (typeof target[part] !== 'object' || target[part] === null) target[part] = {};
    target = target[part] as Record<string, unknown>;
  }
  const last = parts[parts.length - 1]!;
  if (remove) delete target[last];
  else target[last] = bad;
  return copy;
}

/** Extra keys that no schema knows. */
export const unknownKey = (): fc.Arbitrary<string> =>
  fc.stringMatching(/^[a-z][a-zA-Z]{2,10}$/).map((key) => `x_${key}`);
