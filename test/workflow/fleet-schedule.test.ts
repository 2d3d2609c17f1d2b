// `fleet MANIFEST --every`: a Temporal Schedule keeps the fleet converged. Real Temporal server, a simulated KDF node
// restarted through `POST /__sim/restart`, the CLI in-process.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ExitCode } from '../../client/exit-codes.js';
import type { FleetScheduleStatus } from '../../client/fleet-schedule.js';
import { ADMIN_HEADERS, type Scenario } from '../../simulator/index.js';
import { cliRun } from '../helpers/cli.js';
import { EnablementStack, eventually } from '../helpers/enablement-stack.js';

const EVERY_MS = 3_000;
const scenario: Scenario = {
  coins: [
    { ticker: 'tBTC-segwit', protocol: 'UTXO', enabled: true },
    {
      ticker: 'ln-a',
      protocol: 'LIGHTNING',
      platform: 'tBTC-segwit',
      activation: { phaseMs: 20, registerBeforeOkMs: 0 },
    },
  ],
};

let stack: EnablementStack;

beforeAll(async () => {
  stack = await EnablementStack.start();
});

afterAll(async () => {
  await stack?.teardown();
});

const cli = (...argv: string[]) =>
  cliRun(argv, {
    connect: 'real',
    env: { TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS, KDF_TASK_QUEUE: stack.taskQueue, USER: 'tester' },
  });

const status = async (fleetId: string): Promise<FleetScheduleStatus> => {
  const run = await cli('fleet-status', fleetId, '--json');
  return JSON.parse(run.stdout) as FleetScheduleStatus;
};

test('a scheduled fleet re-enables a pair within one interval of its node restarting; pause, resume, delete', async () => {
  const { id: node, simulator } = await stack.addNode({ scenario });
  const fleetId = `sched-${randomUUID().slice(0, 8)}`;
  const manifest = path.join(mkdtempSync(path.join(tmpdir(), 'kdf-schedule-')), 'fleet.yaml');
  writeFileSync(
    manifest,
    JSON.stringify({
      fleet: fleetId,
      defaults: { tickers: ['ln-a'], poll: { initialIntervalMs: 100, maxIntervalMs: 300 } },
      nodes: { [node]: {} },
    })
  );

  const created = await cli('fleet', manifest, '--every', `${EVERY_MS / 1000}s`, '--json');
  expect(created.code).toBe(0);
  expect(JSON.parse(created.stdout)).toMatchObject({ scheduleId: `fleet/${fleetId}`, updated: false, fleetId });
  const enabledNow = () => simulator.stats().okTasksByTicker['ln-a'] ?? 0;
  // the first run has ended (a restart during it would be healed by that run itself)
  await eventually(
    () => status(fleetId),
    ({ recentRuns }) => recentRuns.some((run) => run.summary?.counts.enabledNow === 1),
    30_000
  );
  expect(enabledNow()).toBe(1);

  const restartedAt = Date.now();
  const restart = await fetch(new URL('__sim/restart', simulator.url), { method: 'POST', headers: ADMIN_HEADERS });
  expect(restart.status).toBe(200);
  expect(simulator.stats()).toMatchObject({ restarts: 1, okTasksByTicker: {} });
  await eventually(enabledNow, (ok) => ok === 1, 30_000); // the restart zeroed the count: a new activation
  const healedMs = Date.now() - restartedAt;
  // the next run starts within one interval; the activation itself takes a few hundred ms
  expect(healedMs).toBeLessThan(EVERY_MS + 2_000);
  console.info(`pair re-enabled ${healedMs} ms after its node restarted (interval ${EVERY_MS} ms)`);

  // fleet-status shows the schedule and its last runs; the run after the restart says one pair drifted
  const healed = await eventually(
    () => status(fleetId),
    ({ recentRuns }) => recentRuns.some((run) => run.summary?.counts.drifted === 1),
    20_000
  );
  expect(healed).toMatchObject({ scheduleId: `fleet/${fleetId}`, paused: false, everyMs: EVERY_MS, overlap: 'SKIP' });
  const driftRun = healed.recentRuns.find((run) => run.summary?.counts.drifted === 1);
  expect(driftRun?.summary?.counts).toMatchObject({ enabled: 1, reEnabled: 1, drifted: 1, alreadyEnabled: 0 });
  const human = await cli('fleet-status', fleetId);
  expect(human.code).toBe(0);
  expect(human.stdout).toMatch(new RegExp(`schedule\\s+fleet/${fleetId}: every 3s, overlap SKIP`));
  expect(human.stdout).toMatch(/SCHEDULED\s+STATUS\s+ENABLED\s+ALREADY\s+ENABLED NOW\s+DRIFTED/);

  const paused = await cli('fleet-schedule', 'pause', fleetId, '--note', 'node maintenance', '--json');
  expect(paused.code).toBe(0);
  expect(JSON.parse(paused.stdout)).toMatchObject({ paused: true, note: 'node maintenance' });
  const runsWhenPaused = (await status(fleetId)).recentRuns.length;
  const lastWhenPaused = (await status(fleetId)).recentRuns[0]?.scheduledAt;
  await new Promise((resolve) => setTimeout(resolve, 2 * EVERY_MS));
  const stillPaused = await status(fleetId);
  expect(stillPaused.paused).toBe(true);
  expect(stillPaused.recentRuns[0]?.scheduledAt).toBe(lastWhenPaused);
  expect(stillPaused.recentRuns.length).toBe(runsWhenPaused);

  const resumed = await cli('fleet-schedule', 'resume', fleetId, '--json');
  expect(JSON.parse(resumed.stdout)).toMatchObject({ paused: false });
  await eventually(
    () => status(fleetId),
    ({ recentRuns }) => recentRuns[0]?.scheduledAt !== lastWhenPaused,
    3 * EVERY_MS
  );

  const updated = await cli('fleet', manifest, '--every', '1m', '--json');
  expect(JSON.parse(updated.stdout)).toMatchObject({ updated: true, everyMs: 60_000 });
  expect((await status(fleetId)).everyMs).toBe(60_000);

  const deleted = await cli('fleet-schedule', 'delete', fleetId, '--json');
  expect(JSON.parse(deleted.stdout)).toEqual({ scheduleId: `fleet/${fleetId}`, deleted: true });
  const gone = await cli('fleet-schedule', 'show', fleetId);
  expect(gone.code).toBe(ExitCode.notFound);
  expect(gone.stderr).toContain(`fleet ${fleetId} has no schedule`);
}, 180_000);
