// Validation of `EnableLightningInput` before anything is started. zod stays on this side of the workflow fence.
import { z } from 'zod';
import { LightningActivationParams, NODE_NAME_MAX_BYTES } from '../activities/kdf/methods.js';
import { ConfigError } from '../common/config-error.js';
import { expected, int, str } from '../common/zod-messages.js';
import { MAX_CANCEL_TEXT } from '../workflows/api.js';
import type { EnableLightningInput } from '../workflows/api.js';

/** Node ids and tickers end up in workflow ids and visibility queries: keep them to a safe alphabet. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const idMessage = 'must be 1-64 characters of letters, digits, ".", "_" or "-", starting with a letter or digit';

export const NodeId = str().regex(ID_PATTERN, idMessage);
export const Ticker = str().regex(ID_PATTERN, idMessage);

export { LightningActivationParams };

/** Longest enablement deadline we accept. */
export const MAX_TIMEOUT_MS = 7 * 86_400_000;

export const PollPolicy = z
  .strictObject(
    {
      initialIntervalMs: int().min(100).max(3_600_000).exactOptional(),
      maxIntervalMs: int().min(100).max(3_600_000).exactOptional(),
      backoffCoefficient: z
        .number({ error: expected('a number') })
        .min(1)
        .max(10)
        .exactOptional(),
    },
    { error: expected('an object') }
  )
  .refine(
    (poll) =>
      poll.initialIntervalMs === undefined ||
      poll.maxIntervalMs === undefined ||
      poll.maxIntervalMs >= poll.initialIntervalMs,
    { message: 'must not be below initialIntervalMs', path: ['maxIntervalMs'] }
  );

export const EnableLightningInputSchema = z.strictObject(
  {
    node: NodeId,
    ticker: Ticker,
    platformCoin: Ticker.exactOptional(),
    activationParams: LightningActivationParams,
    timeoutMs: int().min(1_000, 'must be at least 1s').max(MAX_TIMEOUT_MS, 'must be at most 7d').exactOptional(),
    poll: PollPolicy.exactOptional(),
  },
  { error: expected('an object') }
);

/** Thrown when user input (workflow input, flags, config) is invalid; `field` names the first bad field. */
export class InputError extends ConfigError {
  override name = 'InputError';
}

/** Checks a cancel's reason and requester; `prefix` is `--` for the CLI's flags. */
export function checkCancelRequest(reason: string, by: string, prefix = ''): void {
  for (const [name, value] of [
    ['reason', reason],
    ['by', by],
  ] as const) {
    const field = `${prefix}${name}`;
    if (!value.trim()) throw new InputError(`${field}: must not be empty`, field);
    if (value.length > MAX_CANCEL_TEXT) {
      throw new InputError(`${field}: must be at most ${MAX_CANCEL_TEXT} characters (got ${value.length})`, field);
    }
  }
}

interface Issue {
  code: string;
  path: readonly PropertyKey[];
  message: string;
  keys?: readonly string[];
}

/** One `(path, message)` per problem; an unknown key is reported under its own name. */
function flatten(error: z.ZodError): { path: readonly PropertyKey[]; message: string }[] {
  return (error.issues as readonly Issue[]).flatMap((issue) =>
    issue.code === 'unrecognized_keys' && issue.keys
      ? issue.keys.map((key) => ({ path: [...issue.path, key], message: 'unknown field' }))
      : [{ path: issue.path, message: issue.message }]
  );
}

/** `a.b[0].c: message; …` for every issue; `prefix` is prepended to each path. */
export function formatIssues(error: z.ZodError, prefix = ''): string {
  return flatten(error)
    .map((issue) => `${issuePath(issue.path, prefix)}: ${issue.message}`)
    .join('; ');
}

/** The path of the first issue, e.g. `activationParams.color`. */
export function firstIssuePath(error: z.ZodError, prefix = ''): string {
  const first = flatten(error)[0];
  return first ? issuePath(first.path, prefix) : prefix || '(input)';
}

export function issuePath(path: readonly PropertyKey[], prefix = ''): string {
  let out = prefix;
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(input)' : out;
}

/**
 * Validates an enablement input.
 * @throws {InputError} naming the bad fields, e.g. `activationParams.color: must be six hex digits…`
 */
export function validateEnableInput(raw: unknown): EnableLightningInput {
  const parsed = EnableLightningInputSchema.safeParse(raw);
  if (!parsed.success) throw new InputError(formatIssues(parsed.error), firstIssuePath(parsed.error));
  return parsed.data;
}

/** `<node>-<ticker>` cut to NODE_NAME_MAX_BYTES UTF-8 bytes without splitting a character: KDF's node alias limit. */
export function defaultNodeName(node: string, ticker: string): string {
  let name = '';
  for (const char of `${node}-${ticker}`) {
    if (Buffer.byteLength(name + char) > NODE_NAME_MAX_BYTES) break;
    name += char;
  }
  return name;
}
