import { spawnSync } from 'node:child_process';

/** Lints `code` as if it were a file under workflows/, in a real ESLint process with the project config. */
function lintAsWorkflow(code: string): string[] {
  const run = spawnSync(
    process.execPath,
    [
      'node_modules/eslint/bin/eslint.js',
      '--stdin',
      '--stdin-filename',
      'workflows/lint-fixture.ts',
      '--format',
      'json',
    ],
    { input: code, encoding: 'utf8' }
  );
  const [result] = JSON.parse(run.stdout) as { messages: { ruleId: string | null }[] }[];
  return (result?.messages ?? []).map((message) => message.ruleId ?? 'parse-error');
}

test.each([
  ["import got from 'got';\nexport const client = got;\n"],
  ["import { z } from 'zod';\nexport const schema = z.string();\n"],
  ["import { readFileSync } from 'node:fs';\nexport const read = readFileSync;\n"],
  ["import { createActivities } from '../activities/index.js';\nexport const make = createActivities;\n"],
])('the workflow fence rejects a value import: %s', (code) => {
  expect(lintAsWorkflow(code)).toContain('@typescript-eslint/no-restricted-imports');
});

test('the workflow fence allows @temporalio/workflow and type imports of activities', () => {
  const code = [
    "import { sleep } from '@temporalio/workflow';",
    "import type { createActivities } from '../activities/index.js';",
    'export type Activities = ReturnType<typeof createActivities>;',
    'export const pause = async (): Promise<void> => sleep(1);',
    '',
  ].join('\n');
  expect(lintAsWorkflow(code)).toEqual([]);
});

test('a floating promise is a lint error', () => {
  expect(lintAsWorkflow('export async function f(): Promise<void> {}\nf();\n')).toContain(
    '@typescript-eslint/no-floating-promises'
  );
});
