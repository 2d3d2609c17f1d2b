// Start, cancel, watch and list enablement workflows: the library behind the CLI.
import { WorkflowNotFoundError } from '@temporalio/client';
import type {
  Client,
  WorkflowExecutionDescription,
  WorkflowExecutionStatusName,
  WorkflowHandle,
} from '@temporalio/client';
import { CancelledFailure, defaultPayloadConverter } from '@temporalio/common';
import type { Payload } from '@temporalio/common';
import {
  cancelSignal,
  enablementWorkflowId,
  KdfNodeAttribute,
  KdfPhaseAttribute,
  KdfTickerAttribute,
  Outcome,
  progressQuery,
  REPORT_MEMO_KEY,
  STARTING_PHASE,
} from '../workflows/api.js';
import type { CancelRequest, EnableLightningInput, EnablementProgress, EnablementReport } from '../workflows/api.js';
import { taskQueueFromEnv } from './connection.js';
import { EnablementNotFoundError } from './errors.js';
import { asReport, reportFromResult, reportFromWorkflowError } from './report.js';
import { checkCancelRequest, ID_PATTERN, InputError, validateEnableInput } from './schema.js';
import { formatDuration } from './duration.js';
import { decodePollHeartbeat, mergePollHeartbeat } from './live-progress.js';

/** Workflow type name of `enableLightning` in workflows/index.ts. */
export const ENABLE_WORKFLOW_TYPE = 'enableLightning';
type EnableLightningWorkflow = (input: EnableLightningInput) => Promise<EnablementReport>;

export interface StartEnablementOptions {
  /** @default KDF_TASK_QUEUE, else `kdf-lightning` */
  taskQueue?: string;
}

export interface StartedEnablement {
  workflowId: string;
  /** Run id of the execution started, or of the running one joined (same node and ticker). */
  runId: string;
  node: string;
  ticker: string;
  handle: WorkflowHandle<EnableLightningWorkflow>;
}

/**
 * Starts an enablement, or joins the one already running for the same node and ticker.
 * The input is validated first: nothing is started on bad input.
 * @throws {InputError} naming the bad field
 */
export async function startEnablement(
  client: Client,
  input: unknown,
  options: StartEnablementOptions = {}
): Promise<StartedEnablement> {
  const valid = validateEnableInput(input);
  const workflowId = enablementWorkflowId(valid.node, valid.ticker);
  const handle = await client.workflow.start<EnableLightningWorkflow>(ENABLE_WORKFLOW_TYPE, {
    args: [valid],
    workflowId,
    taskQueue: options.taskQueue ?? taskQueueFromEnv(),
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    typedSearchAttributes: [
      { key: KdfNodeAttribute, value: valid.node },
      { key: KdfTickerAttribute, value: valid.ticker },
      { key: KdfPhaseAttribute, value: STARTING_PHASE },
    ],
    staticSummary: `Enable Lightning ${valid.ticker} on KDF node ${valid.node}`,
    staticDetails: staticDetails(valid),
  });
  return { workflowId, runId: handle.firstExecutionRunId, node: valid.node, ticker: valid.ticker, handle };
}

/** Markdown for the UI's detail view: the input, no secrets (there are none in the input). */
function staticDetails(input: EnableLightningInput): string {
  const params = input.activationParams;
  const rows: [string, string][] = [
    ['node', input.node],
    ['ticker', input.ticker],
    ['platform coin', input.platformCoin ?? '(not checked)'],
    ['node alias', params.name],
    ['listening port', String(params.listening_port ?? 9735)],
    ['color', params.color ?? '000000'],
    ['payment retries', String(params.payment_retries ?? 5)],
    ['deadline', formatDuration(input.timeoutMs ?? 900_000)],
  ];
  const table = rows.map(([key, value]) => `| ${key} | \`${value}\` |`).join('\n');
  return `**Lightning enablement** of \`${input.ticker}\` on \`${input.node}\`\n\n| setting | value |\n| --- | --- |\n${table}\n\nCancel: \`npx kdf-lightning cancel --node ${input.node} --ticker ${input.ticker} --reason TEXT\``;
}

function assertId(value: string, field: string): void {
  if (!ID_PATTERN.test(value)) throw new InputError(`${field}: "${value}" is not a valid id`, field);
}

function handleFor(client: Client, node: string, ticker: string, runId?: string) {
  assertId(node, 'node');
  assertId(ticker, 'ticker');
  return client.workflow.getHandle<EnableLightningWorkflow>(enablementWorkflowId(node, ticker), runId);
}

