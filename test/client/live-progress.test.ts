// The live view of `status` / `watch` / `getProgress`: the workflow's `progress` query merged with the heartbeat of
// the pending `pollTask`, decoded from real payloads (the SDK's default converter, and the project's AES codec).
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { WorkflowHandle } from '@temporalio/client';
import type { ActivitySerializationContext, DataConverter, LoadedDataConverter, Payload } from '@temporalio/common';
// The worker's own path for heartbeat details (worker.js: encodeToPayload with the activity's context).
import { encodeToPayload, loadDataConverter } from '@temporalio/common/lib/internal-non-workflow/index.js';
import { encryptionDataConverter } from '../../codec/encryption-codec.js';
import { parseKeyring } from '../../codec/keys.js';
import { getProgress } from '../../client/enablements.js';
import { ExitCode } from '../../client/exit-codes.js';
import { decodePollHeartbeat, mergePollHeartbeat } from '../../client/live-progress.js';
import type { PendingActivityLike } from '../../client/live-progress.js';
import { lineView } from '../../client/output.js';
import { ACTIVATE_ACTIVITY, enablementWorkflowId, POLL_ACTIVITY, START_ACTIVITY } from '../../workflows/api.js';
import type { EnablementProgress, EnablementReport, PollHeartbeat } from '../../workflows/api.js';
import { cliRun } from '../helpers/cli.js';

const NODE = 'alpha';
const TICKER = 'tBTC-lightning';
const WORKFLOW_ID = enablementWorkflowId(NODE, TICKER);
const NAMESPACE = 'unit-ns';

const at = (second: number): string => new Date(Date.UTC(2030, 0, 1, 12, 0, second)).toISOString();
const rec = (phase: string, second: number) => ({ phase, at: at(second) });

const progress = (overrides: Partial<EnablementProgress> = {}): EnablementProgress => ({
  node: NODE,
  ticker: TICKER,
  phase: 'activating',
  taskId: 7,
  phases: [],
  pollCount: 0,
  retries: 0,
  ...overrides,
});

const heartbeat = (overrides: Partial<PollHeartbeat> = {}): PollHeartbeat => ({
  phase: null,
  phases: [],
  polls: 0,
  ...overrides,
});

const keyring = (id: string) =>
  parseKeyring(JSON.stringify({ current: id, keys: { [id]: randomBytes(32).toString('base64') } }), 'KDF_CODEC_KEYS');
const ENCRYPTED: DataConverter = encryptionDataConverter(keyring('k1'));
const OTHER_KEY: DataConverter = encryptionDataConverter(keyring('k2'));

/** Heartbeat details as the worker sends them: one payload, encoded through the worker's data converter. */
async function heartbeatPayloads(details: unknown, dataConverter: DataConverter = {}): Promise<Payload[]> {
  const context: ActivitySerializationContext = {
    type: 'activity',
    namespace: NAMESPACE,
    activityId: '5',
    workflowId: WORKFLOW_ID,
    isLocal: false,
  };
  return [await encodeToPayload(loadDataConverter(dataConverter), details, context)];
}

const pending = (payloads: Payload[] | undefined, type = POLL_ACTIVITY): PendingActivityLike => ({
  activityId: '5',
  activityType: { name: type },
  ...(payloads && { heartbeatDetails: { payloads } }),
});

/** A real Client (lazy connection, never used), so `options.loadedDataConverter` is what the SDK loads. */
const clients: Client[] = [];
function realClient(dataConverter?: DataConverter): Client {
  const client = new Client({
    connection: Connection.lazy({ address: '127.0.0.1:1' }),
    namespace: NAMESPACE,
    ...(dataConverter && { dataConverter }),
  });
  clients.push(client);
  return client;
}
afterAll(async () => {
  await Promise.all(clients.map((client) => client.connection.close()));
});

const SEEN: PollHeartbeat = {
  phase: 'InitializingChannelManager',
  phases: [
    rec('GettingFeesFromRPC', 40),
    rec('ReadingNetworkGraphFromFile', 41),
    rec('InitializingChannelManager', 43),
  ],
  polls: 9,
  lastError: { type: 'Transport', message: 'connection reset', at: at(42) },
};

