// How `npm test` splits the dev-server suite between its in-band jest processes (`--shard=i/n`, scripts/test.mjs):
// by measured seconds per file (test/durations.json), so the shards end together. The files that keep both cores
// busy are spread first and run at the start of odd shards and at the end of even ones, and the files that measure
// elapsed time against a bound run in the middle of each shard: with two shards the CPU-heavy files of one overlap
// the waiting files of the other, and the timed files sit between them. Without --shard, jest's own order.
// `node test/sequencer.mjs .test-results/jest.json > test/durations.json` refreshes the table from a run.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Sequencer from '@jest/test-sequencer';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DURATIONS = path.join(ROOT, 'test', 'durations.json');

/**
 * Files whose own processes keep a core busy (measured: shard process tree plus the dev server, about 0.6 of a core
 * or more): a large fleet, npm ci and the build, spawned workers and CLIs, the benchmark. The chaos run mostly
 * waits on its schedule (about 0.3).
 */
const CPU_HEAVY = new Set([
  'test/workflow/fleet-scale.test.ts',
  'test/deploy/image.test.ts',
  'test/e2e/cli.test.ts',
  'test/e2e/fleet.test.ts',
  'test/e2e/worker.test.ts',
  'test/e2e/start.test.ts',
  'test/e2e/fleet-commands.test.ts',
  'test/bench/bench-smoke.test.ts',
]);

/** Files that compare elapsed time with a bound (G1's deadlines, phases timed around a kill or an outage). */
const TIMED = new Set([
  'test/workflow/guarantees.test.ts',
  'test/workflow/in-doubt-crash.test.ts',
  'test/workflow/frontend-outage.test.ts',
  'test/workflow/worker-crash.test.ts',
]);

/** A file missing from the table (new since it was measured) counts as this many seconds. */
const UNMEASURED_SECONDS = 5;

/** @typedef {{ path: string }} Test */

export default class ShardSequencer extends Sequencer {
  /** @type {number | undefined} */
  #shardIndex;

  /** @param {Test[]} tests @param {{ shardIndex: number; shardCount: number }} options */
  shard(tests, { shardIndex, shardCount }) {
    this.#shardIndex = shardIndex;
    const seconds = readDurations();
    return planShards(
      tests.map((test) => ({ test, file: relative(test.path) })),
      shardCount,
      seconds
    )[shardIndex - 1].map(({ test }) => test);
  }

  /** @param {Test[]} tests */
  sort(tests) {
    if (this.#shardIndex === undefined) return super.sort(tests);
    const seconds = readDurations();
    const entries = tests.map((test) => ({ test, file: relative(test.path) }));
    return orderShard(entries, this.#shardIndex, seconds).map(({ test }) => test);
  }
}

/** @param {string} file */
const relative = (file) => path.relative(ROOT, file).split(path.sep).join('/');

/** @returns {Record<string, number>} */
function readDurations() {
  return JSON.parse(readFileSync(DURATIONS, 'utf8'));
}

/** @param {string} file */
const classOf = (file) => (CPU_HEAVY.has(file) ? 'heavy' : TIMED.has(file) ? 'timed' : 'rest');

/**
 * Longest first, each file to the shard with the least of its class so far (then the least in total), so each class
 * is spread evenly and the many short files even out the totals.
 * @template {{ file: string }} T @param {T[]} entries @param {number} count @param {Record<string, number>} seconds
 * @returns {T[][]}
 */
export function planShards(entries, count, seconds) {
  const costOf = (/** @type {string} */ file) => seconds[file] ?? UNMEASURED_SECONDS;
  const shards = Array.from({ length: count }, () => ({
    entries: /** @type {T[]} */ ([]),
    total: 0,
    heavy: 0,
    timed: 0,
  }));
  const sorted = [...entries].sort((a, b) => costOf(b.file) - costOf(a.file) || a.file.localeCompare(b.file));
  for (const kind of ['heavy', 'timed', 'rest']) {
    for (const entry of sorted.filter(({ file }) => classOf(file) === kind)) {
      const load = (/** @type {(typeof shards)[number]} */ shard) =>
        kind === 'heavy' ? shard.heavy : kind === 'timed' ? shard.timed : 0;
      const target = shards.reduce((best, shard) =>
        load(shard) < load(best) || (load(shard) === load(best) && shard.total < best.total) ? shard : best
      );
      target.entries.push(entry);
      target.total += costOf(entry.file);
      if (kind === 'heavy') target.heavy += costOf(entry.file);
      if (kind === 'timed') target.timed += costOf(entry.file);
    }
  }
  return shards.map((shard) => shard.entries);
}

/**
 * Odd shards: CPU-heavy files, timed files, the rest; even shards the reverse, so each one's heavy files overlap
 * the other's rest. Longest first within each class.
 * @template {{ file: string }} T @param {T[]} entries @param {number} shardIndex @param {Record<string, number>} seconds
 */
export function orderShard(entries, shardIndex, seconds) {
  const costOf = (/** @type {string} */ file) => seconds[file] ?? UNMEASURED_SECONDS;
  const kinds = shardIndex % 2 === 1 ? ['heavy', 'timed', 'rest'] : ['rest', 'timed', 'heavy'];
  const byCost = [...entries].sort((a, b) => costOf(b.file) - costOf(a.file) || a.file.localeCompare(b.file));
  return kinds.flatMap((kind) => byCost.filter(({ file }) => classOf(file) === kind));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const results = JSON.parse(readFileSync(process.argv[2] ?? path.join(ROOT, '.test-results', 'jest.json'), 'utf8'));
  /** @type {{ name: string; startTime: number; endTime: number }[]} */
  const files = [...results.testResults].sort((a, b) => a.name.localeCompare(b.name));
  // the run may come from another clone: its test/ folder is the deepest one holding every file
  let testDir = path.dirname(files[0].name);
  while (!files.every(({ name }) => name.startsWith(`${testDir}/`))) testDir = path.dirname(testDir);
  /** @type {Record<string, number>} */
  const table = {};
  for (const { name, startTime, endTime } of files) {
    table[`test/${path.relative(testDir, name)}`] = Math.round((endTime - startTime) / 100) / 10;
  }
  process.stdout.write(`${JSON.stringify(table, null, 2)}\n`);
}
