// The Dockerfile's steps without Docker: copy what it copies, run its RUN commands as they are (`npm ci`, the build,
// `npm prune --omit=dev`: the runtime stage has the runtime dependencies only, so an import of a dev dependency
// fails here), lay out the runtime stage, then start the worker and the codec server as temporal.docker-compose.yml
// does (its environment, its healthchecks, secrets from init-secrets.mjs) on the image's Node version (from the npm
// registry, cached under .tools/) against jest's dev server, and the compiled CLI against the same server.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { childEnv, freePort, Proc, ROOT, uniqueId } from '../e2e/helpers.js';
import { dockerfileNodeVersion, nodeBinary } from '../helpers/node-binary.js';

const read = (file: string): string => readFileSync(path.join(ROOT, file), 'utf8');
const scratch = mkdtempSync(path.join(tmpdir(), 'kdf-image-'));
const buildDir = path.join(scratch, 'build');
const runtimeDir = path.join(scratch, 'runtime');
const secrets = path.join(scratch, 'secrets');

interface Stage {
  name: string;
  steps: { op: string; args: string }[];
}
const stages: Stage[] = [];
for (const line of read('Dockerfile').split('\n')) {
  if (line.trim() === '' || line.startsWith('#')) continue;
  const [op, ...rest] = line.split(' ');
  const args = rest.join(' ');
  if (op === 'FROM') stages.push({ name: args.split(' AS ')[1] as string, steps: [] });
  else stages.at(-1)?.steps.push({ op: op as string, args });
}

const compose = parseYaml(read('temporal.docker-compose.yml')) as {
  services: Record<
    string,
    { environment: Record<string, string>; command?: string[]; healthcheck: { test: string[] } }
  >;
};
const envFile = (name: string): Record<string, string> =>
  Object.fromEntries(
    readFileSync(path.join(secrets, name), 'utf8')
      .split('\n')
      .filter((line) => line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)])
  );

/** Runs one stage's instructions with `/app` at `dir`; `from` is where `COPY --from=build /app/…` reads. */
function runStage(stage: Stage, dir: string, from?: string): Record<string, string> {
  const env: Record<string, string> = {};
  mkdirSync(dir, { recursive: true });
  for (const { op, args } of stage.steps) {
    if (op === 'COPY') {
      const parts = args.split(' ');
      const fromBuild = parts[0] === '--from=build';
      const sources = parts.slice(fromBuild ? 1 : 0, -1);
      const dest = path.join(dir, parts.at(-1) as string);
      for (const source of sources) {
        const origin = fromBuild ? path.join(from as string, path.relative('/app', source)) : path.join(ROOT, source);
        const target = dest.endsWith('/') || sources.length > 1 ? path.join(dest, path.basename(source)) : dest;
        // the pruned node_modules is linked, not copied (300 MB): the same files
        if (path.basename(source) === 'node_modules') symlinkSync(origin, target);
        else cpSync(origin, target, { recursive: true });
      }
    } else if (op === 'RUN') {
      execFileSync('sh', ['-c', args], { cwd: dir, env: childEnv(), stdio: 'pipe', timeout: 240_000 });
    } else if (op === 'ENV') {
      const [key, value] = args.split('=');
      env[key as string] = value as string;
    }
  }
  return env;
}

let imageEnv: Record<string, string>;
let cmd: string[];
let node: string;

beforeAll(() => {
  execFileSync(process.execPath, [path.join(ROOT, 'deploy/init-secrets.mjs'), '--dir', secrets]);
  const [build, runtime] = stages;
  runStage(build as Stage, buildDir);
  imageEnv = runStage(runtime as Stage, runtimeDir, buildDir);
  cmd = JSON.parse(runtime?.steps.find((step) => step.op === 'CMD')?.args ?? '[]') as string[];
  node = nodeBinary(dockerfileNodeVersion(read('Dockerfile')));
}, 300_000);

