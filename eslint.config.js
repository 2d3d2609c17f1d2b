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
 * worker/create-worker.ts): module-level state would leak from one workflow into another. The SDK freezes only what
 * a module exports, and neither a top-level `let` nor the contents of a Map or Set; so no module-level `let`/`var`,
 * no object made with `new`, no empty array or object to fill later, no static class state.
 */
const SHARED = 'Workflow modules are shared by every workflow (preloadModules)';
const sharedModuleState = [
  ...['Program', 'Program > ExportNamedDeclaration'].flatMap((parent) => {
    // the initial value, bare or under a type assertion (`new Map() as Map<K, V>`, `[] satisfies T[]`, `x!`)
    const initial = (node) =>
      ['', 'TSAsExpression > ', 'TSSatisfiesExpression > ', 'TSNonNullExpression > ']
        .map((wrapper) => `${parent} > VariableDeclaration > VariableDeclarator > ${wrapper}${node}`)
        .join(', ');
    return [
      { selector: `${parent} > VariableDeclaration[kind!="const"]`, message: `${SHARED}: no module-level let or var.` },
      {
        selector: initial('NewExpression'),
        message: `${SHARED}: no module-level object made with new (a Map, a Set, a class with state).`,
      },
      {
        selector: `${initial('ArrayExpression[elements.length=0]')}, ${initial('ObjectExpression[properties.length=0]')}`,
        message: `${SHARED}: no module-level empty array or object to fill later.`,
      },
    ];
  }),
  { selector: 'PropertyDefinition[static=true], StaticBlock', message: `${SHARED}: no static class state.` },
];

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
