// A fleet's pairs, node by node, as the fleet and its dry run read them from the (compact) fleet input.
import { ApplicationFailure } from '@temporalio/workflow';
import {
  FailureType,
  type EnableLightningInput,
  type FleetInput,
  type FleetMember,
  type FleetNode,
  type FleetTicker,
} from './api.js';

const KDF_NAME_MAX_BYTES = 32;

/** One node of the fleet: its settings and its tickers, in order. */
export interface NodePairs {
  settings: FleetNode;
  tickers: FleetTicker[];
}

/**
 * The fleet's nodes with their tickers. Checks what the client checks too (library callers may skip it): every node
 * has tickers, and no (node, ticker) pair is listed twice.
 */
export function nodePairs(input: FleetInput): NodePairs[] {
  if (!Array.isArray(input.nodes)) throw invalidFleetInput('nodes must be an array');
  const seen = new Map<string, string>();
  return input.nodes.map((settings, index) => {
    const where = `nodes[${index}] (${settings?.node})`;
    if (typeof settings?.node !== 'string' || settings.node === '') throw invalidFleetInput(`${where}: no node id`);
    const tickers = settings.tickers ?? input.defaults?.tickers;
    if (!tickers?.length) throw invalidFleetInput(`${where}: no tickers (and no defaults.tickers)`);
    tickers.forEach(({ ticker }, position) => {
      const key = `${settings.node}\u0000${ticker}`;
      const place = `${where}.tickers[${position}]`;
      const first = seen.get(key);
      if (first !== undefined) throw invalidFleetInput(`${place}: ${ticker} on ${settings.node} is also ${first}`);
      seen.set(key, place);
    });
    return { settings, tickers };
  });
}

/** A pair with what its node and its ticker set (the ticker wins). */
export function memberOf({ settings, tickers }: NodePairs, index: number): FleetMember {
  const { ticker, ...own } = tickers[index] as FleetTicker;
  const activationParams = { ...settings.activationParams, ...own.activationParams };
  const platformCoin = own.platformCoin ?? settings.platformCoin;
  const timeoutMs = own.timeoutMs ?? settings.timeoutMs;
  return {
    node: settings.node,
    ticker,
    ...(Object.keys(activationParams).length > 0 && { activationParams }),
    ...(platformCoin !== undefined && { platformCoin }),
    ...(timeoutMs !== undefined && { timeoutMs }),
  };
}

/** A member's enablement input: its own settings over the fleet's defaults; the node alias defaults to the node id. */
export function memberInput(input: FleetInput, member: FleetMember): EnableLightningInput {
  const { defaults } = input;
  const platformCoin = member.platformCoin ?? defaults.platformCoin;
  const timeoutMs = member.timeoutMs ?? defaults.timeoutMs;
  return {
    node: member.node,
    ticker: member.ticker,
    activationParams: {
      name: truncateUtf8(member.node, KDF_NAME_MAX_BYTES),
      ...defaults.activationParams,
      ...member.activationParams,
    },
    ...(platformCoin !== undefined && { platformCoin }),
    ...(timeoutMs !== undefined && { timeoutMs }),
    ...(defaults.poll && { poll: defaults.poll }),
  };
}

/** The platform coins a node's pairs name (their own, their node's or the fleet's). */
export function platformCoinsOf(input: FleetInput, pairs: NodePairs): string[] {
  const coins = pairs.tickers.map((_, index) => memberOf(pairs, index).platformCoin ?? input.defaults.platformCoin);
  return [...new Set(coins.filter((coin): coin is string => coin !== undefined))];
}

export function invalidFleetInput(problem: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: FailureType.invalidInput,
    message: `invalid fleet input: ${problem}`,
    nonRetryable: true,
  });
}

function truncateUtf8(text: string, maxBytes: number): string {
  let result = '';
  let bytes = 0;
  for (const char of text) {
    const size = new TextEncoder().encode(char).length;
    if (bytes + size > maxBytes) break;
    result += char;
    bytes += size;
  }
  return result;
}
