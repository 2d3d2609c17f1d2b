// Finding a secret in what a test can read back: payloads in histories are bytes (base64 once serialized), so a
// plain search of JSON.stringify(history) cannot see a secret inside an input, result, heartbeat or failure detail.

/** The secret as it could appear: plain, JSON-escaped, base64 at each byte alignment, hex. */
export function secretNeedles(secret: string): string[] {
  const bytes = Buffer.from(secret);
  const base64 = [0, 1, 2].map((offset) => {
    const encoded = bytes.subarray(offset).toString('base64');
    // drop the last, padding-affected characters: what remains appears in any encoding of a longer text
    return encoded.slice(0, encoded.length - 4);
  });
  return [secret, JSON.stringify(secret).slice(1, -1), ...base64, bytes.toString('hex')];
}

/** The forms of `secret` that occur in `text`; empty when none does. */
export const secretFindings = (text: string, secret: string): string[] =>
  secretNeedles(secret).filter((needle) => text.includes(needle));

/** JSON of a history with every bytes field (payload data, metadata) also decoded as UTF-8 text. */
export function historyText(history: unknown): string {
  const decoded: string[] = [];
  const walk = (value: unknown): void => {
    if (value instanceof Uint8Array) {
      decoded.push(Buffer.from(value).toString('utf8'));
      return;
    }
    if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') Object.values(value).forEach(walk);
  };
  walk(history);
  return `${JSON.stringify(history)}\n${decoded.join('\n')}`;
}
