// Fleet manifests (JSON or YAML): which tickers to enable on which nodes, with shared defaults.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type {
  FleetInput,
  FleetNode,
  FleetTicker,
  LightningActivationParams as LightningActivationParamsInput,
} from '../workflows/api.js';
import { DurationError, parseDuration } from './duration.js';
import {
  formatIssues,
  firstIssuePath,
  ID_PATTERN,
  InputError,
  LightningActivationParams,
  NodeId,
  PollPolicy,
  Ticker,
} from './schema.js';

/** Some of the activation params; a manifest layer leaves out what an outer one (or the node id) provides. */
const ActivationDefaults = LightningActivationParams.partial().transform(
  (params): Partial<LightningActivationParamsInput> =>
    Object.fromEntries(Object.entries(params).filter(([, value]) => value !== undefined))
);

const Duration = z.string().transform((text, ctx) => {
  try {
    return parseDuration(text);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: error instanceof DurationError ? error.message : String(error) });
    return z.NEVER;
  }
});

/** A ticker, or a ticker with its own activation params (e.g. its own listening port). */
const TickerEntry = z.union([
  Ticker.transform((ticker) => ({ ticker })),
  z.strictObject({ ticker: Ticker, activationParams: ActivationDefaults.exactOptional() }),
]);

const NodeEntry = z.strictObject({
  tickers: z.array(TickerEntry).min(1).exactOptional(),
  platformCoin: Ticker.exactOptional(),
  activationParams: ActivationDefaults.exactOptional(),
  timeout: Duration.exactOptional(),
});

export const FleetManifest = z.strictObject({
  fleet: z.string().regex(ID_PATTERN, 'must be 1-64 letters, digits, ".", "_" or "-"'),
  concurrency: z.int().min(1).max(10_000).exactOptional(),
  perNodeConcurrency: z.int().min(1).max(1_000).exactOptional(),
  startsPerSecond: z.number().positive().max(10_000).exactOptional(),
  defaults: z
    .strictObject({
      tickers: z.array(TickerEntry).min(1).exactOptional(),
      platformCoin: Ticker.exactOptional(),
      activationParams: ActivationDefaults.exactOptional(),
      timeout: Duration.exactOptional(),
      poll: PollPolicy.exactOptional(),
    })
    .default({}),
  nodes: z.record(NodeId, NodeEntry.nullable()).refine((nodes) => Object.keys(nodes).length > 0, 'lists no node'),
});
export type FleetManifest = z.output<typeof FleetManifest>;

/** Overrides given on the command line win over the manifest. */
export interface FleetOverrides {
  concurrency?: number;
  perNodeConcurrency?: number;
  startsPerSecond?: number;
}

/** Pairs one fleet may have: larger rollouts are several fleets (each its own workflow and Schedule). */
export const MAX_FLEET_PAIRS = 100_000;
/** A manifest file's size limit: it travels as the fleet workflow's input (Temporal refuses payloads over 2 MB). */
export const MAX_MANIFEST_BYTES = 1_000_000;

/**
 * Validates a parsed manifest and turns it into the fleet workflow's input: its nodes with their tickers, shared
 * tickers kept once in `defaults.tickers` (so the input grows with the manifest, not with its pairs).
 * @throws {InputError} naming the bad field, e.g. `nodes.alpha.tickers[1].activationParams.listening_port`, or
 *   where a (node, ticker) pair is listed twice
 */
