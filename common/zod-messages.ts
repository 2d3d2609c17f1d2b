import { z } from 'zod';

/**
 * A type error message that tells a missing field from a wrong type: "is required" / "must be a string". Other
 * issues of the schema (an unknown key of an object) keep zod's own message.
 */
export const expected =
  (what: string) =>
  (issue: { code?: string; input?: unknown }): string | undefined => {
    if (issue.code !== 'invalid_type') return undefined;
    return issue.input === undefined ? 'is required' : `must be ${what}`;
  };

export const str = () => z.string({ error: expected('a string') });
export const int = () => z.int({ error: expected('an integer') });