describe('mergePollHeartbeat', () => {
  test('no heartbeat: the query as it is', () => {
    const query = progress({ phases: [rec('ActivatingCoin', 1)], pollCount: 3 });
    expect(mergePollHeartbeat(query, undefined)).toBe(query);
  });

  test('while activating: the heartbeat phase, its phases appended, polls added', () => {
    const query = progress({ pollCount: 1 });
    const merged = mergePollHeartbeat(
      query,
      heartbeat({
        phase: 'GettingFeesFromRPC',
        phases: [rec('ActivatingCoin', 1), rec('GettingFeesFromRPC', 2)],
        polls: 4,
      })
    );
    expect(merged).toEqual(
      progress({
        phase: 'GettingFeesFromRPC',
        phases: [rec('ActivatingCoin', 1), rec('GettingFeesFromRPC', 2)],
        pollCount: 5,
      })
    );
    expect(query).toEqual(progress({ pollCount: 1 })); // inputs are not changed
  });

  test('after a long phase: workflow phases first, then the heartbeat records not listed; the newer phase wins', () => {
    const query = progress({
      phase: 'ActivatingCoin',
      phases: [rec('ActivatingCoin', 1)],
      pollCount: 30,
      retries: 1,
      lastError: { type: 'Timeout', message: 'status timed out', at: at(20) },
    });
    expect(mergePollHeartbeat(query, SEEN)).toEqual({
      ...query,
      phase: 'InitializingChannelManager',
      phases: [rec('ActivatingCoin', 1), ...SEEN.phases],
      pollCount: 39,
      lastError: SEEN.lastError,
    });
  });

  test('records are told apart by phase and time: a phase seen again (new task after a lost one) is listed again', () => {
    const query = progress({ phases: [rec('ActivatingCoin', 1), rec('GettingFeesFromRPC', 40)] });
    const merged = mergePollHeartbeat(
      query,
      heartbeat({ phase: 'ActivatingCoin', phases: [rec('ActivatingCoin', 90)], polls: 1 })
    );
    expect(merged.phases).toEqual([rec('ActivatingCoin', 1), rec('GettingFeesFromRPC', 40), rec('ActivatingCoin', 90)]);
    expect(merged.phase).toBe('ActivatingCoin');
  });

  test('a heartbeat whose newest record the workflow lists already (that poll has reported) is ignored', () => {
    const query = progress({ phase: 'InitializingChannelManager', phases: SEEN.phases, pollCount: 9 });
    expect(mergePollHeartbeat(query, SEEN)).toBe(query);
  });

  test('a heartbeat with nothing new keeps the workflow phase unless it is activating', () => {
    const known = progress({ phase: 'ActivatingCoin', phases: [rec('ActivatingCoin', 1)], pollCount: 2 });
    const idle = heartbeat({ phase: 'ActivatingCoin', polls: 3 });
    expect(mergePollHeartbeat(known, idle)).toEqual({ ...known, pollCount: 5 });
    expect(mergePollHeartbeat(progress(), idle).phase).toBe('ActivatingCoin');
    expect(mergePollHeartbeat(progress(), heartbeat({ polls: 1 })).phase).toBe('activating');
  });

  test("the poll's retries count while it is pending, and not once it has reported", () => {
    const query = progress({ retries: 1 });
    expect(mergePollHeartbeat(query, { ...heartbeat({ polls: 2 }), attempt: 4 }).retries).toBe(4);
    expect(mergePollHeartbeat(query, { ...heartbeat({ polls: 2 }), attempt: 1 }).retries).toBe(1);
    const reported = progress({ phase: 'InitializingChannelManager', phases: SEEN.phases, retries: 3 });
    expect(mergePollHeartbeat(reported, { ...SEEN, attempt: 4 }).retries).toBe(3);
  });

  test('our own steps are kept: starting, cancelling, and an outcome ignores the heartbeat altogether', () => {
    const cancelling = progress({ phase: 'cancelling', pollCount: 2 });
    expect(mergePollHeartbeat(cancelling, SEEN)).toMatchObject({
      phase: 'cancelling',
      pollCount: 11,
      phases: SEEN.phases,
    });
    expect(mergePollHeartbeat(progress({ phase: 'starting' }), SEEN).phase).toBe('starting');
    const finished = progress({ phase: 'enabled', outcome: 'enabled' });
    expect(mergePollHeartbeat(finished, SEEN)).toBe(finished);
  });

  test('v5: the heartbeat of activate names the task the workflow learns only when the activity returns', () => {
    const task = { taskId: 812, startedAt: at(39) };
    const starting = progress({ phase: 'starting', taskId: null });
    expect(mergePollHeartbeat(starting, { ...SEEN, task })).toMatchObject({
      phase: 'InitializingChannelManager',
      taskId: 812,
      phases: SEEN.phases,
    });
    expect(mergePollHeartbeat(starting, heartbeat({ task }))).toMatchObject({ phase: 'activating', taskId: 812 });
    // a task lost and started again: the heartbeat's task is the current one
    expect(mergePollHeartbeat(progress({ taskId: 7 }), heartbeat({ task })).taskId).toBe(812);
    expect(mergePollHeartbeat(progress({ phase: 'cancelling' }), heartbeat({ task })).taskId).toBe(7);
    // before init answers, the heartbeat carries no task: still starting
    expect(mergePollHeartbeat(starting, heartbeat())).toMatchObject({ phase: 'starting', taskId: null });
  });

  test('lastError: the later of the two; the workflow one on a tie or an unreadable heartbeat time', () => {
    const workflowError = { type: 'Timeout', message: 'slow', at: at(50) };
    const query = progress({ lastError: workflowError });
    expect(mergePollHeartbeat(query, SEEN).lastError).toBe(workflowError);
    expect(mergePollHeartbeat(query, { ...SEEN, lastError: { ...workflowError, type: 'Other' } }).lastError).toBe(
      workflowError
    );
    expect(mergePollHeartbeat(query, { ...SEEN, lastError: { type: 'X', message: 'm', at: 'soon' } }).lastError).toBe(
      workflowError
    );
    expect(mergePollHeartbeat(progress({ lastError: { type: 'X', message: 'm', at: '' } }), SEEN).lastError).toBe(
      SEEN.lastError
    );
    expect(
      mergePollHeartbeat(progress(), heartbeat({ phase: 'ActivatingCoin', phases: [rec('ActivatingCoin', 1)] }))
    ).not.toHaveProperty('lastError');
  });
});

