// Debian packages for tools the tests and scripts need (promtool, a headless Chromium), fetched with
// `apt-get download` and unpacked with `dpkg-deb -x` into a directory of the project's: no root needed, nothing
// installed system-wide. Node builtins only.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';

/**
 * Runs `attempt`; when it gets nothing (a fresh machine may have no package lists yet) and this is root, runs
 * `apt-get update` once and attempts again.
 * @template T @param {() => T | undefined} attempt @param {(line: string) => void} say @returns {T | undefined}
 */
export function withPackageLists(attempt, say) {
  const first = attempt();
  if (first !== undefined || process.getuid?.() !== 0) return first;
  say('apt-get update (no package lists yet?)');
  if (spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit' }).status !== 0) return undefined;
  return attempt();
}

/**
 * `apt-get download` of `specs` (`name` or `name=version`) into `dir`.
 * @param {string[]} specs @param {string} dir @param {(line: string) => void} say
 * @returns {string[] | undefined} the downloaded .deb files, or undefined when apt could not get them all
 */
export function downloadDebs(specs, dir, say) {
  say(`apt-get download ${specs.join(' ')}`);
  const run = spawnSync('apt-get', ['download', ...specs], { cwd: dir, encoding: 'utf8' });
  const debs = readdirSync(dir).filter((name) => name.endsWith('.deb'));
  if (run.status === 0 && debs.length >= specs.length) return debs.map((name) => path.join(dir, name));
  say(`apt-get download failed: ${(run.stderr || run.error?.message || '').trim()}`);
  return undefined;
}

/**
 * The packages `apt-get install` would add to this machine for `name`: itself and its dependencies not installed
 * yet, what to unpack beside it so that its binaries find their libraries. Nothing is installed.
 * @param {string} name @returns {string[] | undefined} undefined when apt does not know the package
 */
export function packagesMissingFor(name) {
  const run = spawnSync('apt-get', ['install', '--simulate', '--no-install-recommends', name], { encoding: 'utf8' });
  if (run.status !== 0) return undefined;
  return [...run.stdout.matchAll(/^Inst (\S+)/gm)].map((match) => /** @type {string} */ (match[1]));
}

/** Unpacks each of `debs` into `dir` (`dpkg-deb -x`). @param {string[]} debs @param {string} dir */
export function unpackDebs(debs, dir) {
  for (const deb of debs) {
    const run = spawnSync('dpkg-deb', ['-x', deb, dir], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`dpkg-deb -x ${path.basename(deb)} failed: ${run.stderr.trim()}`);
  }
}
