// Two worker replicas on one task queue against the cluster (PostgreSQL persistence, SQL visibility): enablement,
// deadline, cancel and a fleet go through either replica; one replica SIGKILLed mid-fleet while the other goes on.
import type { EnablementReport } from '../../workflows/api.js';
import { cli, eventually, json, type Proc } from '../e2e/helpers.js';
import { FleetRig, HANGING_TICKER } from './rig.js';

type ReportEntry = EnablementReport & { workflowId: string };
const TICKERS = ['tBTC-lightning-a', 'tBTC-lightning-b'];
const rigs: FleetRig[] = [];

afterAll(async () => {
  await Promise.all(rigs.map((rig) => rig.stop()));
}, 60_000);

const startRig = async (nodes: number, phaseMs: number) => {
  const rig = await FleetRig.start({ nodes, tickers: TICKERS, phaseMs, workers: 2 });
  rigs.push(rig);
  return rig;
};

test('enable, deadline and cancel through two replicas', async () => {
  const rig = await startRig(1, 200);
  const [node] = [...rig.nodes.keys()] as [string];
  const sim = rig.nodes.get(node);

  const enabled = await cli(['enable', '--node', node, '--ticker', TICKERS[0] as string, '--wait', '--json'], rig.env);
  expect(enabled.code).toBe(0);
  expect(json<ReportEntry[]>(enabled)[0]).toMatchObject({ outcome: 'enabled', alreadyEnabled: false });

  const deadline = await cli(
    ['enable', '--node', node, '--ticker', HANGING_TICKER, '--timeout', '3s', '--wait', '--json'],
    rig.env
  );
  expect(deadline.code).toBe(4);
  expect(json<ReportEntry[]>(deadline)[0]).toMatchObject({
    outcome: 'timed_out',
    error: { type: 'EnablementTimedOut' },
  });

  expect((await cli(['enable', '--node', node, '--ticker', HANGING_TICKER], rig.env)).code).toBe(0);
  await eventually(
    async () => {
      const run = await cli(['status', '--node', node, '--ticker', HANGING_TICKER, '--json'], rig.env);
      return run.code === 0 && (JSON.parse(run.stdout) as { phase: string }).phase === 'ActivatingCoin'
        ? true
        : undefined;
    },
    30_000,
    'the hanging activation in ActivatingCoin'
  );
  const cancelledBefore = sim?.stats().cancelledTasks ?? 0;
  const cancel = await cli(
    ['cancel', '--node', node, '--ticker', HANGING_TICKER, '--reason', 'cluster', '--json'],
    rig.env
  );
  expect(cancel.code).toBe(3);
  expect(json<ReportEntry>(cancel)).toMatchObject({ outcome: 'cancelled', cancel: { reason: 'cluster' } });
  expect((sim?.stats().cancelledTasks ?? 0) - cancelledBefore).toBe(1);
  expect(sim?.stats().okTasksByTicker).toEqual({ [TICKERS[0] as string]: 1 });
}, 180_000);

test('a replica SIGKILLed mid-fleet, the other finishes it: 0 lost, 0 stuck, 0 duplicate activations', async () => {
  // 3 nodes × 2 tickers, 8 phases of 1.5 s: every member is mid-activation when the replica dies
  const rig = await startRig(3, 1_500);
  const fleet = await rig.startFleet();
  // the replica to kill must hold work: wait until both have run activities, else kill the one that has
  const holder = await eventually<Proc>(
    async () => {
      const busy = rig.workers.filter((worker) => FleetRig.ranActivities(worker));
      return busy.length === rig.workers.length ? busy[0] : undefined;
    },
    15_000,
    'both replicas running activities'
  ).catch(() => rig.workers.find((worker) => FleetRig.ranActivities(worker)) as Proc);
  expect(holder).toBeDefined();
  const survivor = rig.workers.find((worker) => worker !== holder) as Proc;
  await holder.stop('SIGKILL');

  const began = Date.now();
  await rig.expectConverged(fleet, 150_000);
  expect(survivor.running).toBe(true);
  expect(FleetRig.ranActivities(survivor)).toBe(true);
  process.stderr.write(`[cluster] fleet finished ${((Date.now() - began) / 1000).toFixed(1)} s after the SIGKILL\n`);
}, 240_000);