describe('decodePollHeartbeat', () => {
  const owner = { namespace: NAMESPACE, workflowId: WORKFLOW_ID };
  const loaded = (dataConverter?: DataConverter): LoadedDataConverter =>
    realClient(dataConverter).options.loadedDataConverter;

  test('default converter: the pending pollTask heartbeat, extra fields dropped', async () => {
    const payloads = await heartbeatPayloads({ ...SEEN, extra: 'ignored' });
    const found = await decodePollHeartbeat(loaded(), owner, [
      pending(undefined, START_ACTIVITY),
      { ...pending(payloads), attempt: 3 },
    ]);
    expect(found).toEqual({ ...SEEN, attempt: 3 });
  });

  test('the pending activate heartbeat (v5), its task included', async () => {
    const task = { taskId: 812, startedAt: at(39) };
    const payloads = await heartbeatPayloads({ ...SEEN, task });
    const found = await decodePollHeartbeat(loaded(), owner, [pending(payloads, ACTIVATE_ACTIVITY)]);
    expect(found).toEqual({ ...SEEN, task, attempt: 1 });
    const badTask = await heartbeatPayloads({ ...SEEN, task: { taskId: 'x', startedAt: at(39) } });
    expect(await decodePollHeartbeat(loaded(), owner, [pending(badTask, ACTIVATE_ACTIVITY)])).toBeUndefined();
  });

  test('encryption codec: decoded through the client data converter', async () => {
    const payloads = await heartbeatPayloads(SEEN, ENCRYPTED);
    expect(JSON.stringify(payloads)).not.toContain('InitializingChannelManager');
    expect(await decodePollHeartbeat(loaded(ENCRYPTED), owner, [pending(payloads)])).toEqual({ ...SEEN, attempt: 1 });
  });

  test('payloads written before encryption was turned on still decode with the codec', async () => {
    const payloads = await heartbeatPayloads(SEEN);
    expect(await decodePollHeartbeat(loaded(ENCRYPTED), owner, [pending(payloads)])).toEqual({ ...SEEN, attempt: 1 });
  });

  test('undefined, never a throw: nothing pending, no heartbeat yet, another activity, undecodable or misshapen', async () => {
    const encrypted = await heartbeatPayloads(SEEN, ENCRYPTED);
    const cases: [LoadedDataConverter, PendingActivityLike[] | null | undefined][] = [
      [loaded(), undefined],
      [loaded(), null],
      [loaded(), []],
      [loaded(), [pending(undefined)]],
      [loaded(), [pending([])]],
      [loaded(), [pending(await heartbeatPayloads(SEEN), START_ACTIVITY)]],
      [loaded(), [pending(encrypted)]], // encrypted, but this client has no codec
      [loaded(OTHER_KEY), [pending(encrypted)]], // a key this client lacks
      [loaded(), [pending([{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('{not json') }])]],
      [loaded(), [pending(await heartbeatPayloads({ phase: 'ActivatingCoin' }))]],
      [loaded(), [pending(await heartbeatPayloads({ ...SEEN, polls: -1 }))]],
      [loaded(), [pending(await heartbeatPayloads({ ...SEEN, phases: [{ phase: 3 }] }))]],
      [loaded(), [pending(await heartbeatPayloads('ActivatingCoin'))]],
      [loaded(), [pending(await heartbeatPayloads(null))]],
    ];
    for (const [converter, activities] of cases) {
      await expect(decodePollHeartbeat(converter, owner, activities)).resolves.toBeUndefined();
    }
  });
});