const notFound = (node: string, ticker: string, what = 'no enablement'): EnablementNotFoundError =>
  new EnablementNotFoundError(
    `${what} for ticker ${ticker} on node ${node} (workflow ${enablementWorkflowId(node, ticker)})`,
    enablementWorkflowId(node, ticker)
  );

export interface CancelledEnablement {
  workflowId: string;
  runId: string;
}

/**
 * Cancels a running enablement: sends the `cancel` signal (reason and who, recorded in the report), then requests
 * Temporal cancellation. The workflow stops polling, cancels the KDF task and reports the node's real state.
 * @throws {EnablementNotFoundError} when nothing is running for that node and ticker
 */
export async function cancelEnablement(
  client: Client,
  node: string,
  ticker: string,
  reason: string,
  by: string
): Promise<CancelledEnablement> {
  checkCancelRequest(reason, by);
  const handle = handleFor(client, node, ticker);
  try {
    const description = await handle.describe();
    if (description.status.name !== 'RUNNING') throw notFound(node, ticker, 'no running enablement');
    const running = client.workflow.getHandle(handle.workflowId, description.runId);
    await running.signal(cancelSignal, reason, by);
    await running.cancel();
    return { workflowId: handle.workflowId, runId: description.runId };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw notFound(node, ticker, 'no running enablement');
    throw err;
  }
}

/**
 * The progress of an enablement. For a running one, the live view: the workflow's `progress` query merged with the
 * heartbeat of its pending `pollTask` or `activate` activity (see {@link mergePollHeartbeat}); the query alone when that heartbeat
 * is missing or unreadable. For a finished one,
 * built from its report (the query needs a live run).
 */
export async function getProgress(client: Client, node: string, ticker: string): Promise<EnablementProgress> {
  const handle = handleFor(client, node, ticker);
  let description: WorkflowExecutionDescription;
  try {
    description = await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw notFound(node, ticker);
    throw err;
  }
  if (description.status.name !== 'RUNNING') return progressFromReport(await waitForReport(client, node, ticker));
  // Heartbeat first, query second: what a poll reported in between is in the query, and its stale heartbeat is dropped.
  const heartbeat = await decodePollHeartbeat(
    client.options.loadedDataConverter,
    { namespace: client.options.namespace, workflowId: handle.workflowId },
    description.raw.pendingActivities
  );
  const progress = await client.workflow.getHandle(handle.workflowId, description.runId).query(progressQuery);
  return mergePollHeartbeat(progress, heartbeat);
}

export function progressFromReport(report: EnablementReport): EnablementProgress {
  const progress: EnablementProgress = {
    node: report.node,
    ticker: report.ticker,
    phase: report.outcome,
    taskId: report.taskId,
    phases: report.phases,
    pollCount: 0,
    retries: 0,
    outcome: report.outcome,
  };
  if (report.cancel) progress.cancel = report.cancel;
  if (report.error) progress.lastError = { type: report.error.type, message: report.error.message, at: '' };
  return progress;
}

/**
 * Waits until the enablement ends and returns its report, whichever way it ended: the result when Completed, the
 * report attached to the failure or cancellation otherwise (synthesised from the failure when none is attached).
 * @throws {EnablementNotFoundError} when no enablement exists for that node and ticker
 */
export async function waitForReport(
  client: Client,
  node: string,
  ticker: string,
  runId?: string
): Promise<EnablementReport> {
  const handle = handleFor(client, node, ticker, runId);
  try {
    return reportFromResult(await handle.result(), { node, ticker });
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw notFound(node, ticker);
    const report = reportFromWorkflowError(err, { node, ticker });
    if (!report) throw err;
    if (isCancelledWithoutReport(err)) {
      // Temporal drops a cancelled workflow's details: the workflow leaves its report in the memo instead.
      const memo = await handle.describe().then(
        (description) => asReport(description.memo?.[REPORT_MEMO_KEY]),
        () => undefined
      );
      if (memo) return memo;
    }
    if (report.outcome === Outcome.cancelled && !report.cancel) {
      const cancel = await lastCancelRequest(handle).catch(() => undefined);
      if (cancel) report.cancel = cancel;
    }
    return report;
  }
}

function isCancelledWithoutReport(err: unknown): boolean {
  const cause = err instanceof Error ? err.cause : undefined;
  return cause instanceof CancelledFailure && asReport(cause.details[0]) === undefined;
}