export function fleetInputFromManifest(raw: unknown, overrides: FleetOverrides = {}): FleetInput {
  const parsed = FleetManifest.safeParse(raw);
  if (!parsed.success) throw new InputError(formatIssues(parsed.error), firstIssuePath(parsed.error));
  const manifest = parsed.data;
  const { defaults } = manifest;
  const sharedTickers = defaults.tickers?.map(fleetTicker);
  const nodes: FleetNode[] = [];
  let pairs = 0;
  for (const [node, entry] of Object.entries(manifest.nodes)) {
    const own = entry?.tickers !== undefined;
    const tickers = entry?.tickers !== undefined ? entry.tickers.map(fleetTicker) : sharedTickers;
    const where = own ? `nodes.${node}.tickers` : 'defaults.tickers';
    if (!tickers)
      throw new InputError(`nodes.${node}.tickers: is required (no defaults.tickers)`, `nodes.${node}.tickers`);
    checkNodeTickers(node, tickers, where, { ...defaults.activationParams, ...entry?.activationParams });
    pairs += tickers.length;
    if (pairs > MAX_FLEET_PAIRS) {
      throw new InputError(
        `nodes: more than ${MAX_FLEET_PAIRS} (node, ticker) pairs (reached at node ${node}); split the rollout ` +
          'into several manifests, each its own fleet',
        'nodes'
      );
    }
    nodes.push({
      node,
      ...(own && { tickers }),
      ...(entry?.activationParams !== undefined && { activationParams: entry.activationParams }),
      ...(entry?.platformCoin !== undefined && { platformCoin: entry.platformCoin }),
      ...(entry?.timeout !== undefined && { timeoutMs: entry.timeout }),
    });
  }
  const concurrency = overrides.concurrency ?? manifest.concurrency;
  const perNodeConcurrency = overrides.perNodeConcurrency ?? manifest.perNodeConcurrency;
  const startsPerSecond = overrides.startsPerSecond ?? manifest.startsPerSecond;
  return {
    fleetId: manifest.fleet,
    defaults: {
      ...(sharedTickers !== undefined && { tickers: sharedTickers }),
      activationParams: defaults.activationParams ?? {},
      ...(defaults.platformCoin !== undefined && { platformCoin: defaults.platformCoin }),
      ...(defaults.timeout !== undefined && { timeoutMs: defaults.timeout }),
      ...(defaults.poll !== undefined && { poll: defaults.poll }),
    },
    nodes,
    ...(concurrency !== undefined && { concurrency }),
    ...(perNodeConcurrency !== undefined && { perNodeConcurrency }),
    ...(startsPerSecond !== undefined && { startsPerSecond }),
  };
}

const fleetTicker = (entry: z.output<typeof TickerEntry>): FleetTicker =>
  'activationParams' in entry && entry.activationParams !== undefined
    ? { ticker: entry.ticker, activationParams: entry.activationParams }
    : { ticker: entry.ticker };

/**
 * A node's tickers: each at most once, and each on its own listening port (KDF fails the second ticker on a port
 * with "Address already in use").
 */
function checkNodeTickers(
  node: string,
  tickers: FleetTicker[],
  where: string,
  nodeParams: Partial<LightningActivationParamsInput>
): void {
  const positions = new Map<string, number>();
  const ports = new Map<number, string>();
  for (const [index, { ticker, activationParams }] of tickers.entries()) {
    const first = positions.get(ticker);
    if (first !== undefined) {
      throw new InputError(
        `${where}[${index}]: ${ticker} is listed twice for node ${node} (also at ${where}[${first}]); ` +
          'each (node, ticker) pair may appear once',
        `${where}[${index}]`
      );
    }
    positions.set(ticker, index);
    const port = activationParams?.listening_port ?? nodeParams.listening_port ?? 9735;
    const clash = ports.get(port);
    if (clash !== undefined) {
      throw new InputError(
        `nodes.${node}.tickers: ${clash} and ${ticker} would both listen on port ${port}; give each ticker its own ` +
          'activationParams.listening_port (KDF fails the second with "Address already in use")',
        `nodes.${node}.tickers`
      );
    }
    ports.set(port, ticker);
  }
}

/** Reads a `.json`, `.yaml` or `.yml` manifest file. @throws {InputError} for unreadable or invalid files */
export async function loadFleetManifest(file: string, overrides: FleetOverrides = {}): Promise<FleetInput> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new InputError(`${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? 'error'})`, 'MANIFEST');
  }
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_MANIFEST_BYTES) {
    throw new InputError(
      `${file}: ${bytes} bytes; a manifest may have at most ${MAX_MANIFEST_BYTES} (it is the fleet workflow's ` +
        'input): list shared tickers once in defaults.tickers, or split the rollout into several fleets',
      'MANIFEST'
    );
  }
  let raw: unknown;
  try {
    // JSON too: YAML 1.2 reads JSON, and unlike JSON.parse it refuses a key given twice (a node listed twice)
    raw = parseYaml(text, { uniqueKeys: true });
  } catch (error) {
    throw new InputError(`${file}: not valid ${path.extname(file) || 'YAML'}: ${(error as Error).message}`, 'MANIFEST');
  }
  try {
    return fleetInputFromManifest(raw, overrides);
  } catch (error) {
    if (error instanceof InputError) throw new InputError(`${file}: ${error.message}`, error.field);
    throw error;
  }
}
