/**
 * `npm run bench -- [options]`: parsing and validation of the command line.
 *
 * @module
 */
import { parseArgs } from 'node:util';
import { TEMPORAL_PATHS, type TemporalPath } from './temporal-paths.js';

export const USAGE = `Usage: npm run bench -- [options]

Runs the same workload against simulated KDF nodes: (a) a plain Node script (init + poll with backoff,
Promise.all, no Temporal), (b) kdf-lightning (fleet workflow through a worker process), and with --push (c) the same
as (b) with the nodes' event stream followed by the worker. Prints a table, writes JSON.

  --enablements N        enablements in the workload (default 1000)
  --nodes M              simulated KDF nodes they are spread over (default 50)
  --phase-ms D[,D2...]   duration of each of the 8 activation phases in ms (default 1000); with several values the
                         workload runs once per value and events per enablement are compared across them
  --path fleet|direct    kdf-lightning side: one fleet workflow (default), or one start per enablement
  --worker-cache N       the kdf-lightning worker's sticky cache, KDF_MAX_CACHED_WORKFLOWS (default 2000: up to
                         2,000 enablements in flight stay cached; 0: none); a smaller one trades replays for memory
                         (bench/README.md). The floors' workers keep a slot for each of their workflows
  --json FILE            where the JSON goes (default bench/results/bench.json, with --cluster
                         bench/results/bench-cluster.json)
  --chart                also run N = 100, 500, 1000 and draw bench/results/chart.svg and .png (makespan, p95 latency)
  --push                 also run side (c), "kdf-lightning + push": nodes with KDF's event stream on and
                         \`eventStream: true\` in the worker's nodes file; its own column, targets and pushRatio
  --floor                also time N trivial workflows (one no-op activity each) on the same Temporal server: the
                         least makespan any workflow-per-enablement design reaches there (floor.ratio); the same
                         as a fleet's children (floor.fleet), and how soon N reach their activity (floor.starts)
  --cluster              run it all twice, on a dev server and then on the stack of \`npm run cluster\` (the
                         Temporal server on PostgreSQL, SQL visibility), and report both side by side
                         (throughput, p95, the Temporal server's and PostgreSQL's CPU); builds the cluster's
                         binaries on first use (Go, minutes)
  --temporal-address A   use this Temporal server (or TEMPORAL_ADDRESS) instead of starting a dev server
  --help                 this text
`;

export interface BenchOptions {
  enablements: number;
  nodes: number;
  phaseMs: number[];
  path: TemporalPath;
  /** `--worker-cache`: the worker's KDF_MAX_CACHED_WORKFLOWS instead of the tuning's. */
  workerCache: number | undefined;
  json: string;
  chart: boolean;
  /** Side (c): kdf-lightning with the nodes' event stream. */
  push: boolean;
  /** N trivial workflows on the same server: what Temporal itself allows. */
  floor: boolean;
  /** Run on a dev server and on an `npm run cluster` stack, side by side (runBench: the cluster alone). */
  cluster: boolean;
  temporalAddress: string | undefined;
}

/** Thrown for a bad command line; the message names the option. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** `undefined` when `--help` was asked for. */
export function parseOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): BenchOptions | undefined {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        enablements: { type: 'string', default: '1000' },
        nodes: { type: 'string', default: '50' },
        'phase-ms': { type: 'string', default: '1000' },
        path: { type: 'string', default: 'fleet' },
        'worker-cache': { type: 'string' },
        json: { type: 'string' },
        chart: { type: 'boolean', default: false },
        push: { type: 'boolean', default: false },
        floor: { type: 'boolean', default: false },
        cluster: { type: 'boolean', default: false },
        'temporal-address': { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return undefined;
  const path = values.path as TemporalPath;
  if (!TEMPORAL_PATHS.includes(path)) throw new UsageError(`--path: must be one of ${TEMPORAL_PATHS.join(', ')}`);
  const options: BenchOptions = {
    enablements: positiveInteger(values.enablements, '--enablements'),
    nodes: positiveInteger(values.nodes, '--nodes'),
    phaseMs: values['phase-ms'].split(',').map((value) => positiveInteger(value.trim(), '--phase-ms')),
    path,
    workerCache:
      values['worker-cache'] === undefined ? undefined : integer(values['worker-cache'], '--worker-cache', 0),
    json: values.json ?? (values.cluster ? 'bench/results/bench-cluster.json' : 'bench/results/bench.json'),
    chart: values.chart,
    push: values.push,
    floor: values.floor,
    cluster: values.cluster,
    temporalAddress: values.cluster
      ? undefined
      : (values['temporal-address'] ?? (env.TEMPORAL_ADDRESS?.trim() || undefined)),
  };
  if (values.cluster && values['temporal-address'] !== undefined) {
    throw new UsageError('--cluster: starts its own server, so it does not go with --temporal-address');
  }
  if (values.cluster && values.chart) {
    throw new UsageError('--chart: the chart plots one server, so it does not go with --cluster');
  }
  if (options.nodes > options.enablements) throw new UsageError('--nodes: must not exceed --enablements');
  return options;
}

const positiveInteger = (value: string, option: string): number => integer(value, option, 1);

function integer(value: string, option: string, least: number): number {
  const number = Number(value);
  if (!/^\d+$/.test(value) || number < least) {
    throw new UsageError(`${option}: "${value}" must be ${least === 1 ? 'a positive' : 'a non-negative'} integer`);
  }
  return number;
}