// ---- getProgress and the CLI against a real Client whose workflow handles are faked ----

interface Snapshot {
  query: EnablementProgress;
  activities?: PendingActivityLike[];
}

/** A Client with the given data converter whose enablement walks through `snapshots`, one per describe. */
function clientWith(
  dataConverter: DataConverter | undefined,
  snapshots: Snapshot[],
  report?: EnablementReport,
  onDescribe: (index: number) => void = () => undefined
) {
  const client = realClient(dataConverter);
  const log: string[] = [];
  let index = -1;
  let ended: (report: EnablementReport) => void = () => undefined;
  const result = new Promise<EnablementReport>((resolve) => (ended = resolve));
  const current = () => snapshots[Math.min(index, snapshots.length - 1)] as Snapshot;
  client.workflow.getHandle = ((workflowId: string, runId?: string) => {
    log.push(`handle ${workflowId} ${runId ?? '-'}`);
    return {
      workflowId,
      describe: async () => {
        index += 1;
        onDescribe(index);
        if (index >= snapshots.length && report) ended(report);
        log.push('describe');
        return {
          status: { name: index >= snapshots.length && report ? 'COMPLETED' : 'RUNNING' },
          runId: 'run-1',
          raw: { pendingActivities: current().activities ?? [] },
        };
      },
      query: async () => {
        log.push('query');
        return current().query;
      },
      result: () => result,
    } as unknown as WorkflowHandle;
  }) as typeof client.workflow.getHandle;
  return { client, log };
}

describe('getProgress', () => {
  test('running: describe (heartbeat) first, then the query on that run, merged', async () => {
    const query = progress({ phase: 'ActivatingCoin', phases: [rec('ActivatingCoin', 1)], pollCount: 30 });
    const activities = [pending(await heartbeatPayloads(SEEN, ENCRYPTED))];
    const { client, log } = clientWith(ENCRYPTED, [{ query, activities }]);
    await expect(getProgress(client, NODE, TICKER)).resolves.toEqual(mergePollHeartbeat(query, SEEN));
    expect(log).toEqual([`handle ${WORKFLOW_ID} -`, 'describe', `handle ${WORKFLOW_ID} run-1`, 'query']);
  });

  test('an undecodable heartbeat falls back to the query alone', async () => {
    const query = progress({ pollCount: 2 });
    const activities = [pending(await heartbeatPayloads(SEEN, OTHER_KEY))];
    const { client } = clientWith(ENCRYPTED, [{ query, activities }]);
    await expect(getProgress(client, NODE, TICKER)).resolves.toEqual(query);
  });
});

