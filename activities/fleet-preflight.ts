/**
 * A fleet's look at one node before it starts anything there: one `get_enabled_coins`, and the last enablement of
 * each pair the node does not have (a completed one means a KDF restart dropped the coin). Used by fleet runs (to
 * skip enabled pairs and count drift) and by dry runs (to report what a run would do).
 *
 * @module
 */
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { enablementWorkflowId } from '../workflows/api.js';
import { createKdfClient, failureTypeOf, KdfError, type KdfClient } from './kdf/index.js';
import { recordRpcMetric } from './metrics.js';
import type { NodeRegistry } from './nodes.js';

/** Enablements described at once: a node with hundreds of pairs does not flood the Temporal frontend. */
const DESCRIBES_AT_ONCE = 16;

export interface NodePreflightInput {
  node: string;
  tickers: string[];
  /** Platform coins the pairs name: reported missing when the node has not enabled them. */
  platformCoins: string[];
  /** Also describe the enablements of pairs the node does not have (running, or dropped by a restart). */
  history: boolean;
}

export type NodePreflight =
  | {
      reachable: true;
      /** Of the tickers asked, those the node has enabled. */
      enabled: string[];
      missingPlatformCoins: string[];
      /** Not enabled, and their last enablement completed: the coin was enabled and a KDF restart dropped it. */
      drifted: string[];
      /** Not enabled, and an enablement of the pair is running. */
      running: string[];
    }
  /** The node did not answer, refused the userpass, or is not in the worker's registry: `type` says which. */
  | { reachable: false; error: { type: string; message: string } };

export interface PreflightDependencies {
  nodes: NodeRegistry;
  client: Client;
}

export function createPreflightActivities({ nodes, client }: PreflightDependencies) {
  const kdfClients = new Map<string, KdfClient>();
  const kdfClient = (node: string): KdfClient | undefined => {
    const config = nodes.get(node);
    if (!config) return undefined;
    let kdf = kdfClients.get(node);
    if (!kdf) kdfClients.set(node, (kdf = createKdfClient(config, { onCall: recordRpcMetric })));
    return kdf;
  };

  /** The status of the pair's latest enablement, or undefined when there never was one. */
  async function lastEnablement(node: string, ticker: string): Promise<string | undefined> {
    try {
      return (await client.workflow.getHandle(enablementWorkflowId(node, ticker)).describe()).status.name;
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return undefined;
      throw error; // a Temporal error: the attempt is retried (design.md G7)
    }
  }

  return {
    /**
     * One `get_enabled_coins` on the node; with `history`, one describe per pair it does not have. A node that does
     * not answer is a result, not a failure: the fleet then leaves each pair to its own enablement.
     */
    async preflightNode({ node, tickers, platformCoins, history }: NodePreflightInput): Promise<NodePreflight> {
      const context = Context.current();
      const kdf = kdfClient(node);
      if (!kdf) {
        const message = `node "${node}" is not in this worker's node registry (KDF_NODES_FILE)`;
        return { reachable: false, error: { type: 'UnknownKdfNode', message } };
      }
      let coins: Set<string>;
      try {
        coins = new Set(await kdf.enabledCoins({ signal: context.cancellationSignal }));
      } catch (error) {
        if (!(error instanceof KdfError)) throw error;
        return { reachable: false, error: { type: failureTypeOf(error), message: error.message } };
      }
      const enabled = tickers.filter((ticker) => coins.has(ticker));
      const missingPlatformCoins = platformCoins.filter((coin) => !coins.has(coin));
      const drifted: string[] = [];
      const running: string[] = [];
      const absent = history ? tickers.filter((ticker) => !coins.has(ticker)) : [];
      for (let i = 0; i < absent.length; i += DESCRIBES_AT_ONCE) {
        const batch = absent.slice(i, i + DESCRIBES_AT_ONCE);
        const statuses = await Promise.all(batch.map((ticker) => lastEnablement(node, ticker)));
        batch.forEach((ticker, j) => {
          if (statuses[j] === 'COMPLETED') drifted.push(ticker);
          else if (statuses[j] === 'RUNNING') running.push(ticker);
        });
        context.heartbeat(i);
      }
      return { reachable: true, enabled, missingPlatformCoins, drifted, running };
    },
  };
}

export type PreflightActivities = ReturnType<typeof createPreflightActivities>;
