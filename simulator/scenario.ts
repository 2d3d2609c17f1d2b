/**
 * What a simulated node knows at start-up: its coins config, which coins are enabled, and how each lightning
 * ticker's activation plays out. Documented, with an example file, in simulator/README.md.
 *
 * @module
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { ADDRESS_IN_USE, ADDRESS_IN_USE_PATH, LIGHTNING_PHASES, PROTOCOL_TYPES } from './kdf-constants.js';

/** Thrown when a scenario is not valid; the message names the file and the bad fields. */
export class ScenarioError extends Error {
  override name = 'ScenarioError';
}

const milliseconds = z.number().int().nonnegative();
const phaseName = z.enum(LIGHTNING_PHASES);
const decimal = z.string().regex(/^\d+(\.\d+)?$/, 'must be a decimal string like "0" or "0.5"');

const Outcome = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('ok'),
    balance: z.strictObject({ spendable: decimal, unspendable: decimal }).default({ spendable: '0', unspendable: '0' }),
  }),
  z.strictObject({
    kind: z.literal('error'),
    /** The task fails when this phase ends. */
    atPhase: phaseName.default('ReadingChannelsAddressesFromFile'),
    errorType: z.string().min(1).default('Internal'),
    error: z.string().min(1),
    errorPath: z.string().min(1).default('init_l2.lightning_activation'),
    /** `error_data`; the `error` text when absent. */
    errorData: z.unknown().optional(),
  }),
  z.strictObject({ kind: z.literal('hang'), atPhase: phaseName.default('ActivatingCoin') }),
]);

const Activation = z.strictObject({
  /** One duration for every phase, or one per phase. */
  phaseMs: z
    .union([milliseconds, z.array(milliseconds).length(LIGHTNING_PHASES.length)], {
      error: `must be a whole number of ms, or an array of ${LIGHTNING_PHASES.length} of them`,
    })
    .default(500),
  /** Pause after the last phase; KDF's 10 s when the scenario is `realistic`, else 0. */
  finalPauseMs: milliseconds.optional(),
  /** How long the coin is listed by `get_enabled_coins` before the status turns Ok. */
  registerBeforeOkMs: milliseconds.default(100),
  outcome: Outcome.prefault({ kind: 'ok' }),
});

const Coin = z
  .strictObject({
    ticker: z.string().min(1),
    protocol: z.enum(PROTOCOL_TYPES),
    /** LIGHTNING only: the platform coin's ticker. */
    platform: z.string().min(1).optional(),
    /** Enabled at start-up (and again after a restart). */
    enabled: z.boolean().default(false),
    /** The coin's address (a lightning coin's is its node id); derived from a per-simulator seed when absent. */
    address: z.string().min(1).optional(),
    /** Coins-file fields laid over the generated KDF config, e.g. `{ "avg_blocktime": null }` to break it. */
    config: z.record(z.string(), z.unknown()).default({}),
    /** LIGHTNING only. */
    activation: Activation.prefault({}),
  })
  .superRefine((coin, ctx) => {
    const lightning = coin.protocol === 'LIGHTNING';
    if (lightning && coin.platform === undefined) {
      ctx.addIssue({ code: 'custom', path: ['platform'], message: 'a LIGHTNING coin needs its platform ticker' });
    }
    if (!lightning && coin.platform !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['platform'], message: 'only LIGHTNING coins have a platform' });
    }
    if (lightning && coin.address !== undefined && !/^[0-9a-f]{66}$/.test(coin.address)) {
      ctx.addIssue({ code: 'custom', path: ['address'], message: 'a node id is 66 lowercase hex characters' });
    }
  });

