// Operator-facing durations (`90s`, `15m`, `1h30m`, `500ms`), parsed strictly: a unit is required.

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
type Unit = keyof typeof UNIT_MS;

/** Thrown when a duration string does not parse; the message says what was expected. */
export class DurationError extends Error {
  override name = 'DurationError';
}

const WHOLE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;

/**
 * Parses a duration like `90s`, `15m`, `1h`, `1h30m`, `250ms` or `1.5h` into whole milliseconds.
 * Units: ms, s, m, h, d; each may appear once, largest first. Bare numbers are rejected (ambiguous).
 * @throws {DurationError} when the text is not a positive, finite duration
 */
export function parseDuration(text: string): number {
  const trimmed = text.trim().toLowerCase();
  if (!WHOLE.test(trimmed)) {
    throw new DurationError(`"${text}" is not a duration (expected e.g. 90s, 15m, 1h, 1h30m, 500ms)`);
  }
  let total = 0;
  let previous = Infinity;
  for (const match of trimmed.matchAll(PART)) {
    const unit = match[2] as Unit;
    const size = UNIT_MS[unit];
    if (size >= previous) throw new DurationError(`"${text}": units must appear once each, largest first`);
    previous = size;
    total += Number(match[1]) * size;
  }
  const ms = Math.round(total);
  if (!Number.isFinite(ms) || !Number.isSafeInteger(ms)) throw new DurationError(`"${text}" is too long`);
  if (ms <= 0) throw new DurationError(`"${text}" must be longer than zero`);
  return ms;
}

/** `90000` → `1m30s`; the inverse of {@link parseDuration} for whole seconds and above. */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  let rest = Math.round(ms / 1_000);
  const parts: string[] = [];
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.join('');
}
