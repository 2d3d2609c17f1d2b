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

/**
 * One line per issue, `VARIABLE: path.to.field: message` (`unknown field` for each unrecognized key; `whole` stands
 * for the path of the document itself). Messages and paths only: an issue's `input` may be a secret.
 */
export function issuesMessage(error: z.ZodError, variable: string, whole: string): string {
  return error.issues
    .flatMap((issue) => {
      const keys = issue.code === 'unrecognized_keys' ? issue.keys : [undefined];
      // a bad record key carries the key's own issue inside
      const message = issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message;
      return keys.map((key) => {
        const where = [...issue.path, ...(key === undefined ? [] : [key])].map(String).join('.') || whole;
        return `${variable}: ${where}: ${key === undefined ? message : 'unknown field'}`;
      });
    })
    .join('\n');
}