export const Scenario = z
  .strictObject({
    /** Keep KDF's 10 s pause after the last phase (unless a coin sets `finalPauseMs`). */
    realistic: z.boolean().default(false),
    /** Serve `GET /event-stream` (contract §1.7), as KDF does with `event_streaming_configuration`. */
    eventStreaming: z.boolean().default(false),
    coins: z.array(Coin),
  })
  .superRefine((scenario, ctx) => {
    const tickers = new Set<string>();
    scenario.coins.forEach((coin, index) => {
      if (tickers.has(coin.ticker)) {
        ctx.addIssue({ code: 'custom', path: ['coins', index, 'ticker'], message: `duplicate ticker ${coin.ticker}` });
      }
      tickers.add(coin.ticker);
    });
    scenario.coins.forEach((coin, index) => {
      if (coin.platform !== undefined && !tickers.has(coin.platform)) {
        ctx.addIssue({
          code: 'custom',
          path: ['coins', index, 'platform'],
          message: `platform ${coin.platform} is not one of the scenario's coins`,
        });
      }
    });
  });

/** A scenario as written (defaults may be left out). */
export type Scenario = z.input<typeof Scenario>;
/** A validated scenario with every default filled in. */
export type ParsedScenario = z.output<typeof Scenario>;
export type CoinSpec = ParsedScenario['coins'][number];
export type ActivationSpec = CoinSpec['activation'];

const lightning = (ticker: string, activation: z.input<typeof Activation> = {}, platform = 'tBTC-segwit') =>
  ({ ticker, protocol: 'LIGHTNING', platform, activation }) as const;

/** The node `kdf-sim` simulates when no scenario file is given; its tickers are listed in simulator/README.md. */
export const defaultScenario = {
  coins: [
    { ticker: 'tBTC-segwit', protocol: 'UTXO', enabled: true },
    { ticker: 'tBTC-segwit-disabled', protocol: 'UTXO' },
    { ticker: 'tBTC-segwit-no-blocktime', protocol: 'UTXO', enabled: true, config: { avg_blocktime: null } },
    { ticker: 'tBTC-legacy', protocol: 'UTXO', enabled: true, config: { address_format: { format: 'standard' } } },
    { ticker: 'tQTUM', protocol: 'QTUM', enabled: true },
    lightning('tBTC-lightning'),
    lightning('tBTC-lightning-slow', { phaseMs: 75_000 }),
    lightning('tBTC-lightning-hang', { outcome: { kind: 'hang' } }),
    lightning('tBTC-lightning-hang-2', { outcome: { kind: 'hang' } }),
    lightning('tBTC-lightning-port-in-use', {
      outcome: {
        kind: 'error',
        atPhase: 'InitializingPeerManager',
        error: ADDRESS_IN_USE,
        errorPath: ADDRESS_IN_USE_PATH,
      },
    }),
    lightning('tBTC-lightning-transport-error', {
      outcome: {
        kind: 'error',
        atPhase: 'GettingFeesFromRPC',
        errorType: 'Transport',
        error: 'Transport error: All electrums are currently disconnected',
        errorData: 'All electrums are currently disconnected',
      },
    }),
    lightning('tBTC-lightning-no-platform', {}, 'tBTC-segwit-disabled'),
    lightning('tBTC-lightning-bad-platform', {}, 'tBTC-segwit-no-blocktime'),
    lightning('tBTC-lightning-not-segwit', {}, 'tBTC-legacy'),
    lightning('tBTC-lightning-unsupported-platform', {}, 'tQTUM'),
    {
      ...lightning('tBTC-lightning-bad-protocol'),
      config: { protocol: { type: 'LIGHTNING', protocol_data: { platform: 'tBTC-segwit' } } },
    },
    { ...lightning('tBTC-lightning-bad-config'), config: { decimals: null } },
  ],
} satisfies Scenario;

/** Validates a scenario; `source` (a file name, or `scenario`) starts the error message. */
export function parseScenario(input: unknown, source = 'scenario'): ParsedScenario {
  const result = Scenario.safeParse(input);
  if (!result.success) throw new ScenarioError(`${source} is not a valid scenario:\n${z.prettifyError(result.error)}`);
  return result.data;
}

export async function loadScenarioFile(file: string): Promise<ParsedScenario> {
  let input: unknown;
  try {
    input = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new ScenarioError(`cannot read scenario ${file}: ${(error as Error).message}`);
  }
  return parseScenario(input, file);
}
