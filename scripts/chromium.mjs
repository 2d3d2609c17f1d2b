// Finds or fetches a headless Chromium for `npm run ui-screenshot` (browser builds from the browser vendors' own
// download sites are out of reach here; Debian's are not). Node builtins only.
// Order: KDF_CHROMIUM → `chromium-headless-shell` or `chromium` on PATH → .tools/chromium/ → Debian's
// `chromium-headless-shell` and the dependencies this machine lacks, downloaded and unpacked into .tools/chromium/ by
// debian-packages.mjs (nothing installed system-wide; the libraries are found through LD_LIBRARY_PATH).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { downloadDebs, packagesMissingFor, unpackDebs, withPackageLists } from './debian-packages.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cacheDir = path.join(root, '.tools', 'chromium');
const PACKAGE = 'chromium-headless-shell';
const EXECUTABLE = path.join('usr', 'lib', 'chromium', PACKAGE);
/** Written last: a directory without it is an unpacking that did not finish. */
const COMPLETE = '.complete';

/** @param {string} line */
const say = (line) => process.stderr.write(`[chromium] ${line}\n`);

/**
 * @typedef {object} Chromium
 * @property {string} executable
 * @property {Record<string, string>} env what to add to its environment (LD_LIBRARY_PATH for an unpacked one)
 */

/** @param {string} executable @param {Record<string, string>} env */
const works = (executable, env) =>
  spawnSync(executable, ['--version'], { env: { ...process.env, ...env }, encoding: 'utf8' }).status === 0;

/** @param {string} name */
function onPath(name) {
  const which = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return which.status === 0 ? which.stdout.trim() : undefined;
}

/** Every directory under `dir`/usr/lib holding a shared library. @param {string} dir @returns {string[]} */
function libraryDirs(dir) {
  const found = new Set();
  const walk = (/** @type {string} */ current) => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.so(\.\d+)*$/.test(entry.name)) found.add(current);
    }
  };
  walk(path.join(dir, 'usr', 'lib'));
  return [...found];
}

/** @param {string} dir @returns {Chromium} */
function unpacked(dir) {
  const libraries = [...libraryDirs(dir), process.env.LD_LIBRARY_PATH].filter(Boolean).join(':');
  return { executable: path.join(dir, EXECUTABLE), env: { LD_LIBRARY_PATH: libraries } };
}

/** @returns {Chromium} a Chromium that starts; throws with what to do when there is none. */
export function ensureChromium() {
  const candidates = [process.env.KDF_CHROMIUM, onPath(PACKAGE), onPath('chromium')];
  for (const executable of candidates) {
    if (executable && existsSync(executable) && works(executable, {})) return { executable, env: {} };
  }
  if (existsSync(path.join(cacheDir, COMPLETE))) {
    const cached = unpacked(cacheDir);
    if (works(cached.executable, cached.env)) return cached;
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'kdf-chromium-'));
  try {
    const debs = withPackageLists(() => {
      const packages = packagesMissingFor(PACKAGE);
      return packages && downloadDebs(packages, dir, say);
    }, say);
    if (debs) {
      rmSync(cacheDir, { recursive: true, force: true });
      mkdirSync(cacheDir, { recursive: true });
      say(`unpacking ${debs.length} packages into ${path.relative(root, cacheDir)}/`);
      unpackDebs(debs, cacheDir);
      writeFileSync(path.join(cacheDir, COMPLETE), '');
      const fetched = unpacked(cacheDir);
      if (works(fetched.executable, fetched.env)) return fetched;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  throw new Error(
    `no headless Chromium: Debian's "${PACKAGE}" could not be downloaded or does not start; set ` +
      'KDF_CHROMIUM=/path/to/chromium or put chromium on PATH'
  );
}

// `node scripts/chromium.mjs`: prints the path
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.stdout.write(`${ensureChromium().executable}\n`);
}
