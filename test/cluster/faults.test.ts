// Faults only a cluster has, each in the middle of a fleet run by two worker replicas: the Temporal server restarted
// (SIGTERM) and killed (SIGKILL), PostgreSQL restarted after a fast and after an immediate (crash-like) shutdown.
// This file runs its own cluster, so the restarts touch no other suite. Every fault must end with 0 lost (every
// member enabled), 0 stuck (the fleet finishes, nothing left running) and 0 duplicate activations (one Ok task per
// ticker per simulated KDF node).
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startCluster, type RunningCluster } from '../../scripts/cluster.mjs';
import { trackPid } from '../helpers/processes.js';
import { FleetRig } from './rig.js';

const TICKERS = ['tBTC-lightning-a', 'tBTC-lightning-b'];
let cluster: RunningCluster;
let rig: FleetRig;

beforeAll(async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'kdf-cluster-faults-'));
  chmodSync(dataDir, 0o755); // PostgreSQL runs as its own user
  cluster = await startCluster({ dataDir, ui: false });
  cluster.pids().forEach(trackPid);
  rig = await FleetRig.start({
    nodes: 3,
    tickers: TICKERS,
    phaseMs: 1_500,
    workers: 2,
    temporalAddress: cluster.address,
  });
}, 240_000);

afterAll(async () => {
  await rig?.stop();
  await cluster?.stop();
}, 120_000);

/** A fleet of 6 members through `fault`, started once the members are a few phases in. */
async function fleetThrough(fault: () => Promise<void>) {
  rig.restartNodes();
  const fleet = await rig.startFleet();
  await sleep(4_000);
  await fault();
  cluster.pids().forEach(trackPid);
  await rig.expectConverged(fleet, 180_000);
  for (const worker of rig.workers) expect(worker.running).toBe(true);
}

test('the Temporal server restarted mid-fleet', async () => {
  const before = cluster.temporal.pid();
  await fleetThrough(() => cluster.temporal.restart());
  expect(cluster.temporal.pid()).not.toBe(before);
}, 300_000);

test('the Temporal server killed (SIGKILL) mid-fleet and started again', async () => {
  await fleetThrough(() => cluster.temporal.restart('SIGKILL'));
}, 300_000);

test('PostgreSQL down for 5 s after a fast shutdown, mid-fleet', async () => {
  await fleetThrough(() => cluster.postgres.restart('fast', 5_000));
}, 300_000);

test('PostgreSQL down for 5 s after an immediate shutdown (crash recovery), mid-fleet', async () => {
  await fleetThrough(() => cluster.postgres.restart('immediate', 5_000));
}, 300_000);
