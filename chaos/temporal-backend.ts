/**
 * The Temporal a chaos run restarts: its own dev server (SQLite file, fixed port), or with `--cluster` its own
 * production-like cluster (scripts/cluster.mjs: the Temporal server on PostgreSQL), where the restarts alternate
 * between the Temporal server and PostgreSQL (immediate shutdown, as on a crash).
 *
 * @module
 */
import { chmodSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startCluster } from '../scripts/cluster.mjs';
import { freePort, startDevServer } from './processes.js';

export interface TemporalBackend {
  address: string;
  /** What it is, for the log. */
  describe(): string;
  /** Stops part of it and starts it again after a pause of `downMs`; returns what it restarted and where. */
  restart(downMs: number): Promise<string>;
  stop(): Promise<void>;
}

export async function startTemporalBackend(
  cluster: boolean,
  dir: string,
  onPid: (pid: number) => void
): Promise<TemporalBackend> {
  return cluster ? clusterBackend(dir, onPid) : devServerBackend(dir, onPid);
}

async function devServerBackend(dir: string, onPid: (pid: number) => void): Promise<TemporalBackend> {
  const port = await freePort();
  const start = () => startDevServer(port, path.join(dir, 'temporal.sqlite'), path.join(dir, 'temporal.log'));
  let server = await start();
  onPid(server.pid);
  return {
    address: server.address,
    describe: () => `dev server on ${server.address} (pid ${server.pid})`,
    restart: async (downMs) => {
      await server.stop();
      await sleep(downMs);
      server = await start();
      onPid(server.pid);
      return `dev server ${server.address}`;
    },
    stop: () => server.stop(),
  };
}

async function clusterBackend(dir: string, onPid: (pid: number) => void): Promise<TemporalBackend> {
  const dataDir = path.join(dir, 'cluster');
  mkdirSync(dataDir);
  chmodSync(dir, 0o755); // PostgreSQL runs as its own user
  const cluster = await startCluster({ dataDir, ui: false });
  cluster.pids().forEach(onPid);
  let restarts = 0;
  return {
    address: cluster.address,
    describe: () =>
      `cluster: Temporal server on ${cluster.address} (pid ${cluster.temporal.pid()}), ` +
      `PostgreSQL on ${cluster.postgres.host}:${cluster.postgres.port} (pid ${cluster.postgres.pid()})`,
    restart: async (downMs) => {
      restarts += 1;
      if (restarts % 2 === 1) {
        await cluster.temporal.restart();
        onPid(cluster.temporal.pid());
        return `Temporal server ${cluster.address}`;
      }
      await cluster.postgres.restart('immediate', downMs);
      onPid(cluster.postgres.pid());
      return `PostgreSQL ${cluster.postgres.host}:${cluster.postgres.port} (immediate shutdown)`;
    },
    stop: () => cluster.stop(),
  };
}
