// Property-based tests of workflow input and fleet manifest validation: every invalid input is rejected with an
// `InputError` naming the bad field; valid inputs pass unchanged; nothing else is ever thrown.
import fc from 'fast-check';
import { InputError, validateEnableInput } from '../../client/schema.js';
import { fleetSize } from '../../client/fleet.js';
import { fleetInputFromManifest } from '../../client/manifest.js';
import {
  enableFieldCorruptions,
  requiredEnableFields,
  unknownKey,
  validActivationParams,
  validEnableInput,
  validId,
  withField,
} from './arbitraries.js';

const RUNS = 200;

/** Runs `fn`, returning the `InputError` it threw; fails on success or on any other exception. */
function inputErrorOf(fn: () => unknown): InputError {
  try {
    fn();
  } catch (error) {
    if (error instanceof InputError) return error;
    throw new Error(`expected an InputError, got ${String(error)}`, { cause: error });
  }
  throw new Error('expected an InputError, but the input was accepted');
}

describe('validateEnableInput', () => {
  test('valid inputs are accepted unchanged', () => {
    fc.assert(
      fc.property(validEnableInput(), (input) => {
        expect(validateEnableInput(input)).toEqual(input);
      }),
      { numRuns: RUNS }
    );
  });

  test('one corrupted field is rejected with an InputError naming exactly that field', () => {
    const fields = Object.keys(enableFieldCorruptions);
    const corruption = fc
      .constantFrom(...fields)
      .chain((field) => enableFieldCorruptions[field]!.map((bad) => ({ field, bad })));
    fc.assert(
      fc.property(validEnableInput(), corruption, (input, { field, bad }) => {
        const error = inputErrorOf(() => validateEnableInput(withField(input, field, bad)));
        expect(error.field).toBe(field);
        expect(error.message).toContain(`${field}: `);
      }),
      { numRuns: RUNS }
    );
  });

  test('a missing required field is reported as required, by name', () => {
    fc.assert(
      fc.property(validEnableInput(), fc.constantFrom(...requiredEnableFields), (input, field) => {
        const error = inputErrorOf(() => validateEnableInput(withField(input, field, undefined, true)));
        expect(error.field).toBe(field);
        expect(error.message).toContain(`${field}: is required`);
      }),
      { numRuns: 100 }
    );
  });

  test('an unknown key, at the top level or in activationParams, is named', () => {
    fc.assert(
      fc.property(
        validEnableInput(),
        unknownKey(),
        fc.constantFrom('', 'activationParams.'),
        fc.jsonValue(),
        (input, key, prefix, value) => {
          const error = inputErrorOf(() => validateEnableInput(withField(input, `${prefix}${key}`, value)));
          expect(error.field).toBe(`${prefix}${key}`);
          expect(error.message).toContain(`${prefix}${key}: unknown field`);
        }
      ),
      { numRuns: 100 }
    );
  });

  test('arbitrary values: a valid input or an InputError with a field, never another exception', () => {
    let rejected = 0;
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.record({ node: fc.anything(), ticker: fc.anything() })), (raw) => {
        try {
          validateEnableInput(raw);
        } catch (error) {
          expect(error).toBeInstanceOf(InputError);
          const { field, message } = error as InputError;
          expect(field.length).toBeGreaterThan(0);
          if (field !== '(input)') expect(message).toContain(field);
          rejected++;
        }
      }),
      { numRuns: 300 }
    );
    expect(rejected).toBeGreaterThan(250);
  });
});

const manifestNode = () =>
  fc.record(
    {
      tickers: fc.uniqueArray(validId(), { minLength: 1, maxLength: 3 }),
      timeout: fc.constantFrom('90s', '15m', '1h', '1h30m'),
      platformCoin: validId(),
    },
    { requiredKeys: ['tickers'] }
  );

/** A valid manifest; tickers of one node get distinct listening ports. */
const validManifest = () =>
  fc
    .record({
      fleet: validId(),
      nodes: fc.dictionary(validId(), manifestNode(), { minKeys: 1, maxKeys: 4 }),
      concurrency: fc.integer({ min: 1, max: 10_000 }),
      defaults: fc.record({ activationParams: validActivationParams().map(({ name }) => ({ name })) }),
    })
    .map((manifest) => ({
      ...manifest,
      nodes: Object.fromEntries(
        Object.entries(manifest.nodes).map(([node, entry]) => [
          node,
          {
            ...entry,
            tickers: entry.tickers.map((ticker, index) => ({
              ticker,
              activationParams: { listening_port: 9735 + index },
            })),
          },
        ])
      ),
    }));

