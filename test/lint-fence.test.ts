import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The project's ESLint config, as `npx eslint` loads it; one instance (and one TypeScript project) for the file. */
const eslint = new ESLint({ cwd: ROOT });

/** Rule ids ESLint reports for `code` linted as if it were a file under workflows/. */
async function lintAsWorkflow(code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, 'workflows', 'lint-fixture.ts') });
  return (result?.messages ?? []).map((message) => message.ruleId ?? 'parse-error');
}

test.each([
  ["import got from 'got';\nexport const client = got;\n"],
  ["import { z } from 'zod';\nexport const schema = z.string();\n"],
  ["import { readFileSync } from 'node:fs';\nexport const read = readFileSync;\n"],
  ["import { createActivities } from '../activities/index.js';\nexport const make = createActivities;\n"],
])('the workflow fence rejects a value import: %s', async (code) => {
  expect(await lintAsWorkflow(code)).toContain('@typescript-eslint/no-restricted-imports');
});

test('the workflow fence allows @temporalio/workflow and type imports of activities', async () => {
  const code = [
    "import { sleep } from '@temporalio/workflow';",
    "import type { createActivities } from '../activities/index.js';",
    'export type Activities = ReturnType<typeof createActivities>;',
    'export const pause = async (): Promise<void> => sleep(1);',
    '',
  ].join('\n');
  expect(await lintAsWorkflow(code)).toEqual([]);
});

test('a floating promise is a lint error', async () => {
  expect(await lintAsWorkflow('export async function f(): Promise<void> {}\nf();\n')).toContain(
    '@typescript-eslint/no-floating-promises'
  );
});

test.each([
  ['let calls = 0;\nexport const count = (): number => ++calls;\n'],
  ['export let last = 0;\n'],
  ['const seen = new Map<string, number>();\nexport const see = (id: string): void => void seen.set(id, 1);\n'],
  ['export const ids = new Set<string>();\n'],
  ['const byId = new Map() as Map<string, number>;\nexport const size = (): number => byId.size;\n'],
  ['const pending: string[] = [];\nexport const note = (id: string): number => pending.push(id);\n'],
  ['const cache: Record<string, number> = {};\nexport const get = (id: string): number | undefined => cache[id];\n'],
  ['export class Counter {\n  static count = 0;\n}\n'],
])('workflow modules keep no module-level state (they are shared, preloadModules): %s', async (code) => {
  expect(await lintAsWorkflow(code)).toContain('no-restricted-syntax');
});

test('state inside a workflow function is not module-level', async () => {
  const code = [
    'export async function run(): Promise<number> {',
    '  let calls = 0;',
    '  const seen = new Map<string, number>();',
    "  seen.set('a', ++calls);",
    '  return seen.size;',
    '}',
    '',
  ].join('\n');
  expect(await lintAsWorkflow(code)).toEqual([]);
});
