/**
 * Reading how a chaos run ended: the enablements in visibility and their reports, the `cancelKdfTask` workflows,
 * and each node's enabled coins; and whether the fleet's counts add up.
 *
 * @module
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { createKdfClient } from '../activities/kdf/index.js';
import { reportFromResult, reportFromWorkflowError } from '../client/report.js';
import type { CompensationReport, EnablementReport, FleetProgress } from '../workflows/api.js';
import { COMPENSATION_WORKFLOW, enablementWorkflowId } from '../workflows/api.js';
import type { CompensationOutcome, PairResult } from './checks.js';
import type { ChaosNode } from './harness.js';

export interface VisibilityEntry {
  status: string;
  closeTime: number | undefined;
}

/** Every member's enablement in visibility (key `node/ticker`), waiting up to 20 s for all to show closed. */
export async function readVisibility(
  client: Client,
  fleetId: string,
  total: number
): Promise<{ entries: Map<string, VisibilityEntry>; closeTimes: number[] }> {
  const entries = new Map<string, VisibilityEntry>();
  const closeTimes: number[] = [];
  const read = async () => {
    entries.clear();
    closeTimes.length = 0;
    const query = `WorkflowType = 'enableLightning' AND KdfFleet = '${fleetId}'`;
    for await (const info of client.workflow.list({ query, pageSize: 500 })) {
      const closeTime = info.closeTime?.getTime();
      const [, node, ticker] = info.workflowId.split('/');
      entries.set(`${node}/${ticker}`, { status: info.status.name, closeTime });
      if (closeTime !== undefined) closeTimes.push(closeTime);
    }
  };
  const settled = Date.now() + 20_000;
  for (;;) {
    try {
      await read();
      const closed = [...entries.values()].filter((entry) => entry.status !== 'RUNNING').length;
      if (closed >= total || Date.now() > settled) break;
    } catch {
      if (Date.now() > settled) break;
    }
    await sleep(500);
  }
  closeTimes.sort((a, b) => a - b);
  return { entries, closeTimes };
}

export interface ReadReport {
  report?: EnablementReport;
  error?: string;
}

/** The report of every closed enablement (key `node/ticker`): its result, or the first detail of its failure. */
export async function readReports(
  client: Client,
  nodes: readonly ChaosNode[],
  entries: ReadonlyMap<string, VisibilityEntry>
): Promise<Map<string, ReadReport>> {
  const reports = new Map<string, ReadReport>();
  const pairs = nodes.flatMap((node) => node.tickers.map(({ ticker }) => ({ node: node.id, ticker })));
  const readOne = async ({ node, ticker }: { node: string; ticker: string }) => {
    const key = `${node}/${ticker}`;
    const status = entries.get(key)?.status;
    if (status === undefined || status === 'RUNNING') return;
    const handle = client.workflow.getHandle(enablementWorkflowId(node, ticker));
    try {
      reports.set(key, { report: reportFromResult(await handle.result(), { node, ticker }) });
    } catch (error) {
      const report = reportFromWorkflowError(error, { node, ticker });
      reports.set(key, report ? { report } : { error: (error as Error).message });
    }
  };
  for (let i = 0; i < pairs.length; i += 16) await Promise.all(pairs.slice(i, i + 16).map(readOne));
  return reports;
}

/**
 * Every `cancelKdfTask` workflow (the run has its own dev server, so all of them are the run's), plus any a report
 * names, once closed or at `waitUntil`.
 */
export async function readCompensations(
  client: Client,
  reports: ReadonlyMap<string, ReadReport>,
  waitUntil: number
): Promise<CompensationOutcome[]> {
  const ids = new Set<string>();
  for (const { report } of reports.values()) {
    if (report?.compensation?.workflowId) ids.add(report.compensation.workflowId);
  }
  try {
    for await (const info of client.workflow.list({ query: `WorkflowType = '${COMPENSATION_WORKFLOW}'` })) {
      ids.add(info.workflowId);
    }
  } catch {
    // the ids the reports name are enough to check them
  }
  return Promise.all([...ids].map((workflowId) => readCompensation(client, workflowId, waitUntil)));
}

