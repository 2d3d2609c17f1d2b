/**
 * The workload both sides of the benchmark run: N enablements spread round-robin over M simulated KDF nodes, each
 * ticker of a node on its own `listening_port` (two activations on one port clash, as on a real KDF node).
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { LIGHTNING_PHASES, type PollPolicy } from '../workflows/api.js';

/** The enablement workflow's default poll policy; the benchmark passes it explicitly to both sides. */
export const BENCH_POLL_POLICY: PollPolicy = {
  initialIntervalMs: 1_000,
  maxIntervalMs: 15_000,
  backoffCoefficient: 1.5,
};

export const PLATFORM_COIN = 'BTC-segwit';
const FIRST_LISTENING_PORT = 20_000;

export interface Member {
  node: string;
  ticker: string;
  listeningPort: number;
}

export interface WorkloadSize {
  enablements: number;
  nodes: number;
  phaseMs: number;
}

export interface Workload extends WorkloadSize {
  /** Prefix of the node ids: every run has fresh workflow ids on a dev server that keeps its history. */
  runId: string;
  nodeIds: string[];
  tickersPerNode: number;
  members: Member[];
  poll: PollPolicy;
}

export const lightningTicker = (index: number): string => `LN-${index}`;

export function createWorkload(size: WorkloadSize): Workload {
  const runId = `b${randomBytes(3).toString('hex')}`;
  const nodeIds = Array.from({ length: size.nodes }, (_, index) => `${runId}-node-${index}`);
  const members = Array.from({ length: size.enablements }, (_, index) => {
    const tickerIndex = Math.floor(index / size.nodes);
    return {
      node: nodeIds[index % size.nodes] as string,
      ticker: lightningTicker(tickerIndex),
      listeningPort: FIRST_LISTENING_PORT + tickerIndex,
    };
  });
  return {
    ...size,
    runId,
    nodeIds,
    tickersPerNode: Math.ceil(size.enablements / size.nodes),
    members,
    poll: BENCH_POLL_POLICY,
  };
}

/** From a simulated task's init to its Ok in the bench's scenario: its phases, each `phaseMs` long, no final pause. */
export const activationMs = (size: WorkloadSize): number => LIGHTNING_PHASES.length * size.phaseMs;
