// The pinned Temporal server, its SQL schema tool and the UI server, built from the Go module proxy into
// `.tools/go/<module>@<version>/` (one GOBIN each: both mains are called `server`) and reused afterwards.
// Node builtins only.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { STACK } from './stack.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const goTools = path.join(root, '.tools', 'go');
/** Written last: a directory without it is a build that did not finish. */
const COMPLETE = '.complete';

/**
 * @typedef {object} ClusterBinaries
 * @property {string} server the Temporal server (`server start`)
 * @property {string} binDir holds `temporal-sql-tool` (the schema tool, under the admin-tools image's name)
 * @property {string} schemaDir the module's schema/postgresql/v12 (SCHEMA_DIR of deploy/scripts/setup-postgres.sh)
 * @property {string} ui the UI server
 * @property {string} uiRoot its `--root`: config/docker.yaml (the temporalio/ui image's) and a loopback base.yaml
 * @property {string[]} built what this call had to build
 */

/** @param {(line: string) => void} say @returns {ClusterBinaries} */
export function ensureClusterBinaries(say) {
  const serverDir = path.join(goTools, `temporal-server@v${STACK.temporalServer}`);
  const uiDir = path.join(goTools, `ui-server@v${STACK.temporalUi}`);
  const built = [];
  if (!existsSync(path.join(serverDir, COMPLETE))) {
    say(`building the Temporal server v${STACK.temporalServer} and its SQL tool (cold: about 4-10 minutes)`);
    const module = goInstall(serverDir, 'go.temporal.io/server', STACK.temporalServer, ['cmd/server', 'cmd/tools/sql']);
    cpSync(path.join(module, 'schema', 'postgresql', 'v12'), path.join(serverDir, 'schema', 'postgresql', 'v12'), {
      recursive: true,
    });
    symlinkSync('sql', path.join(serverDir, 'temporal-sql-tool'));
    writeFileSync(path.join(serverDir, COMPLETE), '');
    built.push('temporal-server');
  }
  if (!existsSync(path.join(uiDir, COMPLETE))) {
    say(`building the Temporal UI server v${STACK.temporalUi}`);
    const module = goInstall(uiDir, 'github.com/temporalio/ui-server/v2', STACK.temporalUi, ['cmd/server']);
    mkdirSync(path.join(uiDir, 'config'), { recursive: true });
    cpSync(path.join(module, 'config', 'docker.yaml'), path.join(uiDir, 'config', 'docker.yaml'));
    // the image's docker.yaml has no `host`: the server would listen on every interface
    writeFileSync(path.join(uiDir, 'config', 'base.yaml'), 'host: 127.0.0.1\n');
    writeFileSync(path.join(uiDir, COMPLETE), '');
    built.push('ui-server');
  }
  return {
    server: path.join(serverDir, 'server'),
    binDir: serverDir,
    schemaDir: path.join(serverDir, 'schema', 'postgresql', 'v12'),
    ui: path.join(uiDir, 'server'),
    uiRoot: uiDir,
    built,
  };
}

/**
 * `go install module/pkg@vVERSION` for each package into `dir`, a newer Go toolchain fetched through the proxy when
 * the module asks for one. Returns the module's directory in the module cache.
 * @param {string} dir @param {string} module @param {string} version @param {string[]} packages
 */
function goInstall(dir, module, version, packages) {
  if (spawnSync('go', ['version']).status !== 0) throw new Error('Go is needed to build the cluster binaries');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const env = { ...process.env, GOBIN: dir, GOTOOLCHAIN: 'auto', CGO_ENABLED: '0' };
  const targets = packages.map((pkg) => `${module}/${pkg}@v${version}`);
  execFileSync('go', ['install', '-trimpath', '-ldflags=-s -w', ...targets], { stdio: 'inherit', env });
  const download = execFileSync('go', ['mod', 'download', '-json', `${module}@v${version}`], { env, encoding: 'utf8' });
  return /** @type {{ Dir: string }} */ (JSON.parse(download)).Dir;
}