async function readCompensation(client: Client, workflowId: string, waitUntil: number): Promise<CompensationOutcome> {
  const handle = client.workflow.getHandle(workflowId);
  let status = 'MISSING';
  for (;;) {
    try {
      status = (await handle.describe()).status.name;
    } catch (error) {
      status = `MISSING (${(error as Error).message})`;
    }
    if (status !== 'RUNNING' && !status.startsWith('MISSING')) break;
    if (Date.now() >= waitUntil) return { workflowId, status };
    await sleep(1_000);
  }
  try {
    return { workflowId, status, report: (await handle.result()) as CompensationReport };
  } catch (error) {
    const cause = (error as Error).cause as Error | undefined;
    const report = cause instanceof ApplicationFailure ? (cause.details?.[0] as CompensationReport) : undefined;
    return { workflowId, status, ...(report && { report }), error: cause?.message ?? (error as Error).message };
  }
}

/** Each node's `get_enabled_coins` (faults cleared first); absent for a node that did not answer. */
export async function readEnabledCoins(nodes: readonly ChaosNode[], userpass: string): Promise<Map<string, string[]>> {
  const coins = new Map<string, string[]>();
  await Promise.all(
    nodes.map(async (node) => {
      const kdf = createKdfClient({ id: node.id, url: node.observer.simulator.url, userpass });
      for (let attempt = 0; attempt < 5; attempt++) {
        try {
          coins.set(node.id, await kdf.enabledCoins());
          return;
        } catch {
          await sleep(500);
        }
      }
    })
  );
  return coins;
}

/**
 * The fleet's counts add up to the total, agree with the members' kinds (failing and refused members failed,
 * hanging ones timed out or enabled, the others enabled but for G3 residuals, nothing cancelled or already
 * enabled), and agree with the members' own reports.
 */
export function countsAddUp(fleet: FleetProgress | undefined, pairs: readonly PairResult[]): boolean {
  const counts = fleet?.counts;
  if (counts === undefined) return false;
  const of = (kind: PairResult['kind']) => pairs.filter((pair) => pair.kind === kind).length;
  const residuals = pairs.filter((pair) => pair.residual !== undefined && pair.outcome === 'failed').length;
  const outcomes = (outcome: string) => pairs.filter((pair) => pair.outcome === outcome).length;
  return (
    counts.enabled + counts.failed + counts.cancelled + counts.timed_out === pairs.length &&
    counts.failed === of('fail') + of('refused') + residuals &&
    counts.cancelled === 0 &&
    counts.alreadyEnabled === 0 &&
    counts.timed_out <= of('hang') &&
    counts.enabled === of('ok') + of('hang') - counts.timed_out - residuals &&
    counts.enabled === outcomes('enabled') &&
    counts.failed === outcomes('failed') &&
    counts.timed_out === outcomes('timed_out')
  );
}

interface Payloads {
  payloads?: { data?: Uint8Array | null }[] | null;
}
interface Failure {
  message?: string | null;
  cause?: Failure | null;
}

const decode = (payloads: Payloads | null | undefined): string =>
  (payloads?.payloads ?? [])
    .map(({ data }) => (data ? Buffer.from(data).toString('utf8') : ''))
    .join(', ')
    .slice(0, 400);
const failureText = (failure: Failure | null | undefined): string =>
  failure ? `${failure.message ?? ''}${failure.cause ? ` ← ${failureText(failure.cause)}` : ''}` : '';

/** An enablement's history, one line an event (time, type, activity, payloads, failures), for diagnosis. */
export async function historyLines(client: Client, workflowId: string): Promise<string[]> {
  const { events } = await client.workflow.getHandle(workflowId).fetchHistory();
  return (events ?? []).map((event) => {
    const record = event as unknown as Record<string, unknown>;
    const key = Object.keys(record).find((name) => name.endsWith('EventAttributes') && record[name] != null);
    const attributes = (key ? record[key] : {}) as Record<string, unknown>;
    const seconds = Number(String(event.eventTime?.seconds ?? 0));
    const time = new Date(seconds * 1_000 + Math.round((event.eventTime?.nanos ?? 0) / 1e6))
      .toISOString()
      .slice(11, 23);
    const parts = [time, String(event.eventId), key?.replace('EventAttributes', '') ?? '?'];
    const activity = (attributes['activityType'] as { name?: string } | undefined)?.name;
    if (activity) parts.push(activity);
    for (const field of ['input', 'result', 'details']) {
      const text = decode(attributes[field] as Payloads | undefined);
      if (text) parts.push(`${field}=${text}`);
    }
    for (const field of ['failure', 'lastFailure']) {
      const text = failureText(attributes[field] as Failure | undefined);
      if (text) parts.push(`${field}=${text}`);
    }
    if (attributes['attempt'] !== undefined) parts.push(`attempt=${String(attributes['attempt'])}`);
    return parts.join(' ');
  });
}
