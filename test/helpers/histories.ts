// Recorded histories: replayed against the current workflow code, and recorded as fixtures of a workflow version.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from './enablement-stack.js';

const { History } = temporal.api.history.v1;
const HISTORIES_DIR = fileURLToPath(new URL('../fixtures/histories', import.meta.url));

export interface NamedHistory {
  workflowId: string;
  history: temporal.api.history.v1.IHistory;
}

/** `<workflowId>: <error>` for each history that does not replay against the current workflow code. */
export async function replayFailures(histories: NamedHistory[]): Promise<string[]> {
  const failures: string[] = [];
  for await (const result of Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, histories)) {
    if (result.error) failures.push(`${result.workflowId}: ${String(result.error)}`);
  }
  return failures;
}

/** Every committed fixture, of every workflow version (test/fixtures/histories/<version>/*.json). */
export function committedHistories(): NamedHistory[] {
  const versions = readdirSync(HISTORIES_DIR, { withFileTypes: true }).filter((entry) => entry.isDirectory());
  return versions.flatMap(({ name: version }) =>
    readdirSync(path.join(HISTORIES_DIR, version))
      .filter((file) => file.endsWith('.json'))
      .map((file) => ({
        workflowId: `${version}/${file}`,
        history: History.fromObject(JSON.parse(readFileSync(path.join(HISTORIES_DIR, version, file), 'utf8'))),
      }))
  );
}

/**
 * Records `histories` as fixtures `<version>/<suite>-NN-<name>.json` when `KDF_RECORD_HISTORIES=<version>` is set,
 * e.g. `KDF_RECORD_HISTORIES=v3 npm test -- test/workflow/enable-lightning`. Fixtures are never overwritten: a
 * suite that already has fixtures in that version records nothing and fails.
 */
export function recordHistoriesIfAsked(suite: string, histories: NamedHistory[]): void {
  const version = process.env.KDF_RECORD_HISTORIES;
  if (!version) return;
  const dir = path.join(HISTORIES_DIR, version);
  if (existsSync(dir) && readdirSync(dir).some((file) => file.startsWith(`${suite}-`))) {
    throw new Error(`${dir} already has ${suite} fixtures: fixtures of a version are never overwritten`);
  }
  mkdirSync(dir, { recursive: true });
  const scrub = (text: string) => text.replace(/(sim|closed)-[0-9a-f]{8}/g, 'node').replace(/[/:]/g, '_');
  for (const [index, { workflowId, history }] of histories.entries()) {
    const name = `${suite}-${String(index).padStart(2, '0')}-${scrub(workflowId)}`;
    const json = History.toObject(History.fromObject(history), { longs: String, bytes: String, enums: String });
    writeFileSync(path.join(dir, `${name}.json`), `${JSON.stringify(json)}\n`);
  }
}
