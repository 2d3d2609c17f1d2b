/**
 * Which member runs where and how its activation plays out: the simulated nodes' scenarios and the fleet's
 * members. Four kinds of member:
 *
 * - `ok` (`ln-<i>`): activates in 8 phases; expected `enabled`.
 * - `fail` (`lnfail-<i>`, every `failEvery`th): the task fails with a scripted `Internal` error; expected `failed`.
 * - `hang` (`lnhang-<i>`, the first member of a few nodes spread over the first half of the fleet): the task never
 *   ends by itself; the member has a short deadline and is expected `timed_out`, or `enabled` when a
 *   `complete-on-cancel` fault let its task complete as compensation cancelled it.
 * - `refused` (`lnrefused-<i>`, on the last nodes): its platform coin (`tBTC-legacy`) has no segwit address format,
 *   so KDF refuses every init synchronously with `Internal`; expected `failed` after one init.
 *
 * Every ticker of a node has its own listening port, and its coin a fixed address (node id) from which the harness
 * tells which ticker a task that ended Ok belongs to.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import type { Scenario } from '../simulator/index.js';
import type { FleetMember } from '../workflows/api.js';

export type MemberKind = 'ok' | 'fail' | 'hang' | 'refused';

export interface TickerPlan {
  ticker: string;
  port: number;
  kind: MemberKind;
  /** `hang` only: its node has a cancel outage timed around the member's deadline. */
  cancelOutage: boolean;
  /** The coin's address (a lightning node id). */
  address: string;
}

export interface LayoutOptions {
  total: number;
  nodeCount: number;
  failEvery: number;
  hangMembers: number;
  cancelOutages: number;
  refusedMembers: number;
  runId: string;
}

export const PLATFORM = 'tBTC-segwit';
/** A UTXO coin without segwit address format: KDF refuses a lightning init on it (contract §2.1). */
export const LEGACY_PLATFORM = 'tBTC-legacy';
export const SCRIPTED_ERROR = 'chaos: scripted failure';

export const nodeId = (runId: string, n: number): string => `chaos-${runId}-n${String(n).padStart(2, '0')}`;

const PREFIX: Record<MemberKind, string> = { ok: 'ln', fail: 'lnfail', hang: 'lnhang', refused: 'lnrefused' };

/** 66 lowercase hex characters, unique per node and ticker. */
const addressOf = (node: string, ticker: string): string =>
  `02${createHash('sha256').update(`${node}/${ticker}`).digest('hex')}`;

/** The tickers of every node, index = node number. */
export function planNodes(options: LayoutOptions): TickerPlan[][] {
  const { total, nodeCount, failEvery, runId } = options;
  const firstHalf = Math.max(1, Math.ceil(nodeCount / 2));
  const hangs = Math.min(options.hangMembers, firstHalf);
  const hangNodes = new Map<number, boolean>();
  for (let k = 0; k < hangs; k++) hangNodes.set(Math.floor((k * firstHalf) / hangs), k < options.cancelOutages);
  const refusedNodes = new Set<number>();
  for (let k = 0; k < Math.min(options.refusedMembers, nodeCount); k++) refusedNodes.add(nodeCount - 1 - k);
  return Array.from({ length: nodeCount }, (_, n) => {
    const count = Math.floor(total / nodeCount) + (n < total % nodeCount ? 1 : 0);
    const node = nodeId(runId, n);
    return Array.from({ length: count }, (_, i): TickerPlan => {
      let kind: MemberKind = 'ok';
      if (i === 0 && hangNodes.has(n)) kind = 'hang';
      else if (i === count - 1 && refusedNodes.has(n)) kind = 'refused';
      else if (failEvery > 0 && (n * 7 + i) % failEvery === failEvery - 1) kind = 'fail';
      const ticker = `${PREFIX[kind]}-${i}`;
      const cancelOutage = kind === 'hang' && hangNodes.get(n) === true;
      return { ticker, port: 9735 + i, kind, cancelOutage, address: addressOf(node, ticker) };
    });
  });
}

export function scenarioFor(tickers: readonly TickerPlan[], phaseMs: number): Scenario {
  const legacy = tickers.some(({ kind }) => kind === 'refused');
  return {
    coins: [
      { ticker: PLATFORM, protocol: 'UTXO', enabled: true },
      ...(legacy
        ? [
            {
              ticker: LEGACY_PLATFORM,
              protocol: 'UTXO' as const,
              enabled: true,
              config: { address_format: { format: 'standard' } },
            },
          ]
        : []),
      ...tickers.map(({ ticker, kind, address }) => ({
        ticker,
        protocol: 'LIGHTNING' as const,
        platform: kind === 'refused' ? LEGACY_PLATFORM : PLATFORM,
        address,
        activation: {
          phaseMs,
          outcome:
            kind === 'fail'
              ? { kind: 'error' as const, atPhase: 'InitializingPeerManager' as const, error: SCRIPTED_ERROR }
              : kind === 'hang'
                ? { kind: 'hang' as const }
                : { kind: 'ok' as const },
        },
      })),
    ],
  };
}

/**
 * The fleet's members, hanging ones first: the fleet starts a node's members in manifest order, node after node,
 * so their deadlines (and the compensation after them) fall early in the run.
 */
export function membersFor(
  nodes: readonly { id: string; tickers: readonly TickerPlan[] }[],
  hangTimeoutMs: number
): FleetMember[] {
  const members = nodes.flatMap((node) =>
    node.tickers.map(({ ticker, port, kind }): FleetMember => ({
      node: node.id,
      ticker,
      activationParams: { listening_port: port },
      ...(kind === 'hang' && { timeoutMs: hangTimeoutMs }),
    }))
  );
  const hanging = (member: FleetMember) => member.timeoutMs !== undefined;
  return [...members.filter(hanging), ...members.filter((member) => !hanging(member))];
}