describe('CLI', () => {
  const cli = (argv: string[], client: Client, out: string[] = []) =>
    cliRun(argv, { connect: async () => client, onStdout: (text) => out.push(text) });

  test('status shows the live phase, phases and polls', async () => {
    const query = progress({ pollCount: 1 });
    const activities = [pending(await heartbeatPayloads(SEEN))];
    const json = await cli(
      ['status', '--node', NODE, '--ticker', TICKER, '--json'],
      clientWith(undefined, [{ query, activities }]).client
    );
    expect(json.code).toBe(ExitCode.ok);
    expect(JSON.parse(json.stdout)).toEqual({
      workflowId: WORKFLOW_ID,
      status: 'running',
      ...query,
      phase: 'InitializingChannelManager',
      phases: SEEN.phases,
      pollCount: 10,
      lastError: SEEN.lastError,
    });
    const human = await cli(
      ['status', '--node', NODE, '--ticker', TICKER],
      clientWith(undefined, [{ query, activities }]).client
    );
    expect(human.stdout).toMatch(/phase\s+InitializingChannelManager \(4\/8\)/);
    expect(human.stdout).toMatch(/polls\s+10, retries 0/);
    expect(human.stdout).toContain(`${at(41)}  ReadingNetworkGraphFromFile`);
  });

  test('watch prints each phase the heartbeat shows, once, then the outcome', async () => {
    const hb = async (value: PollHeartbeat) => [pending(await heartbeatPayloads(value, ENCRYPTED))];
    const early = heartbeat({ phase: 'ActivatingCoin', phases: [rec('ActivatingCoin', 1)], polls: 1 });
    const later = heartbeat({
      phase: 'GettingFeesFromRPC',
      phases: [rec('ActivatingCoin', 1), rec('GettingFeesFromRPC', 3)],
      polls: 2,
    });
    const reported = progress({ phase: 'GettingFeesFromRPC', phases: later.phases, pollCount: 2 });
    const snapshots: Snapshot[] = [
      { query: progress({ phase: 'starting', taskId: null }) },
      { query: progress() },
      { query: progress(), activities: await hb(early) },
      { query: progress(), activities: await hb(later) },
      { query: reported, activities: await hb(later) }, // the poll has reported: stale heartbeat ignored
      {
        query: reported,
        activities: await hb(
          heartbeat({ phase: 'InitializingChannelManager', phases: [rec('InitializingChannelManager', 40)], polls: 1 })
        ),
      },
    ];
    const report: EnablementReport = {
      outcome: 'enabled',
      node: NODE,
      ticker: TICKER,
      taskId: 7,
      alreadyEnabled: false,
      address: '02abc',
      phases: [...later.phases, rec('InitializingChannelManager', 40), rec('InitializingPeerManager', 50)],
      durations: {},
    };
    // stdout, with a marker each time the workflow is described: shows which snapshot each line came from
    const out: string[] = [];
    const { client } = clientWith(ENCRYPTED, snapshots, report, (index) => out.push(`#${index}\n`));
    const run = await cli(['watch', '--node', NODE, '--ticker', TICKER], client, out);
    expect(run.code).toBe(ExitCode.ok);
    const live = /^\d\d:\d\d:\d\d {2}tBTC-lightning {2}/;
    const lines = out
      .join('')
      .split('\n')
      .filter((line) => live.test(line) || line.startsWith('#'))
      .map((line) => line.replace(live, ''));
    expect(lines).toEqual([
      '#0',
      'starting',
      '#1',
      'activating',
      '#2',
      'ActivatingCoin (1/8)', // from the heartbeat: the workflow itself does not list it before #4
      '#3',
      'GettingFeesFromRPC (2/8)',
      '#4',
      '#5',
      'InitializingChannelManager (4/8)',
      '#6',
      'InitializingPeerManager (5/8)', // only in the report
      'enabled  address 02abc',
    ]);
  }, 20_000);
});

describe('lineView', () => {
  test('prints each record once, as soon as it shows up, wherever it is in the list', () => {
    let text = '';
    const view = lineView({ write: (chunk: string) => (text += chunk) });
    const lines = () =>
      text
        .split('\n')
        .filter(Boolean)
        .map((line) => line.slice(10));
    const fees = [rec('ActivatingCoin', 1), rec('GettingFeesFromRPC', 2)];
    view.update('t', progress({ phase: 'GettingFeesFromRPC', phases: fees }));
    view.update('t', progress({ phase: 'activating' })); // the heartbeat could not be read this time
    expect(lines()).toEqual(['t  ActivatingCoin (1/8)', 't  GettingFeesFromRPC (2/8)', 't  activating']);
    view.update('t', progress({ phase: 'InitializingChannelManager', phases: [rec('InitializingChannelManager', 9)] }));
    expect(lines().at(-1)).toBe('t  InitializingChannelManager (4/8)');
    view.update(
      't',
      progress({ phase: 'InitializingChannelManager', phases: [...fees, rec('InitializingChannelManager', 9)] })
    );
    expect(lines()).toHaveLength(4);
  });
});
