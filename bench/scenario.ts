/**
 * The simulated KDF node of the benchmark: an enabled segwit platform coin and as many lightning tickers as the
 * node gets enablements, all ending Ok after eight phases (their duration is the simulator's `phaseMs`). Event
 * streaming (KDF's `event_streaming_configuration`) is on for the push side only.
 *
 * @module
 */
import type { Scenario } from '../simulator/index.js';
import { lightningTicker, PLATFORM_COIN } from './workload.js';

export function benchScenario(tickersPerNode: number, eventStreaming: boolean): Scenario {
  return {
    eventStreaming,
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