/** The last ops `cancel` signal in the history (reason, who, when), for a cancellation that carried no report. */
async function lastCancelRequest(handle: WorkflowHandle): Promise<CancelRequest | undefined> {
  const history = await handle.fetchHistory();
  let found: CancelRequest | undefined;
  for (const event of history.events ?? []) {
    const signaled = event.workflowExecutionSignaledEventAttributes;
    if (signaled?.signalName !== cancelSignal.name) continue;
    const [reason, requestedBy] = (signaled.input?.payloads ?? []).map((payload) =>
      defaultPayloadConverter.fromPayload(payload as Payload)
    );
    const seconds = Number(event.eventTime?.seconds?.toString() ?? 0);
    const at = new Date(seconds * 1000 + Math.floor((event.eventTime?.nanos ?? 0) / 1e6)).toISOString();
    found = { reason: String(reason ?? ''), requestedBy: String(requestedBy ?? ''), at };
  }
  return found;
}

export interface ListFilter {
  node?: string;
  ticker?: string;
  /** Only running enablements. */
  running?: boolean;
  /** Only finished enablements with this outcome. */
  outcome?: Outcome;
  /** @default 100 */
  limit?: number;
}

export interface EnablementSummary {
  workflowId: string;
  runId: string;
  node: string;
  ticker: string;
  status: WorkflowExecutionStatusName;
  /** KdfPhase search attribute: the current phase while running. */
  phase?: string;
  /** The outcome of a finished enablement. */
  outcome?: Outcome;
  startTime: string;
  closeTime?: string;
}

/** Execution statuses that can hold each outcome; the exact outcome of a Failed one is read from its report. */
const STATUSES_FOR: Record<Outcome, string[]> = {
  enabled: ['Completed'],
  failed: ['Failed', 'Terminated'],
  cancelled: ['Canceled', 'Failed'],
  timed_out: ['Failed', 'TimedOut'],
};

/** The visibility query for a filter (KdfNode, KdfTicker, ExecutionStatus). */
export function listQuery(filter: ListFilter): string {
  if (filter.running && filter.outcome) throw new InputError('outcome: cannot be combined with running', 'outcome');
  const clauses = [`WorkflowType = '${ENABLE_WORKFLOW_TYPE}'`];
  if (filter.node !== undefined) {
    assertId(filter.node, 'node');
    clauses.push(`KdfNode = '${filter.node}'`);
  }
  if (filter.ticker !== undefined) {
    assertId(filter.ticker, 'ticker');
    clauses.push(`KdfTicker = '${filter.ticker}'`);
  }
  if (filter.running) clauses.push(`ExecutionStatus = 'Running'`);
  if (filter.outcome) {
    const statuses = STATUSES_FOR[filter.outcome];
    if (!statuses) throw new InputError(`outcome: "${String(filter.outcome)}" is not an outcome`, 'outcome');
    clauses.push(`ExecutionStatus IN (${statuses.map((status) => `'${status}'`).join(', ')})`);
  }
  return clauses.join(' AND ');
}

const OUTCOME_VALUES = new Set<string>(Object.values(Outcome));

/** Enablements matching the filter, newest first, with the outcome of finished ones. */
export async function listEnablements(client: Client, filter: ListFilter = {}): Promise<EnablementSummary[]> {
  const limit = filter.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1) throw new InputError('limit: must be a positive integer', 'limit');
  const found: EnablementSummary[] = [];
  for await (const info of client.workflow.list({ query: listQuery(filter), pageSize: Math.min(limit, 100) })) {
    const node = info.typedSearchAttributes.get(KdfNodeAttribute) ?? '';
    const ticker = info.typedSearchAttributes.get(KdfTickerAttribute) ?? '';
    const phase = info.typedSearchAttributes.get(KdfPhaseAttribute);
    const summary: EnablementSummary = {
      workflowId: info.workflowId,
      runId: info.runId,
      node,
      ticker,
      status: info.status.name,
      startTime: info.startTime.toISOString(),
    };
    if (phase !== undefined) summary.phase = phase;
    if (info.closeTime) summary.closeTime = info.closeTime.toISOString();
    const outcome = await outcomeOf(client, summary);
    if (outcome) summary.outcome = outcome;
    if (filter.outcome && summary.outcome !== filter.outcome) continue;
    found.push(summary);
    if (found.length >= limit) break;
  }
  return found;
}

async function outcomeOf(client: Client, summary: EnablementSummary): Promise<Outcome | undefined> {
  switch (summary.status) {
    case 'RUNNING':
      return undefined;
    case 'COMPLETED':
      return Outcome.enabled;
    case 'CANCELLED':
      return Outcome.cancelled;
    case 'TIMED_OUT':
      return Outcome.timedOut;
    case 'TERMINATED':
      return Outcome.failed;
    default:
      if (summary.phase !== undefined && OUTCOME_VALUES.has(summary.phase)) return summary.phase as Outcome;
      if (!summary.node || !summary.ticker) return Outcome.failed;
      return (await waitForReport(client, summary.node, summary.ticker, summary.runId)).outcome;
  }
}
