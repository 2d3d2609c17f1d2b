import { proxyActivities } from '@temporalio/workflow';
import type { NodePreflight, PreflightActivities } from '../activities/index.js';
import { PLAN_FINDINGS_BY_SEVERITY, type FleetInput, type FleetPlan, type PlanFinding, type PlanRow } from './api.js';
import { memberOf, nodePairs, platformCoinsOf, type NodePairs } from './fleet-members.js';

/** Nodes asked at once. */
const NODES_AT_ONCE = 20;

/** One look per node, no retry: a dry run reports what it finds now, and a node that does not answer is a finding. */
const { preflightNode } = proxyActivities<PreflightActivities>({
  scheduleToCloseTimeout: '1 minute',
  heartbeatTimeout: '30 seconds',
  // a Temporal error in the activity (a describe) is retried (G7); a node that does not answer is a result
  retry: { maximumAttempts: 3 },
});

/** A preflight that failed after its attempts: that node's pairs are reported, the others still are. */
const unread = (error: unknown): NodePreflight => ({
  reachable: false,
  error: { type: 'PreflightFailed', message: error instanceof Error ? error.message : String(error) },
});

const NODE_ERRORS: Record<string, PlanFinding> = {
  UnknownKdfNode: 'unknown_node',
  UserpassIsInvalid: 'bad_userpass',
  UserpassIsNotSet: 'bad_userpass',
};

/**
 * What a fleet run would do with each pair, without starting anything: one preflight per node through the worker
 * (which holds the node credentials), one row per pair in manifest order.
 */
export async function fleetDryRun(input: FleetInput): Promise<FleetPlan> {
  const nodes = nodePairs(input);
  const looks: NodePreflight[] = [];
  for (let i = 0; i < nodes.length; i += NODES_AT_ONCE) {
    const batch = nodes.slice(i, i + NODES_AT_ONCE);
    looks.push(
      ...(await Promise.all(
        batch.map((pairs) =>
          preflightNode({
            node: pairs.settings.node,
            tickers: pairs.tickers.map(({ ticker }) => ticker),
            platformCoins: platformCoinsOf(input, pairs),
            history: true,
          }).catch(unread)
        )
      ))
    );
  }
  const rows = nodes.flatMap((pairs, index) => planRows(input, pairs, looks[index]!));
  const counts = Object.fromEntries(PLAN_FINDINGS_BY_SEVERITY.map((finding) => [finding, 0])) as FleetPlan['counts'];
  for (const row of rows) counts[row.finding] += 1;
  return { fleetId: input.fleetId, total: rows.length, counts, rows };
}

function planRows(input: FleetInput, pairs: NodePairs, look: NodePreflight): PlanRow[] {
  return pairs.tickers.map((_, index): PlanRow => {
    const { node, ticker, platformCoin = input.defaults.platformCoin } = memberOf(pairs, index);
    if (!look.reachable) {
      const finding = NODE_ERRORS[look.error.type] ?? 'node_down';
      return { node, ticker, finding, detail: `${look.error.type}: ${look.error.message}` };
    }
    if (look.enabled.includes(ticker)) return { node, ticker, finding: 'already_enabled' };
    if (platformCoin !== undefined && look.missingPlatformCoins.includes(platformCoin)) {
      return { node, ticker, finding: 'platform_missing', detail: `platform coin ${platformCoin} is not enabled` };
    }
    if (look.running.includes(ticker)) {
      return { node, ticker, finding: 'running', detail: 'an enablement is running: a fleet run joins it' };
    }
    if (look.drifted.includes(ticker)) {
      return { node, ticker, finding: 'ready', detail: 'enabled before; the node has dropped it (a KDF restart)' };
    }
    return { node, ticker, finding: 'ready' };
  });
}
