#!/usr/bin/env node
// `npx kdf-lightning`: runs the TypeScript CLI through tsx, no build step needed.
import { register } from 'tsx/esm/api';

register();
await import('../client/cli.ts');
