// Waiting in tests: one polling loop with a deadline for every suite.

type Until<T> = (value: T) => boolean;

const isDefined = (value: unknown): boolean => value !== undefined;

/**
 * Reads until `until` holds for the value read (without `until`: until `read` returns something other than
 * undefined); fails after `timeoutMs` (default 20 s) naming `what` and the last value read.
 */
export function eventually<T>(read: () => Promise<T | undefined>, timeoutMs?: number, what?: string): Promise<T>;
export function eventually<T>(
  read: () => Promise<T> | T,
  until: Until<T>,
  timeoutMs?: number,
  what?: string
): Promise<T>;
export async function eventually(read: () => unknown, ...rest: unknown[]): Promise<unknown> {
  const [until, timeoutMs = 20_000, what = 'condition'] =
    typeof rest[0] === 'function'
      ? (rest as [Until<unknown>, number?, string?])
      : ([isDefined, ...rest] as [Until<unknown>, number?, string?]);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (until(value)) return value;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last value: ${JSON.stringify(value)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