/** Runs an image command (`["node", …]`) in the runtime stage, with the image's Node. */
const start = (name: string, command: string[], env: Record<string, string>): Proc => {
  const [program, ...args] = command.map((arg) => (arg === 'node' ? node : arg));
  return new Proc(
    name,
    spawn(program as string, args, {
      cwd: runtimeDir,
      env: childEnv({ ...imageEnv, ...env }),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
  );
};

/** A compose healthcheck `["CMD", "node", "-e", script]` with the port moved to where the test listens. */
function healthcheck(service: string, from: string, to: string) {
  const [, , flag, script] = compose.services[service]?.healthcheck.test ?? [];
  return execFileSync(process.execPath, [flag as string, (script as string).replace(from, to)], {
    env: childEnv({ KDF_CODEC_TOKEN: envFile('codec.env').KDF_CODEC_TOKEN }),
    timeout: 10_000,
  });
}

test('the image runs the worker from the prebuilt bundle, with the compose environment and secrets', async () => {
  expect(imageEnv).toEqual({ NODE_ENV: 'production' });
  expect(cmd).toEqual(['node', 'dist/worker/main.js']);
  const composed = compose.services.worker?.environment ?? {};
  const metrics = `127.0.0.1:${await freePort()}`;
  const worker = start('image-worker', cmd, {
    ...composed,
    ...envFile('worker.env'),
    KDF_ALPHA_USERPASS: 'set-in-deploy-worker-env',
    TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS as string,
    KDF_NODES_FILE: path.join(ROOT, 'deploy/nodes.yaml'),
    KDF_CODEC_KEYS_FILE: path.join(secrets, 'codec-keys.json'),
    KDF_METRICS_ADDRESS: metrics,
    KDF_TASK_QUEUE: uniqueId('image'),
  });
  try {
    await worker.waitFor(/"msg":"worker running"/, 60_000);
    const started = JSON.parse(
      worker.stdout.split('\n').find((line) => line.includes('starting kdf-lightning')) as string
    );
    expect(started.config).toMatchObject({
      workflowCode: path.join(runtimeDir, 'dist', 'workflow-bundle.js'),
      payloadEncryption: { currentKey: 'k1', keyIds: ['k1'] },
      nodes: [{ id: 'alpha', url: 'http://host.docker.internal:7783/' }],
    });
    healthcheck('worker', composed.KDF_METRICS_ADDRESS as string, metrics);
  } finally {
    await worker.stop('SIGTERM');
  }
  expect(worker.stdout + worker.stderr).not.toContain('set-in-deploy-worker-env');
}, 120_000);

test('the same image runs the codec server (compose profile codec); its healthcheck passes', async () => {
  const service = compose.services['codec-server'];
  const composed = service?.environment ?? {};
  const port = await freePort();
  const codec = start('image-codec-server', service?.command ?? [], {
    ...composed,
    ...envFile('codec.env'),
    KDF_CODEC_KEYS_FILE: path.join(secrets, 'codec-keys.json'),
    KDF_CODEC_ADDRESS: `127.0.0.1:${port}`,
  });
  try {
    await codec.waitFor(/"msg":"codec server listening"/, 30_000);
    expect(codec.stdout).toContain(`"corsOrigins":${JSON.stringify(composed.KDF_CODEC_CORS_ORIGINS?.split(','))}`);
    healthcheck('codec-server', '127.0.0.1:8888', `127.0.0.1:${port}`);
  } finally {
    await codec.stop('SIGTERM');
  }
  expect(codec.stdout + codec.stderr).not.toContain(envFile('codec.env').KDF_CODEC_TOKEN as string);
}, 60_000);

test('the runtime stage holds no dev dependency, and the compiled CLI runs from it on the image Node', async () => {
  // what the lock file marks dev-only (a dev dependency that production code needs too, e.g. @swc/core through
  // @temporalio/worker, is not dev-only)
  const { packages } = JSON.parse(read('package-lock.json')) as { packages: Record<string, { dev?: boolean }> };
  const devOnly = Object.keys(packages).filter(
    (key) => packages[key]?.dev === true && !key.includes('/node_modules/', 1)
  );
  expect(devOnly.length).toBeGreaterThan(100);
  expect(devOnly.filter((key) => existsSync(path.join(runtimeDir, key)))).toEqual([]);
  expect(execFileSync(node, ['--version'], { encoding: 'utf8' }).trim()).toBe(
    `v${dockerfileNodeVersion(read('Dockerfile'))}`
  );
  const cli = start('image-cli', ['node', 'dist/client/cli.js', 'list', '--json', '--limit', '1'], {
    TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS as string,
  });
  const { code } = await cli.exited;
  expect({ code, stderr: cli.stderr }).toEqual({ code: 0, stderr: '' });
  expect(Array.isArray(JSON.parse(cli.stdout))).toBe(true);
}, 60_000);
