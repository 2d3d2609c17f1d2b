// The fleet commands in-process: flag and manifest validation (exit 64 naming the flag or field, without
// connecting), exit codes of a finished fleet, and the output against a fake Temporal client.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ScheduleNotFoundError, WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import type { Client } from '@temporalio/client';
import { CancelledFailure, RetryState } from '@temporalio/common';
import { fleetExitCode } from '../../client/commands/fleet-end.js';
import type { CliIo } from '../../client/cli-program.js';
import { ExitCode } from '../../client/exit-codes.js';
import { dryRunFleet, MAX_DRY_RUN_NODES, MAX_DRY_RUN_PAIRS } from '../../client/fleet-dry-run.js';
import { fleetFailuresReport, fleetLineView, fleetSummary } from '../../client/output.js';
import { emptyFleetCounts, REPORT_MEMO_KEY } from '../../workflows/api.js';
import type { FleetInput, FleetProgress } from '../../workflows/api.js';
import { cliRun } from '../helpers/cli.js';

const cli = (argv: string[], connect?: CliIo['connect']) =>
  cliRun(argv, { env: { USER: 'tester', KDF_TASK_QUEUE: 'unit-queue' }, ...(connect && { connect }) });

const dir = mkdtempSync(path.join(tmpdir(), 'kdf-fleet-cli-'));
function manifestFile(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

const GOOD = manifestFile(
  'good.yaml',
  `fleet: unit-fleet
defaults:
  tickers: [tBTC-lightning]
nodes:
  alpha: {}
  beta:
    tickers:
      - tBTC-lightning
      - { ticker: LTC-lightning, activationParams: { listening_port: 9736 } }
`
);
const PORT_CLASH = manifestFile(
  'clash.yaml',
  `fleet: unit-fleet
nodes:
  alpha:
    tickers: [tBTC-lightning, LTC-lightning]
`
);
const BAD_COLOR = manifestFile(
  'color.json',
  JSON.stringify({ fleet: 'f', defaults: { tickers: ['t'], activationParams: { color: '#fff' } }, nodes: { a: {} } })
);
const BAD_YAML = manifestFile('broken.yaml', 'fleet: [unclosed\n');
const MISSING = path.join(dir, 'missing.yaml');

describe('bad flags or manifests exit 64 naming the flag or field, without connecting', () => {
  test.each([
    [['fleet'], "missing required argument 'MANIFEST'"],
    [['fleet', GOOD, '--concurrency', '0'], '--concurrency: must be 1-10000'],
    [['fleet', GOOD, '--concurrency', '10001'], '--concurrency: must be 1-10000'],
    [['fleet', GOOD, '--concurrency', 'many'], "option '--concurrency <n>' argument 'many' is invalid"],
    [['fleet', GOOD, '--per-node', '0'], '--per-node: must be 1-1000'],
    [['fleet', GOOD, '--per-node', '1.5'], "option '--per-node <n>' argument '1.5' is invalid"],
    [['fleet', GOOD, '--rate', '0'], '--rate: must be above 0'],
    [['fleet', GOOD, '--rate', 'fast'], "option '--rate <r>' argument 'fast' is invalid"],
    [['fleet', GOOD, '--bogus'], "unknown option '--bogus'"],
    [['fleet', MISSING], `${MISSING}: cannot read (ENOENT)`],
    [['fleet', PORT_CLASH], 'nodes.alpha.tickers: tBTC-lightning and LTC-lightning would both listen on port 9735'],
    [['fleet', BAD_COLOR], 'defaults.activationParams.color: must be six hex digits'],
    [['fleet', BAD_YAML], `${BAD_YAML}: not valid .yaml`],
    [['fleet-status'], "missing required argument 'FLEET_ID'"],
    [['fleet-status', 'no/such'], 'FLEET_ID: "no/such" is not a valid fleet id'],
    [['fleet-cancel', 'f1'], "required option '--reason <text>' not specified"],
    [['fleet-cancel', 'f1', '--reason', '  '], '--reason: must not be empty'],
    [['fleet-cancel', 'f1', '--reason', 'x', '--by', ' '], '--by: must not be empty'],
    [['fleet-cancel', 'f1', '--reason', 'r'.repeat(501)], '--reason: must be at most 500 characters (got 501)'],
    [['fleet-cancel', 'bad id', '--reason', 'x'], 'FLEET_ID: "bad id" is not a valid fleet id'],
  ])('%j', async (argv, message) => {
    const run = await cli(argv);
    expect(run.stderr).toContain(message);
    expect(run.code).toBe(ExitCode.usage);
    expect(run.connects).toBe(0);
    expect(run.stdout).toBe('');
  });

  test('--json: one JSON error document naming the manifest field', async () => {
    const run = await cli(['fleet', PORT_CLASH, '--json']);
    expect(run.code).toBe(64);
    expect(JSON.parse(run.stdout)).toMatchObject({
      error: { code: 64, kind: 'usage', field: 'nodes.alpha.tickers' },
    });
    const flag = await cli(['fleet', GOOD, '--concurrency', '0', '--json']);
    expect(JSON.parse(flag.stdout)).toMatchObject({ error: { code: 64, field: '--concurrency' } });
  });
});

describe('help', () => {
  test.each([[['fleet', '--help']], [['fleet-status', '--help']], [['fleet-cancel', '--help']]])(
    '%j documents the fleet exit codes and exits 0',
    async (argv) => {
      const run = await cli(argv);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('Exit codes (fleet commands):');
      expect(run.stdout).toContain('66  no such fleet');
      expect(run.connects).toBe(0);
    }
  );

  test('the program help lists the fleet commands', async () => {
    const run = await cli(['--help']);
    expect(run.stdout).toMatch(/fleet \[options\] <MANIFEST>/);
    expect(run.stdout).toMatch(/fleet-status \[options\] <FLEET_ID>/);
    expect(run.stdout).toMatch(/fleet-cancel \[options\] <FLEET_ID>/);
  });
});

const progress = (overrides: Partial<FleetProgress> = {}, counts: Partial<FleetProgress['counts']> = {}) =>
  ({
    fleetId: 'unit-fleet',
    total: 4,
    started: 4,
    running: 0,
    counts: { ...emptyFleetCounts(), enabled: 4, enabledNow: 4, ...counts },
    failures: [],
    runs: 1,
    done: true,
    ...overrides,
  }) satisfies FleetProgress;

const CANCEL = { reason: 'bad release', requestedBy: 'ops', at: '2025-01-01T00:00:00.000Z' };

test.each([
  ['all enabled', progress(), ExitCode.ok],
  ['all enabled, some already', progress({}, { alreadyEnabled: 2 }), ExitCode.ok],
  ['a failure', progress({}, { enabled: 3, failed: 1 }), ExitCode.failed],
  ['a timeout', progress({}, { enabled: 3, timed_out: 1 }), ExitCode.timedOut],
  ['failed beats timed out and cancelled', progress({}, { enabled: 1, failed: 1, timed_out: 1, cancelled: 1 }), 2],
  ['a member cancelled', progress({}, { enabled: 3, cancelled: 1 }), ExitCode.cancelled],
  ['fleet cancelled', progress({ cancel: CANCEL, started: 2 }, { enabled: 0, cancelled: 2 }), 3],
  ['fleet cancelled beats failures', progress({ cancel: CANCEL }, { enabled: 1, failed: 2, cancelled: 1 }), 3],
  ['members unaccounted for', progress({ started: 3 }, { enabled: 3 }), ExitCode.failed],
])('fleetExitCode: %s', (_name, summary, code) => {
  expect(fleetExitCode(summary)).toBe(code);
});

test('fleetExitCode: a fleet cancelled in Temporal (no cancel request recorded) is 3', () => {
  expect(fleetExitCode(progress({}, { enabled: 1, cancelled: 3 }), true)).toBe(ExitCode.cancelled);
});

describe('output', () => {
  test('summary line and failures table', () => {
    const summary = progress(
      {
        failures: [
          { node: 'alpha', ticker: 'tBTC-lightning', outcome: 'failed', type: 'Internal', message: 'port in use' },
        ],
      },
      { enabled: 3, failed: 1, alreadyEnabled: 1, enabledNow: 1, reEnabled: 1, drifted: 1 }
    );
    expect(fleetSummary(summary)).toBe(
      '4/4 started, 0 running · enabled 3 (already 1, now 1, re-enabled 1) · drifted 1 · failed 1 · timed out 0 · ' +
        'cancelled 0'
    );
    expect(fleetFailuresReport(summary)).toBe(
      'failures\nNODE   TICKER          OUTCOME  TYPE      MESSAGE\nalpha  tBTC-lightning  failed   Internal  port in use\n'
    );
    expect(fleetFailuresReport(progress())).toBe('no failures\n');
  });

  test('the line view prints on change, and again after the interval when nothing changes', () => {
    let text = '';
    let now = 0;
    const view = fleetLineView({ write: (chunk: string) => (text += chunk) }, 30_000, () => now);
    view.update(progress({ started: 1, running: 1 }, { enabled: 0 }));
    view.update(progress({ started: 1, running: 1 }, { enabled: 0 }));
    now = 10_000;
    view.update(progress({ started: 2, running: 1 }, { enabled: 1 }));
    now = 20_000;
    view.update(progress({ started: 2, running: 1 }, { enabled: 1 }));
    now = 45_000;
    view.update(progress({ started: 2, running: 1 }, { enabled: 1 }));
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/unit-fleet {2}1\/4 started, 1 running · enabled 0/);
    expect(lines[1]).toMatch(/2\/4 started, 1 running · enabled 1/);
  });
});

