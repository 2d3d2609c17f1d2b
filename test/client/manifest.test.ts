import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { fleetSize } from '../../client/fleet.js';
import { fleetInputFromManifest, loadFleetManifest } from '../../client/manifest.js';
import { InputError } from '../../client/schema.js';

const valid = {
  fleet: 'rollout-1',
  concurrency: 10,
  defaults: {
    tickers: ['tBTC-lightning'],
    platformCoin: 'tBTC-segwit',
    timeout: '10m',
    activationParams: { color: 'ff0000' },
  },
  nodes: {
    alpha: {},
    beta: {
      tickers: ['tBTC-lightning', { ticker: 'LTC-lightning', activationParams: { listening_port: 9736 } }],
      activationParams: { name: 'beta-alias' },
      timeout: '30m',
    },
  },
};

const errorOf = (raw: unknown): InputError => {
  try {
    fleetInputFromManifest(raw);
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('expected an InputError');
};

test('a manifest becomes its nodes with their tickers; shared tickers stay once in the defaults', () => {
  expect(fleetInputFromManifest(valid, { perNodeConcurrency: 3 })).toEqual({
    fleetId: 'rollout-1',
    concurrency: 10,
    perNodeConcurrency: 3,
    defaults: {
      tickers: [{ ticker: 'tBTC-lightning' }],
      activationParams: { color: 'ff0000' },
      platformCoin: 'tBTC-segwit',
      timeoutMs: 600_000,
    },
    nodes: [
      { node: 'alpha' },
      {
        node: 'beta',
        tickers: [
          { ticker: 'tBTC-lightning' },
          { ticker: 'LTC-lightning', activationParams: { listening_port: 9736 } },
        ],
        activationParams: { name: 'beta-alias' },
        timeoutMs: 1_800_000,
      },
    ],
  });
});

test.each([
  [{ ...valid, fleet: 'bad id!' }, 'fleet'],
  [{ ...valid, concurrency: 0 }, 'concurrency'],
  [{ ...valid, defaults: { ...valid.defaults, timeout: '10' } }, 'defaults.timeout'],
  [
    { ...valid, defaults: { ...valid.defaults, activationParams: { color: '#fff' } } },
    'defaults.activationParams.color',
  ],
  [
    { ...valid, nodes: { alpha: { tickers: [{ ticker: 'x', activationParams: { listening_port: 70_000 } }] } } },
    'nodes.alpha.tickers[0].activationParams.listening_port',
  ],
  [{ ...valid, nodes: {} }, 'nodes'],
  [{ ...valid, nodes: { alpha: { tickerz: ['x'] } } }, 'nodes.alpha.tickerz'],
  [{ fleet: 'f', nodes: { alpha: {} } }, 'nodes.alpha.tickers'],
  [{ ...valid, nodes: { alpha: { tickers: ['a-lightning', 'b-lightning'] } } }, 'nodes.alpha.tickers'],
])('an invalid manifest is rejected naming the field (%#)', (raw, field) => {
  const error = errorOf(raw);
  expect(error.field).toBe(field);
  expect(error.message).toContain(field.split('[')[0]!.split('.').at(-1));
});

test('two tickers on one node with the same listening port are refused before anything starts', () => {
  expect(errorOf({ ...valid, nodes: { alpha: { tickers: ['a-lightning', 'b-lightning'] } } }).message).toMatch(
    /a-lightning and b-lightning would both listen on port 9735/
  );
});

test('any manifest either expands or fails with an InputError, never another exception', () => {
  fc.assert(
    fc.property(fc.anything(), (raw) => {
      try {
        fleetInputFromManifest(raw);
      } catch (error) {
        expect(error).toBeInstanceOf(InputError);
      }
    }),
    { numRuns: 500 }
  );
});

test('JSON and YAML files load alike; unreadable and malformed files name the file', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'manifest-'));
  const json = path.join(dir, 'fleet.json');
  const yaml = path.join(dir, 'fleet.yaml');
  writeFileSync(json, JSON.stringify(valid));
  writeFileSync(
    yaml,
    'fleet: rollout-1\nconcurrency: 10\ndefaults:\n  tickers: [tBTC-lightning]\nnodes:\n  alpha: {}\n'
  );
  expect(fleetSize(await loadFleetManifest(json))).toEqual({ pairs: 3, nodes: 2 });
  expect((await loadFleetManifest(yaml)).nodes).toEqual([{ node: 'alpha' }]);
  await expect(loadFleetManifest(path.join(dir, 'missing.yaml'))).rejects.toThrow(/missing\.yaml: cannot read/);
  writeFileSync(yaml, 'fleet: [unclosed');
  await expect(loadFleetManifest(yaml)).rejects.toThrow(/fleet\.yaml: not valid/);
  expect((await loadFleetManifest(path.resolve('examples/fleet.yaml'))).fleetId).toBe('lightning-rollout-1');
});

