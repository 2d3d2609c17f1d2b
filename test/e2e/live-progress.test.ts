// `status` and `watch` through a real Temporal server: mid-activation the workflow itself only knows that it is
// activating (its poll reports when the task ends), so every KDF phase shown before that comes from the pending
// pollTask's heartbeat, read by describe and decoded from the server's real payloads. The merge rules themselves
// are unit-tested in test/client/live-progress.test.ts.
import { LIGHTNING_PHASES } from '../../simulator/index.js';
import type { EnablementProgress } from '../../workflows/api.js';
import { cliRun } from '../helpers/cli.js';
import type { Proc } from './helpers.js';
import {
  cli,
  cliProcess,
  eventually,
  json,
  startSimulatorProcess,
  startWorkerProcess,
  uniqueId,
  writeNodesFile,
} from './helpers.js';

const TASK_QUEUE = uniqueId('e2e-live');
const NODE = uniqueId('live-node');
const env = { KDF_TASK_QUEUE: TASK_QUEUE };
/** For the CLI run in this process (fast enough to probe mid-phase); `env` is for spawned ones. */
const realEnv = { ...process.env, KDF_TASK_QUEUE: TASK_QUEUE };
/**
 * Eight phases of this long: polls (1 s, then 1.5× longer each) see six of them, the whole activation ~24 s, so the
 * activity's first 10 s follow heartbeat (the live view's source) comes with several phases and well before the end.
 */
const PHASE_MS = 3_000;
let sim: Proc;
let worker: Proc;

beforeAll(async () => {
  const started = await startSimulatorProcess({ phaseMs: PHASE_MS });
  sim = started.proc;
  worker = await startWorkerProcess({
    KDF_TASK_QUEUE: TASK_QUEUE,
    KDF_NODES_FILE: writeNodesFile({ [NODE]: started.url }),
  });
}, 120_000);

afterAll(async () => {
  await worker?.stop('SIGTERM');
  await sim?.stop('SIGTERM');
}, 60_000);

const args = ['--node', NODE, '--ticker', 'tBTC-lightning'];

test('status mid-activation shows the KDF phases from the poll heartbeat; watch prints each once, then the outcome', async () => {
  expect((await cli(['enable', ...args], env)).code).toBe(0);
  const watch = cliProcess(['watch', ...args], env);
  let last = '';
  const seen = await eventually(
    async () => {
      const run = await cliRun(['status', ...args, '--json'], { env: realEnv, connect: 'real' });
      last = run.stdout + run.stderr;
      if (run.code !== 0) return undefined;
      const progress = json<EnablementProgress & { status: string }>(run);
      // two KDF phases or more while running: the heartbeat carried phases the workflow has not been told about
      return progress.status === 'running' && progress.phases.length >= 2 ? progress : undefined;
    },
    30_000,
    'a running enablement with KDF phases'
  ).catch((error: unknown) => {
    throw new Error(`${String(error)}; last status:\n${last}`);
  });
  expect(LIGHTNING_PHASES).toContain(seen.phase);
  // in KDF's order; a phase that began and ended between two polls is not listed
  const listed = seen.phases.map((record) => record.phase);
  expect(listed).toEqual(LIGHTNING_PHASES.filter((phase) => listed.includes(phase)));
  expect(seen.pollCount).toBeGreaterThan(0);
  const human = await cliRun(['status', ...args], { env: realEnv, connect: 'real' });
  expect(human.stdout).toMatch(/phase\s+\S+ \(\d\/8\)/);

  expect((await watch.exited).code).toBe(0);
  const live = /^\d\d:\d\d:\d\d {2}tBTC-lightning {2}(.*)$/;
  const lines = watch.stdout.split('\n').flatMap((line) => live.exec(line)?.[1] ?? []);
  const phases = lines.flatMap((line) => /^(\w+) \(\d\/8\)$/.exec(line)?.[1] ?? []);
  // live phases, in KDF's order, none printed twice; polls at 1 s growing by 1.5× see several of the 3 s phases
  expect(phases.length).toBeGreaterThanOrEqual(3);
  expect(new Set(phases).size).toBe(phases.length);
  expect(phases).toEqual(LIGHTNING_PHASES.filter((phase) => phases.includes(phase)));
  expect(lines.at(-1)).toMatch(/^enabled {2}address \S+/);
  const result = await cli(['result', ...args, '--json'], env);
  expect(json<{ outcome: string }>(result).outcome).toBe('enabled');
}, 120_000);
