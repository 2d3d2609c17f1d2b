// Finds or fetches `promtool` (Prometheus' rule checker) for the ops-kit test. Node builtins only.
// Order: PROMTOOL → `promtool` on PATH → .tools/promtool/promtool → Debian's `prometheus` package, downloaded and
// unpacked by debian-packages.mjs (nothing installed system-wide); promtool is kept in .tools/promtool/.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { downloadDebs, unpackDebs, withPackageLists } from './debian-packages.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const versions = JSON.parse(readFileSync(path.join(root, 'scripts/versions.json'), 'utf8'));
const cached = path.join(root, '.tools', 'promtool', 'promtool');

/** @param {string} bin */
const works = (bin) => spawnSync(bin, ['--version'], { encoding: 'utf8' }).status === 0;

/** @param {string} message */
const say = (message) => process.stderr.write(`[promtool] ${message}\n`);

function onPath() {
  const which = spawnSync('sh', ['-c', 'command -v promtool'], { encoding: 'utf8' });
  return which.status === 0 ? which.stdout.trim() : undefined;
}

/** The pinned Debian version, else whatever version apt offers (a point release replaces the pinned one). */
function downloadDeb(dir) {
  for (const spec of [`prometheus=${versions.prometheusDebian}`, 'prometheus']) {
    const deb = downloadDebs([spec], dir, say)?.[0];
    if (deb) return deb;
  }
  return undefined;
}

/** @returns {string} the path of a working promtool; throws with what to do when there is none. */
export function ensurePromtool() {
  for (const candidate of [process.env.PROMTOOL, onPath(), cached]) {
    if (candidate && existsSync(candidate) && works(candidate)) return candidate;
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'kdf-promtool-'));
  try {
    const deb = withPackageLists(() => downloadDeb(dir), say);
    if (deb) {
      const unpacked = path.join(dir, 'x');
      unpackDebs([deb], unpacked);
      mkdirSync(path.dirname(cached), { recursive: true });
      copyFileSync(path.join(unpacked, 'usr', 'bin', 'promtool'), cached);
      if (works(cached)) return cached;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  throw new Error(
    'promtool not found and Debian\'s "prometheus" package could not be downloaded: set PROMTOOL=/path/to/promtool, ' +
      'put promtool on PATH, or run `apt-get update` first'
  );
}

// `node scripts/promtool.mjs`: prints the path (tests run it so, before they call promtool)
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.stdout.write(`${ensurePromtool()}\n`);
}
