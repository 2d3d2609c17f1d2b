/**
 * The coins side of a simulated node: the KDF coins config built from the scenario, and the registry of enabled
 * coins (KDF's coin map, contract §2.5, §2.6).
 *
 * @module
 */
import { createHash } from 'node:crypto';
import type { CoinSpec } from './scenario.js';

export type CoinConfig = Readonly<Record<string, unknown>>;

/** The coins-file entry KDF would read for `spec` (shapes from contract §4.2), with the scenario's overrides. */
export function kdfCoinConfig(spec: CoinSpec): CoinConfig {
  const generated =
    spec.protocol === 'LIGHTNING'
      ? {
          coin: spec.ticker,
          mm2: 1,
          decimals: 11,
          protocol: {
            type: 'LIGHTNING',
            protocol_data: {
              platform: spec.platform,
              network: 'testnet',
              confirmation_targets: { background: 12, normal: 6, high_priority: 1 },
            },
          },
        }
      : {
          coin: spec.ticker,
          mm2: 1,
          protocol: { type: spec.protocol },
          address_format: { format: 'segwit' },
          avg_blocktime: 600,
          required_confirmations: 0,
        };
  return { ...generated, ...spec.config };
}

/**
 * A stable fake address: a 66-hex node id (compressed pubkey) for lightning, a bech32-looking one otherwise.
 * The seed plays the wallet seed: the same node keeps the same node id across disable and re-enable.
 */
export function deriveAddress(seed: string, ticker: string, lightning: boolean): string {
  const digest = createHash('sha256').update(`${seed}:${ticker}`).digest('hex');
  return lightning ? `02${digest}` : `tb1q${digest.slice(0, 38)}`;
}

export interface EnabledCoin {
  readonly ticker: string;
  readonly address: string;
  /** LIGHTNING coins: their platform coin. */
  readonly platform?: string | undefined;
  /** The task that activated it and the port it listens on (lightning). */
  readonly taskId?: number | undefined;
  readonly listeningPort?: number | undefined;
  /** Disabled while other coins depend on it: listed, but not "activated" for new lightning inits (§3.6). */
  passive: boolean;
}

export class CoinRegistry {
  readonly #coins = new Map<string, EnabledCoin>();

  /** Passive coins included, in insertion order (KDF's order is unspecified). */
  list(): EnabledCoin[] {
    return [...this.#coins.values()];
  }

  /** Any registered coin, passive ones included (`lp_coinfind_any`). */
  find(ticker: string): EnabledCoin | undefined {
    return this.#coins.get(ticker);
  }

  /** Registered and not passive (`lp_coinfind`). */
  isActive(ticker: string): boolean {
    const coin = this.#coins.get(ticker);
    return coin !== undefined && !coin.passive;
  }

  add(coin: EnabledCoin): void {
    this.#coins.set(coin.ticker, coin);
  }

  remove(ticker: string): void {
    this.#coins.delete(ticker);
  }

  dependentsOf(ticker: string): EnabledCoin[] {
    return this.list().filter((coin) => coin.platform === ticker);
  }
}
