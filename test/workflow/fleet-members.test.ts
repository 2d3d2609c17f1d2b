// The fleet's own checks of its input (library callers may skip the client's) and how a pair's settings layer.
import { ApplicationFailure } from '@temporalio/common';
import { assertFleetInputSize, MAX_FLEET_INPUT_BYTES } from '../../client/fleet.js';
import { InputError } from '../../client/schema.js';
import type { FleetInput } from '../../workflows/api.js';
import { memberInput, memberOf, nodePairs } from '../../workflows/fleet-members.js';

const input = (nodes: FleetInput['nodes'], tickers?: FleetInput['defaults']['tickers']): FleetInput => ({
  fleetId: 'f',
  defaults: { activationParams: { color: 'ff0000' }, platformCoin: 'tBTC-segwit', ...(tickers && { tickers }) },
  nodes,
});

test('a pair listed twice, even under two entries of one node, fails the fleet naming both places', () => {
  const twice = input(
    [{ node: 'alpha' }, { node: 'alpha', tickers: [{ ticker: 'b' }, { ticker: 'a' }] }],
    [{ ticker: 'a' }]
  );
  const error = (() => {
    try {
      nodePairs(twice);
    } catch (failure) {
      return failure;
    }
    throw new Error('expected a failure');
  })();
  expect(error).toBeInstanceOf(ApplicationFailure);
  expect(error).toMatchObject({
    type: 'InvalidEnablementInput',
    nonRetryable: true,
    message: 'invalid fleet input: nodes[1] (alpha).tickers[1]: a on alpha is also nodes[0] (alpha).tickers[0]',
  });
  expect(() => nodePairs(input([{ node: 'alpha' }]))).toThrow('nodes[0] (alpha): no tickers (and no defaults.tickers)');
});

test("a pair's settings: the ticker's over its node's over the fleet's; the alias defaults to the node id", () => {
  const fleet = input(
    [
      {
        node: 'a-node-id-that-is-longer-than-32-bytes',
        activationParams: { listening_port: 9800, color: '00ff00' },
        timeoutMs: 60_000,
        tickers: [{ ticker: 't', activationParams: { listening_port: 9801 }, platformCoin: 'LTC-segwit' }],
      },
    ],
    undefined
  );
  const [pairs] = nodePairs(fleet);
  expect(memberInput(fleet, memberOf(pairs!, 0))).toEqual({
    node: 'a-node-id-that-is-longer-than-32-bytes',
    ticker: 't',
    platformCoin: 'LTC-segwit',
    timeoutMs: 60_000,
    activationParams: { name: 'a-node-id-that-is-longer-than-32', color: '00ff00', listening_port: 9801 },
  });
});

test('startFleet refuses an input over 1 MB before anything starts, saying how to shrink it', () => {
  const tickers = Array.from({ length: 20_000 }, (_, i) => ({
    ticker: `t${i}`,
    activationParams: { listening_port: i },
  }));
  const big = input([{ node: 'alpha', tickers }]);
  expect(JSON.stringify(big).length).toBeGreaterThan(MAX_FLEET_INPUT_BYTES);
  expect(() => assertFleetInputSize(big)).toThrow(InputError);
  expect(() => assertFleetInputSize(big)).toThrow(/^fleet input is \d+ bytes; at most 1000000 \(list shared tickers/);
  expect(() => assertFleetInputSize(input([{ node: 'alpha' }], tickers.slice(0, 100)))).not.toThrow();
});
