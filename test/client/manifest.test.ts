import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
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

test('a manifest expands into one member per (node, ticker) with layered defaults', () => {
  expect(fleetInputFromManifest(valid, { perNodeConcurrency: 3 })).toEqual({
    fleetId: 'rollout-1',
    concurrency: 10,
    perNodeConcurrency: 3,
    defaults: { activationParams: { color: 'ff0000' }, platformCoin: 'tBTC-segwit', timeoutMs: 600_000 },
    members: [
      { node: 'alpha', ticker: 'tBTC-lightning' },
      { node: 'beta', ticker: 'tBTC-lightning', activationParams: { name: 'beta-alias' }, timeoutMs: 1_800_000 },
      {
        node: 'beta',
        ticker: 'LTC-lightning',
        activationParams: { name: 'beta-alias', listening_port: 9736 },
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
  expect((await loadFleetManifest(json)).members).toHaveLength(3);
  expect((await loadFleetManifest(yaml)).members).toEqual([{ node: 'alpha', ticker: 'tBTC-lightning' }]);
  await expect(loadFleetManifest(path.join(dir, 'missing.yaml'))).rejects.toThrow(/missing\.yaml: cannot read/);
  writeFileSync(yaml, 'fleet: [unclosed');
  await expect(loadFleetManifest(yaml)).rejects.toThrow(/fleet\.yaml: not valid/);
  expect((await loadFleetManifest(path.resolve('examples/fleet.yaml'))).fleetId).toBe('lightning-rollout-1');
});
