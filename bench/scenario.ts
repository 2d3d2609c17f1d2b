/**
 * The simulated KDF node of the benchmark: an enabled segwit platform coin and as many lightning tickers as the
 * node gets enablements, all ending Ok after eight phases (their duration is the simulator's `phaseMs`). Event
 * streaming is on so that the benchmark learns the instant each task turns Ok (see ok-clock.ts).
 *
 * @module
 */
import type { Scenario } from '../simulator/index.js';
import { lightningTicker, PLATFORM_COIN } from './workload.js';

export function benchScenario(tickersPerNode: number): Scenario {
  return {
    eventStreaming: true,
    coins: [
      { ticker: PLATFORM_COIN, protocol: 'UTXO', enabled: true },
      ...Array.from({ length: tickersPerNode }, (_, index) => ({
        ticker: lightningTicker(index),
        protocol: 'LIGHTNING' as const,
        platform: PLATFORM_COIN,
      })),
    ],
  };
}
