import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { importX } from 'eslint-plugin-import-x';
import prettier from 'eslint-config-prettier';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

/** Node builtins, HTTP/validation libraries and activity implementations stay out of the workflow sandbox. */
const workflowFence = {
  patterns: [
    { group: ['node:*'], message: 'Workflow code is deterministic: no Node builtins.' },
    {
      group: ['got', 'zod', 'zod/*'],
      message: 'got and zod stay out of the workflow bundle (validate in activities).',
    },
    {
      group: ['../activities', '../activities/*', '../activities/**'],
      allowTypeImports: true,
      message: 'Workflows may only `import type` from activities.',
    },
    { group: ['../worker/*', '../client/*', '../simulator/*'], message: 'Workflows import only @temporalio/workflow.' },
  ],
  paths: ['fs', 'path', 'http', 'https', 'crypto', 'os', 'child_process', 'process', 'net', 'events'].map((name) => ({
    name,
    message: 'Workflow code is deterministic: no Node builtins.',
  })),
};

/**
 * The workflow modules are evaluated once and shared by every workflow of a worker (`preloadModules`,
 * worker/create-worker.ts): module-level state would leak from one workflow into another. The SDK freezes the
 * shared objects, but neither a top-level `let` nor the contents of a Map or Set.
 */
const sharedModuleState = ['Program', 'Program > ExportNamedDeclaration'].flatMap((parent) => [
  {
    selector: `${parent} > VariableDeclaration[kind!="const"]`,
    message: 'Workflow modules are shared by every workflow (preloadModules): no module-level let or var.',
  },
  {
    selector: `${parent} > VariableDeclaration > VariableDeclarator > NewExpression[callee.name=/^(Map|Set|WeakMap|WeakSet)$/]`,
    message: 'Workflow modules are shared by every workflow (preloadModules): no module-level Map or Set.',
  },
]);

export default tseslint.config(
  { ignores: ['node_modules', 'dist', '.tools', '.data', 'coverage', '.test-results'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['workflows/lint-fixture.ts'] } },
    },
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver-next': [createTypeScriptImportResolver()] },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'import-x/no-cycle': 'error',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      'object-shorthand': 'error',
      'no-console': 'off',
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', workflowFence],
      'no-restricted-syntax': ['error', ...sharedModuleState],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', globalThis: 'readonly' } },
  },
  prettier
);
