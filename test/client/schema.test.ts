import fc from 'fast-check';
import { defaultNodeName, InputError, validateEnableInput } from '../../client/schema.js';

const valid = () => ({
  node: 'alpha',
  ticker: 'tBTC-lightning',
  platformCoin: 'tBTC-segwit',
  activationParams: { name: 'alpha-node', listening_port: 9735, color: '00ff00', payment_retries: 5 },
  timeoutMs: 900_000,
  poll: { initialIntervalMs: 1_000, maxIntervalMs: 15_000, backoffCoefficient: 1.5 },
});

/** Sets `value` at a dotted path of a fresh valid input. */
function withField(path: string, value: unknown): Record<string, unknown> {
  const input: Record<string, unknown> = valid();
  const keys = path.split('.');
  let target = input;
  for (const key of keys.slice(0, -1)) target = target[key] as Record<string, unknown>;
  const last = keys.at(-1) as string;
  if (value === undefined) delete target[last];
  else target[last] = value;
  return input;
}

function rejection(input: unknown): InputError {
  try {
    validateEnableInput(input);
  } catch (err) {
    if (err instanceof InputError) return err;
    throw err;
  }
  throw new Error('accepted an invalid input');
}

describe('validateEnableInput', () => {
  test('accepts a full valid input and a minimal one', () => {
    expect(validateEnableInput(valid())).toEqual(valid());
    const minimal = { node: 'n', ticker: 't', activationParams: { name: 'x' } };
    expect(validateEnableInput(minimal)).toEqual(minimal);
  });

  test.each([
    ['node', undefined, 'node: is required'],
    ['node', 'has space', 'node: must be 1-64 characters'],
    ['ticker', 42, 'ticker: must be a string'],
    ['platformCoin', '', 'platformCoin: must be'],
    ['activationParams', 'x', 'activationParams: must be an object'],
    ['activationParams.name', '', 'activationParams.name: must not be empty'],
    ['activationParams.name', 'ä'.repeat(17), 'activationParams.name: must be at most 32 UTF-8 bytes'],
    ['activationParams.listening_port', 0, 'activationParams.listening_port: must be 1-65535'],
    ['activationParams.listening_port', 9735.5, 'activationParams.listening_port: must be an integer'],
    ['activationParams.color', '#000000', 'activationParams.color: must be six hex digits'],
    ['activationParams.payment_retries', -1, 'activationParams.payment_retries: must be 0-100'],
    ['activationParams.extra', 1, 'activationParams.extra: unknown field'],
    ['timeoutMs', 10, 'timeoutMs: must be at least 1s'],
    ['timeoutMs', 8 * 86_400_000, 'timeoutMs: must be at most 7d'],
    ['poll.maxIntervalMs', 500, 'poll.maxIntervalMs: must not be below initialIntervalMs'],
    ['poll.backoffCoefficient', 0.5, 'poll.backoffCoefficient:'],
    ['userpass', 'secret', 'userpass: unknown field'],
  ])('%s = %j is rejected naming the field', (path, value, message) => {
    const error = rejection(withField(path, value));
    expect(error.message).toContain(message);
    expect(error.field).toBe(path);
  });

  test('anything at all is either accepted (and stays valid) or rejected with an InputError naming a field', () => {
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: true, withBigInt: true, withMap: true, withSet: true }), (raw) => {
        let accepted;
        try {
          accepted = validateEnableInput(raw);
        } catch (err) {
          expect(err).toBeInstanceOf(InputError);
          expect((err as InputError).field.length).toBeGreaterThan(0);
          return;
        }
        expect(validateEnableInput(accepted)).toEqual(accepted);
      })
    );
  });

  const fields = [
    'node',
    'ticker',
    'platformCoin',
    'activationParams',
    'activationParams.name',
    'activationParams.listening_port',
    'activationParams.color',
    'activationParams.payment_retries',
    'activationParams.backup_path',
    'timeoutMs',
    'poll',
    'poll.initialIntervalMs',
    'poll.backoffCoefficient',
  ];
  const wrongType = fc.oneof(
    fc.constant(null),
    fc.boolean(),
    fc.array(fc.integer(), { maxLength: 2 }),
    fc.double({ noInteger: true }),
    fc.bigInt(),
    fc.constant(Number.NaN),
    fc.constant({ nested: true })
  );

  test('a value of the wrong type in any field is rejected naming exactly that field', () => {
    fc.assert(
      // backup_path: null is KDF's "none" (an Option), accepted (test/kdf/methods.test.ts)
      fc.property(fc.constantFrom(...fields), wrongType, (path, value) => {
        fc.pre(!(path === 'activationParams.backup_path' && value === null));
        const error = rejection(withField(path, value));
        // an object where an object is expected is reported at its first bad field inside
        expect(error.field === path || error.field.startsWith(`${path}.`)).toBe(true);
        expect(error.message.startsWith(`${error.field}: `)).toBe(true);
      })
    );
  });

  test('out-of-range numbers are rejected naming the field', () => {
    const ranges: [string, fc.Arbitrary<number>][] = [
      ['activationParams.listening_port', fc.oneof(fc.integer({ max: 0 }), fc.integer({ min: 65_536 }))],
      ['activationParams.payment_retries', fc.oneof(fc.integer({ max: -1 }), fc.integer({ min: 101 }))],
      ['timeoutMs', fc.oneof(fc.integer({ max: 999 }), fc.integer({ min: 7 * 86_400_000 + 1 }))],
    ];
    for (const [path, arbitrary] of ranges) {
      fc.assert(
        fc.property(arbitrary, (value) => {
          expect(rejection(withField(path, value)).field).toBe(path);
        })
      );
    }
  });

  test('ids outside the safe alphabet are rejected (they end up in workflow ids and queries)', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }).filter((s) => !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(s)),
        fc.constantFrom('node', 'ticker', 'platformCoin'),
        (id, path) => {
          expect(rejection(withField(path, id)).field).toBe(path);
        }
      )
    );
  });
});

describe('defaultNodeName', () => {
  test('is <node>-<ticker>, cut to 32 UTF-8 bytes on a character boundary', () => {
    expect(defaultNodeName('local', 'tBTC-lightning')).toBe('local-tBTC-lightning');
    expect(defaultNodeName('n'.repeat(40), 't')).toBe('n'.repeat(32));
    fc.assert(
      fc.property(fc.string({ minLength: 1, unit: 'grapheme' }), fc.string({ minLength: 1 }), (node, ticker) => {
        const name = defaultNodeName(node, ticker);
        expect(new TextEncoder().encode(name).length).toBeLessThanOrEqual(32);
        expect(`${node}-${ticker}`.startsWith(name)).toBe(true);
      })
    );
  });
});
