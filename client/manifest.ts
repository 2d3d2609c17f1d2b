// Fleet manifests (JSON or YAML): which tickers to enable on which nodes, with shared defaults.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type {
  FleetInput,
  FleetMember,
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

/**
 * Validates a parsed manifest and expands it into the fleet workflow's input: one member per (node, ticker).
 * @throws {InputError} naming the bad field, e.g. `nodes.alpha.tickers[1].activationParams.listening_port`
 */
export function fleetInputFromManifest(raw: unknown, overrides: FleetOverrides = {}): FleetInput {
  const parsed = FleetManifest.safeParse(raw);
  if (!parsed.success) throw new InputError(formatIssues(parsed.error), firstIssuePath(parsed.error));
  const manifest = parsed.data;
  const { defaults } = manifest;
  const members: FleetMember[] = [];
  for (const [node, entry] of Object.entries(manifest.nodes)) {
    const tickers = entry?.tickers ?? defaults.tickers;
    if (!tickers)
      throw new InputError(`nodes.${node}.tickers: is required (no defaults.tickers)`, `nodes.${node}.tickers`);
    const ports = new Map<number, string>();
    for (const tickerEntry of tickers) {
      const { ticker } = tickerEntry;
      const own = 'activationParams' in tickerEntry ? tickerEntry.activationParams : undefined;
      const params = { ...entry?.activationParams, ...own };
      const port = params.listening_port ?? defaults.activationParams?.listening_port ?? 9735;
      const clash = ports.get(port);
      if (clash !== undefined) {
        throw new InputError(
          `nodes.${node}.tickers: ${clash} and ${ticker} would both listen on port ${port}; give each ticker its own ` +
            'activationParams.listening_port (KDF fails the second with "Address already in use")',
          `nodes.${node}.tickers`
        );
      }
      ports.set(port, ticker);
      const platformCoin = entry?.platformCoin;
      const timeoutMs = entry?.timeout;
      members.push({
        node,
        ticker,
        ...(Object.keys(params).length > 0 && { activationParams: params }),
        ...(platformCoin !== undefined && { platformCoin }),
        ...(timeoutMs !== undefined && { timeoutMs }),
      });
    }
  }
  const concurrency = overrides.concurrency ?? manifest.concurrency;
  const perNodeConcurrency = overrides.perNodeConcurrency ?? manifest.perNodeConcurrency;
  const startsPerSecond = overrides.startsPerSecond ?? manifest.startsPerSecond;
  return {
    fleetId: manifest.fleet,
    defaults: {
      activationParams: defaults.activationParams ?? {},
      ...(defaults.platformCoin !== undefined && { platformCoin: defaults.platformCoin }),
      ...(defaults.timeout !== undefined && { timeoutMs: defaults.timeout }),
      ...(defaults.poll !== undefined && { poll: defaults.poll }),
    },
    members,
    ...(concurrency !== undefined && { concurrency }),
    ...(perNodeConcurrency !== undefined && { perNodeConcurrency }),
    ...(startsPerSecond !== undefined && { startsPerSecond }),
  };
}

/** Reads a `.json`, `.yaml` or `.yml` manifest file. @throws {InputError} for unreadable or invalid files */
export async function loadFleetManifest(file: string, overrides: FleetOverrides = {}): Promise<FleetInput> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new InputError(`${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? 'error'})`, 'MANIFEST');
  }
  let raw: unknown;
  try {
    raw = path.extname(file).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
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
