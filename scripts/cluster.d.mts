// Types of scripts/cluster.mjs (plain JavaScript: it runs before `npm install`).
export type ShutdownMode = 'smart' | 'fast' | 'immediate';

export interface RunningCluster {
  /** `127.0.0.1:PORT` of the frontend */
  address: string;
  uiUrl: string | undefined;
  postgres: {
    host: string;
    port: number;
    pid(): number;
    stop(mode?: ShutdownMode): Promise<void>;
    /** Stops with `mode` (smart, fast or immediate shutdown), starts again on the same port after `downMs`. */
    restart(mode: ShutdownMode, downMs?: number): Promise<void>;
  };
  temporal: {
    address: string;
    metricsUrl: string;
    pid(): number;
    /** Stops the server (SIGTERM: graceful; SIGKILL: a crash), starts it again; resolves when it is healthy. */
    restart(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  };
  workers: { name: string; pid: number; metricsUrl: string; logFile: string }[];
  logs: string;
  /** PIDs of everything running now. */
  pids(): number[];
  stop(): Promise<void>;
}

export function startCluster(options: {
  dataDir: string;
  workers?: number;
  ui?: boolean;
  env?: Record<string, string | undefined>;
  say?: (line: string) => void;
}): Promise<RunningCluster>;