// ---- against a fake Temporal client ----

interface FakeFleet {
  status: string;
  progress?: FleetProgress;
  result?: () => Promise<FleetProgress>;
  memo?: Record<string, unknown>;
  phases?: (string | undefined)[];
}

function fakeClient(fleets: Record<string, FakeFleet>, log: string[] = []): Client {
  const fleetOf = (workflowId: string) => fleets[workflowId.replace(/^fleet\//, '')];
  const notFound = (workflowId: string) => new WorkflowNotFoundError('workflow not found', workflowId, undefined);
  const handle = (workflowId: string) => ({
    workflowId,
    describe: async () => {
      const fleet = fleetOf(workflowId);
      if (!fleet) throw notFound(workflowId);
      return { status: { name: fleet.status }, memo: fleet.memo ?? {} };
    },
    query: async () => {
      const fleet = fleetOf(workflowId);
      if (!fleet?.progress) throw notFound(workflowId);
      return fleet.progress;
    },
    result: async () => {
      const fleet = fleetOf(workflowId);
      if (!fleet) throw notFound(workflowId);
      if (fleet.result) return fleet.result();
      return fleet.progress as FleetProgress;
    },
    signal: async (signal: { name: string }, ...args: unknown[]) => {
      log.push(`signal ${workflowId} ${signal.name} ${JSON.stringify(args)}`);
    },
  });
  return {
    options: { namespace: 'default' },
    connection: { close: async () => undefined },
    workflowService: { describeTaskQueue: async () => ({ pollers: [{}] }) },
    // no fleet here has a schedule
    schedule: {
      getHandle: (scheduleId: string) => ({
        describe: async () => {
          throw new ScheduleNotFoundError('schedule not found', scheduleId);
        },
      }),
    },
    workflow: {
      getHandle: handle,
      start: async (type: string, options: { workflowId: string; args: [FleetInput]; taskQueue: string }) => {
        log.push(`start ${type} ${options.workflowId} on ${options.taskQueue}`);
        const input = options.args[0];
        log.push(
          `input ${JSON.stringify({ c: input.concurrency, p: input.perNodeConcurrency, r: input.startsPerSecond })}`
        );
        return { ...handle(options.workflowId), firstExecutionRunId: 'run-1' };
      },
      list: ({ query }: { query: string }) => {
        log.push(`list ${query}`);
        const fleet = fleetOf(`fleet/${/KdfFleet = '([^']+)'/.exec(query)?.[1] ?? ''}`);
        return (async function* () {
          for (const phase of fleet?.phases ?? []) {
            yield { typedSearchAttributes: { get: () => phase } };
          }
        })();
      },
    },
  } as unknown as Client;
}

describe('against a fake Temporal client', () => {
  test('an unknown fleet exits 66 for fleet-status and fleet-cancel', async () => {
    const client = fakeClient({});
    const status = await cli(['fleet-status', 'nope', '--json'], async () => client);
    expect(status.code).toBe(ExitCode.notFound);
    expect(JSON.parse(status.stdout)).toMatchObject({ error: { code: 66, kind: 'not_found' } });
    expect(status.stderr).toContain('no fleet nope (workflow fleet/nope)');
    const cancel = await cli(['fleet-cancel', 'nope', '--reason', 'x'], async () => client);
    expect(cancel.code).toBe(ExitCode.notFound);
  });

  test('fleet-cancel on a finished fleet exits 66 without signalling', async () => {
    const log: string[] = [];
    const client = fakeClient({ done: { status: 'COMPLETED', progress: progress({ fleetId: 'done' }) } }, log);
    const run = await cli(['fleet-cancel', 'done', '--reason', 'x'], async () => client);
    expect(run.code).toBe(ExitCode.notFound);
    expect(run.stderr).toContain('fleet done is not running (completed)');
    expect(log.filter((line) => line.startsWith('signal'))).toEqual([]);
  });

  test('fleet-status of a running fleet: counts, running members by phase from visibility, exit 0', async () => {
    const log: string[] = [];
    const running = progress({ fleetId: 'live', started: 3, running: 2, done: false }, { enabled: 1 });
    const client = fakeClient(
      { live: { status: 'RUNNING', progress: running, phases: ['ActivatingCoin', 'ActivatingCoin', undefined] } },
      log
    );
    const json = await cli(['fleet-status', 'live', '--json'], async () => client);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      workflowId: 'fleet/live',
      status: 'running',
      running: 2,
      runningPhases: { ActivatingCoin: 2, starting: 1 },
    });
    expect(log).toContain(
      "list WorkflowType = 'enableLightning' AND KdfFleet = 'live' AND ExecutionStatus = 'Running'"
    );
    const human = await cli(['fleet-status', 'live'], async () => client);
    expect(human.stdout).toMatch(/status\s+running/);
    expect(human.stdout).toMatch(/ActivatingCoin \(1\/8\)\s+2/);
  });

  test('fleet-status of a finished fleet exits with its outcome code', async () => {
    const failed = progress(
      {
        fleetId: 'bad',
        failures: [{ node: 'a', ticker: 't', outcome: 'timed_out', type: 'EnablementTimedOut', message: 'late' }],
      },
      { enabled: 3, timed_out: 1 }
    );
    const client = fakeClient({ bad: { status: 'COMPLETED', progress: failed } });
    const run = await cli(['fleet-status', 'bad'], async () => client);
    expect(run.code).toBe(ExitCode.timedOut);
    expect(run.stdout).toMatch(/status\s+finished/);
    expect(run.stdout).toMatch(/a\s+t\s+timed_out\s+EnablementTimedOut\s+late/);
  });

  test('a fleet cancelled in Temporal: the summary from its memo, exit 3', async () => {
    const summary = progress({ fleetId: 'ui' }, { enabled: 1, cancelled: 3 });
    const client = fakeClient({
      ui: {
        status: 'CANCELLED',
        memo: { [REPORT_MEMO_KEY]: summary },
        result: async () => {
          throw new WorkflowFailedError(
            'Workflow execution cancelled',
            new CancelledFailure('cancelled'),
            RetryState.NON_RETRYABLE_FAILURE
          );
        },
      },
    });
    const run = await cli(['fleet-status', 'ui', '--json'], async () => client);
    expect(run.code).toBe(ExitCode.cancelled);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: 'cancelled', counts: { cancelled: 3 } });
  });

  test('fleet MANIFEST: flags override the manifest; without --wait prints the id and how to follow', async () => {
    const log: string[] = [];
    const client = fakeClient({}, log);
    const run = await cli(
      ['fleet', GOOD, '--concurrency', '7', '--per-node', '3', '--rate', '2.5'],
      async () => client
    );
    expect(run.code).toBe(0);
    expect(log).toContain('start enableFleet fleet/unit-fleet on unit-queue');
    expect(log).toContain('input {"c":7,"p":3,"r":2.5}');
    expect(run.stdout).toContain('started fleet unit-fleet: 3 enablement(s) on 2 node(s)');
    expect(run.stdout).toContain('workflow fleet/unit-fleet (run run-1) on task queue unit-queue');
    expect(run.stdout).toContain('kdf-lightning fleet-status unit-fleet');
    expect(run.stdout).toContain('kdf-lightning fleet-cancel unit-fleet --reason TEXT');
  });

  test('fleet MANIFEST --wait --json: one JSON document, the final summary; exit code of the worst outcome', async () => {
    const final = progress(
      {
        fleetId: 'unit-fleet',
        total: 3,
        started: 3,
        failures: [{ node: 'beta', ticker: 'LTC-lightning', outcome: 'failed', type: 'Internal', message: 'boom' }],
      },
      { enabled: 2, failed: 1 }
    );
    const client = fakeClient({ 'unit-fleet': { status: 'RUNNING', progress: final } });
    const run = await cli(['fleet', GOOD, '--wait', '--json'], async () => client);
    expect(run.code).toBe(ExitCode.failed);
    expect(JSON.parse(run.stdout)).toEqual({ workflowId: 'fleet/unit-fleet', status: 'finished', ...final });
    expect(run.stderr).toContain('note: fleet unit-fleet is already running');

    const human = await cli(['fleet', GOOD, '--wait'], async () => client);
    expect(human.code).toBe(ExitCode.failed);
    expect(human.stdout).toMatch(/enabled\s+2 \(already \d+, now \d+, re-enabled \d+\)\ndrifted\s+\d+ .*\nfailed\s+1/);
    expect(human.stdout).toMatch(
      /NODE\s+TICKER\s+OUTCOME\s+TYPE\s+MESSAGE\nbeta\s+LTC-lightning\s+failed\s+Internal\s+boom/
    );
  });

  test('fleet-cancel: signals cancelFleet with reason and $USER, waits, exits 3', async () => {
    const log: string[] = [];
    const final = progress({ fleetId: 'live', started: 2, cancel: CANCEL }, { enabled: 0, cancelled: 2 });
    const client = fakeClient({ live: { status: 'RUNNING', progress: final } }, log);
    const run = await cli(['fleet-cancel', 'live', '--reason', 'bad release', '--json'], async () => client);
    expect(log).toContain('signal fleet/live cancelFleet ["bad release","tester"]');
    expect(run.code).toBe(ExitCode.cancelled);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: 'cancelled', counts: { cancelled: 2 } });
    const noWait = await cli(['fleet-cancel', 'live', '--reason', 'r', '--by', 'ops', '--no-wait'], async () => client);
    expect(noWait.code).toBe(0);
    expect(noWait.stdout).toContain('cancellation requested for fleet live');
  });
});

test('a dry run larger than one workflow can answer is refused before anything starts, naming the limit', async () => {
  const untouched = new Proxy(
    {},
    {
      get: () => {
        throw new Error('the client was used');
      },
    }
  ) as Client;
  const tickers = (count: number) => Array.from({ length: count }, (_, i) => ({ ticker: `ln-${i}` }));
  const fleet = (nodes: number, perNode: number): FleetInput => ({
    fleetId: 'big',
    defaults: { tickers: tickers(perNode), activationParams: {} },
    nodes: Array.from({ length: nodes }, (_, i) => ({ node: `n${i}` })),
  });
  await expect(dryRunFleet(untouched, fleet(100, MAX_DRY_RUN_PAIRS / 100 + 1))).rejects.toMatchObject({
    name: 'InputError',
    field: '--dry-run',
    message: expect.stringContaining(`this manifest: ${MAX_DRY_RUN_PAIRS + 100} pairs on 100 nodes`),
  });
  await expect(dryRunFleet(untouched, fleet(MAX_DRY_RUN_NODES + 1, 1))).rejects.toMatchObject({ field: '--dry-run' });
});
