import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';

const pidFile = path.resolve(process.env.KDF_TEST_RESULTS_DIR ?? '.test-results', 'pids');

/** Records a child process so `npm test` kills it even if the test that started it crashes. */
export function trackPid(pid: number | undefined): void {
  if (pid === undefined) return;
  mkdirSync(path.dirname(pidFile), { recursive: true });
  appendFileSync(pidFile, `${pid}\n`);
}