describe('fleetInputFromManifest', () => {
  test('valid manifests expand to one member per (node, ticker)', () => {
    fc.assert(
      fc.property(validManifest(), (manifest) => {
        const input = fleetInputFromManifest(manifest);
        const expected = Object.values(manifest.nodes).reduce((sum, entry) => sum + entry.tickers.length, 0);
        expect(fleetSize(input).pairs).toBe(expected);
        expect(input.fleetId).toBe(manifest.fleet);
      }),
      { numRuns: RUNS }
    );
  });

  test('one corrupted field is rejected with an InputError naming it', () => {
    interface Corruption {
      path: (node: string) => string;
      bad: fc.Arbitrary<unknown>;
    }
    const corruptions: Corruption[] = [
      { path: () => 'fleet', bad: fc.oneof(fc.constant(''), fc.constant('a b'), fc.integer()) },
      { path: () => 'concurrency', bad: fc.oneof(fc.integer({ max: 0 }), fc.integer({ min: 10_001 }), fc.string()) },
      { path: () => 'perNodeConcurrency', bad: fc.oneof(fc.integer({ max: 0 }), fc.integer({ min: 1_001 })) },
      { path: () => 'startsPerSecond', bad: fc.oneof(fc.integer({ max: 0 }), fc.string()) },
      { path: () => 'defaults.timeout', bad: fc.constantFrom('abc', '10', '-5s', '0s', '', '1m1h') },
      { path: () => 'defaults.activationParams.color', bad: fc.constantFrom('#000000', 'xyzxyz', '') },
      { path: (node) => `nodes.${node}.timeout`, bad: fc.constantFrom('forever', '5', '0ms') },
      { path: (node) => `nodes.${node}.platformCoin`, bad: fc.constantFrom('', 'a/b', ' x') },
      {
        path: (node) => `nodes.${node}.activationParams.listening_port`,
        bad: fc.oneof(fc.integer({ max: 0 }), fc.integer({ min: 65_536 }), fc.constant(1.5)),
      },
    ];
    const corruption = fc.constantFrom(...corruptions).chain((c) => c.bad.map((bad) => ({ path: c.path, bad })));
    fc.assert(
      fc.property(validManifest(), corruption, (manifest, { path: pathOf, bad }) => {
        const path = pathOf(Object.keys(manifest.nodes)[0]!);
        const error = inputErrorOf(() => fleetInputFromManifest(withNodePath(manifest, path, bad)));
        expect(error.field).toBe(path);
        expect(error.message).toContain(path);
      }),
      { numRuns: RUNS }
    );
  });

  test('two tickers of one node on the same listening port: the node’s tickers are named', () => {
    fc.assert(
      fc.property(validId(), fc.uniqueArray(validId(), { minLength: 2, maxLength: 4 }), (node, tickers) => {
        const manifest = { fleet: 'f', nodes: { [node]: { tickers } } };
        const error = inputErrorOf(() => fleetInputFromManifest(manifest));
        expect(error.field).toBe(`nodes.${node}.tickers`);
        expect(error.message).toContain('listening_port');
      }),
      { numRuns: 100 }
    );
  });

  test('arbitrary manifests: a fleet input or an InputError naming a field, never another exception', () => {
    let rejected = 0;
    const raw = fc.oneof(
      fc.anything(),
      fc.record({ fleet: fc.anything(), nodes: fc.anything() }),
      fc.record({ fleet: validId(), nodes: fc.dictionary(fc.string(), fc.anything()) }),
      fc.record({
        fleet: validId(),
        nodes: fc.dictionary(validId(), fc.record({ tickers: fc.array(fc.anything()) }), { minKeys: 1 }),
      })
    );
    fc.assert(
      fc.property(raw, (manifest) => {
        try {
          fleetInputFromManifest(manifest);
        } catch (error) {
          expect(error).toBeInstanceOf(InputError);
          const { field, message } = error as InputError;
          expect(field.length).toBeGreaterThan(0);
          if (field !== '(input)') expect(message).toContain(field);
          rejected++;
        }
      }),
      { numRuns: 300 }
    );
    expect(rejected).toBeGreaterThan(200);
  });
});

/** `withField` for manifest paths, where node ids may contain dots: `nodes.<id>.rest`. */
function withNodePath(manifest: object, path: string, bad: unknown): Record<string, unknown> {
  if (!path.startsWith('nodes.')) return withField(manifest, path, bad);
  const copy = structuredClone(manifest) as { nodes: Record<string, Record<string, unknown>> };
  const node = Object.keys(copy.nodes)[0]!;
  const rest = path.slice(`nodes.${node}.`.length);
  copy.nodes[node] = withField(copy.nodes[node]!, rest, bad);
  return copy as unknown as Record<string, unknown>;
}