test('a (node, ticker) pair listed twice is refused, naming both places', () => {
  const twice = { fleet: 'f', nodes: { alpha: { tickers: ['a-lightning', { ticker: 'a-lightning' }] } } };
  const error = errorOf(twice);
  expect(error.field).toBe('nodes.alpha.tickers[1]');
  expect(error.message).toBe(
    'nodes.alpha.tickers[1]: a-lightning is listed twice for node alpha (also at nodes.alpha.tickers[0]); ' +
      'each (node, ticker) pair may appear once'
  );
  const shared = { fleet: 'f', defaults: { tickers: ['a-lightning', 'a-lightning'] }, nodes: { alpha: {} } };
  expect(errorOf(shared).message).toMatch(/^defaults\.tickers\[1\]: a-lightning is listed twice for node alpha/);
});

test('a node listed twice in a manifest file is refused with its line (JSON as well as YAML)', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'kdf-manifest-dup-'));
  const json = path.join(dir, 'dup.json');
  writeFileSync(
    json,
    '{\n  "fleet": "f",\n  "defaults": { "tickers": ["a-lightning"] },\n  "nodes": {\n    "alpha": {},\n    "alpha": {}\n  }\n}\n'
  );
  await expect(loadFleetManifest(json)).rejects.toThrow(/dup\.json: not valid .*unique.*line 6/s);
  const yaml = path.join(dir, 'dup.yaml');
  writeFileSync(yaml, 'fleet: f\ndefaults:\n  tickers: [a-lightning]\nnodes:\n  alpha: {}\n  alpha: {}\n');
  await expect(loadFleetManifest(yaml)).rejects.toThrow(/dup\.yaml: not valid .*unique.*line 6/s);
});

test('size limits: pairs per fleet and manifest bytes, with a clear error', async () => {
  const tickers = Array.from({ length: 1_000 }, (_, i) => ({
    ticker: `t${i}-lightning`,
    activationParams: { listening_port: 10_000 + i },
  }));
  const nodes = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`node-${i}`, {}]));
  const error = errorOf({ fleet: 'big', defaults: { tickers }, nodes });
  expect(error.field).toBe('nodes');
  expect(error.message).toBe(
    'nodes: more than 100000 (node, ticker) pairs (reached at node node-100); split the rollout into several ' +
      'manifests, each its own fleet'
  );
  // 100 nodes × 1,000 shared tickers is within the limit, and small: the tickers are listed once
  const { 'node-100': _dropped, ...hundred } = nodes;
  const fits = fleetInputFromManifest({ fleet: 'big', defaults: { tickers }, nodes: hundred });
  expect(fleetSize(fits)).toEqual({ pairs: 100_000, nodes: 100 });
  expect(JSON.stringify(fits).length).toBeLessThan(100_000);

  const dir = mkdtempSync(path.join(tmpdir(), 'kdf-manifest-big-'));
  const file = path.join(dir, 'big.yaml');
  writeFileSync(file, `fleet: big\n# ${'x'.repeat(1_000_001)}\n`);
  await expect(loadFleetManifest(file)).rejects.toThrow(/big\.yaml: \d+ bytes; a manifest may have at most 1000000/);
});
