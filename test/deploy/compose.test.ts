// temporal.docker-compose.yml, Dockerfile and .dockerignore, checked without a Docker engine: services and their
// order, pinned images, loopback ports, healthchecks, secrets out of the file, env names the code really reads.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { loadNodesFile } from '../../worker/config.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const read = (file: string): string => readFileSync(path.join(ROOT, file), 'utf8');

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  entrypoint?: string[];
  profiles?: string[];
  depends_on?: Record<string, { condition?: string }>;
  environment?: Record<string, string>;
  env_file?: (string | { path: string; required?: boolean })[];
  ports?: (string | { host_ip?: string })[];
  volumes?: string[];
  secrets?: string[];
  healthcheck?: { test: string[] };
  restart?: string;
  read_only?: boolean;
  cap_drop?: string[];
  security_opt?: string[];
  network_mode?: string;
}
interface Compose {
  services: Record<string, Service>;
  secrets: Record<string, { file: string }>;
  volumes: Record<string, unknown>;
}

const compose = parseYaml(read('temporal.docker-compose.yml')) as Compose;
const services = Object.entries(compose.services);
const service = (name: string): Service => {
  const found = compose.services[name];
  if (!found) throw new Error(`no service ${name}`);
  return found;
};
const envFiles = (s: Service) => (s.env_file ?? []).map((entry) => (typeof entry === 'string' ? entry : entry.path));
/** deploy/*.env as `node deploy/init-secrets.mjs` creates them, in a scratch directory. */
const generated = mkdtempSync(path.join(tmpdir(), 'kdf-deploy-'));
execFileSync(process.execPath, [path.join(ROOT, 'deploy/init-secrets.mjs'), '--dir', generated]);
/** The variables an env file of the compose file (`deploy/x.env`) sets, as generated. */
const envFile = (file: string): Record<string, string> =>
  Object.fromEntries(
    readFileSync(path.join(generated, path.basename(file)), 'utf8')
      .split('\n')
      .filter((line) => /^[A-Z_][A-Z0-9_]*=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)])
  );
const envFileNames = (file: string): string[] => Object.keys(envFile(file));

/** Environment variable names a source file reads: `env.NAME`, `env['NAME']`, `envProvider['NAME']`, 'KDF_…' literals. */
function envNamesReadBy(...files: string[]): Set<string> {
  const names = new Set<string>();
  for (const file of files) {
    const text = read(file);
    for (const match of text.matchAll(/\benv(?:Provider)?(?:\.([A-Z][A-Z0-9_]+)|\[['"]([A-Z][A-Z0-9_]+)['"]\])/g)) {
      names.add((match[1] ?? match[2]) as string);
    }
    for (const match of text.matchAll(/'((?:KDF|TEMPORAL)_[A-Z0-9_]+)'/g)) names.add(match[1] as string);
  }
  return names;
}
/** The search attributes every stack registers (deploy/stack.json, read by scripts/stack.mjs). */
const SEARCH_ATTRIBUTES = Object.entries(
  (JSON.parse(read('deploy/stack.json')) as { searchAttributes: Record<string, string> }).searchAttributes
).map(([name, type]) => `${name}=${type}`);
const ENVCONFIG = 'node_modules/@temporalio/envconfig/lib/envconfig-toml.js';
const WORKER_READS = envNamesReadBy('worker/config.ts', 'common/temporal-tls.ts', 'codec/keys.ts', ENVCONFIG);
const CODEC_SERVER_READS = envNamesReadBy('codec/http.ts', 'codec/keys.ts');

test('the services of the stack', () => {
  expect(Object.keys(compose.services).sort()).toEqual(
    [
      'codec-server',
      'grafana',
      'postgresql',
      'prometheus',
      'temporal',
      'temporal-schema',
      'temporal-setup',
      'temporal-ui',
      'worker',
    ].sort()
  );
  expect(service('codec-server').profiles).toEqual(['codec']);
  expect(services.filter(([, s]) => s.profiles !== undefined).map(([name]) => name)).toEqual(['codec-server']);
});

test('every image is pinned to a version (no latest, no variable), auto-setup is not used', () => {
  for (const [name, s] of services) {
    expect({ name, image: s.image }).toEqual({
      name,
      image: expect.stringMatching(/^[a-z0-9./-]+:v?\d+(\.\d+)+[\w.-]*$/),
    });
    expect(s.image).not.toMatch(/auto-setup/);
  }
  // the Temporal images move together, as in samples-server's compose/.env
  const versions = new Set(
    ['temporal', 'temporal-schema', 'temporal-setup'].map((n) => service(n).image?.split(':')[1])
  );
  expect(versions.size).toBe(1);
  expect(service('temporal-schema').image).toMatch(/^temporalio\/admin-tools:/);
  expect(service('temporal').image).toMatch(/^temporalio\/server:/);
  expect(service('worker').build).toEqual({ context: '.', dockerfile: 'Dockerfile' });
  expect(service('codec-server').image).toBe(service('worker').image);
});

test('published ports are bound to 127.0.0.1 only; PostgreSQL is not published', () => {
  const published = services.flatMap(([name, s]) =>
    (s.ports ?? []).map((port) => ({ name, host: typeof port === 'string' ? port.split(':')[0] : port.host_ip }))
  );
  expect(published.map(({ name }) => name).sort()).toEqual(['codec-server', 'grafana', 'temporal', 'temporal-ui']);
  for (const port of published) expect(port).toEqual({ name: port.name, host: '127.0.0.1' });
  expect(service('temporal').ports).toEqual(['127.0.0.1:7233:7233']);
});

test('start order: every dependency has a condition, healthy targets have healthchecks, jobs run once', () => {
  const oneShot = new Set(['temporal-schema', 'temporal-setup']);
  for (const [name, s] of services) {
    for (const [target, { condition }] of Object.entries(s.depends_on ?? {})) {
      const dependency = service(target);
      if (oneShot.has(target)) {
        expect({ name, target, condition }).toEqual({ name, target, condition: 'service_completed_successfully' });
      } else {
        expect({ name, target, condition }).toEqual({ name, target, condition: 'service_healthy' });
        expect(dependency.healthcheck?.test.length).toBeGreaterThan(1);
      }
    }
    if (oneShot.has(name)) expect(s.restart).toMatch(/^on-failure:\d+$/);
    else expect(s.restart).toBe('unless-stopped');
  }
  const after = (name: string) => Object.keys(service(name).depends_on ?? {}).sort();
  expect(after('temporal-schema')).toEqual(['postgresql']);
  expect(after('temporal')).toEqual(['temporal-schema']);
  expect(after('temporal-setup')).toEqual(['temporal']);
  expect(after('worker')).toEqual(['temporal', 'temporal-setup']);
  expect(after('temporal-ui')).toEqual(['temporal', 'temporal-setup']);
  for (const name of ['postgresql', 'temporal', 'worker', 'codec-server', 'prometheus', 'grafana'])
    expect(service(name).healthcheck).toBeDefined();
});

test('the one-shot jobs run the scripts in deploy/scripts, mounted read-only', () => {
  for (const [name, script] of [
    ['temporal-schema', 'setup-postgres.sh'],
    ['temporal-setup', 'create-namespace.sh'],
  ] as const) {
    expect(service(name).volumes).toEqual(['./deploy/scripts:/scripts:ro']);
    expect(service(name).command).toEqual([`/scripts/${script}`]);
    expect(existsSync(path.join(ROOT, 'deploy/scripts', script))).toBe(true);
  }
  expect(SEARCH_ATTRIBUTES).toEqual([
    'KdfNode=Keyword',
    'KdfTicker=Keyword',
    'KdfPhase=Keyword',
    'KdfFleet=Keyword',
    'KdfTaskId=Int',
  ]);
  expect(read('deploy/scripts/create-namespace.sh')).toContain(`SEARCH_ATTRIBUTES="${SEARCH_ATTRIBUTES.join(' ')}"`);
  const dynamicConfig = service('temporal').environment?.DYNAMIC_CONFIG_FILE_PATH as string;
  expect(service('temporal').volumes).toEqual(['./deploy/dynamicconfig:/etc/temporal/config/dynamicconfig:ro']);
  const file = path.join('deploy/dynamicconfig', path.basename(dynamicConfig));
  expect(parseYaml(read(file))).toEqual({ 'limit.maxIDLength': [{ value: 255, constraints: {} }] });
});

test('no secret is written in the file: credentials come from git-ignored env files and a file secret', () => {
  const secretName = /(PASSWORD|PWD|TOKEN|USERPASS|SECRET|API_KEY)$|^KDF_CODEC_KEYS$/;
  for (const [name, s] of services) {
    for (const key of Object.keys(s.environment ?? {}))
      expect({ name, key, secret: secretName.test(key) }).toEqual({ name, key, secret: false });
    for (const file of envFiles(s)) expect(file).toMatch(/^deploy\/[a-z-]+\.env$/);
  }
  // PostgreSQL, the schema job and the server read the same password under their own names
  const postgres = envFile('deploy/postgres.env');
  expect(Object.keys(postgres).sort()).toEqual(['POSTGRES_PASSWORD', 'POSTGRES_PWD', 'POSTGRES_USER']);
  expect(postgres.POSTGRES_PWD).toBe(postgres.POSTGRES_PASSWORD);
  expect(read('deploy/scripts/setup-postgres.sh')).toContain('export SQL_PASSWORD="$POSTGRES_PASSWORD"');
  expect(compose.secrets).toEqual({ kdf_codec_keys: { file: './deploy/codec-keys.json' } });
  const ignored = read('deploy/.gitignore');
  expect(ignored).toMatch(/^\*\.env$/m);
  expect(ignored).toMatch(/^codec-keys\.json$/m);
});

test('the worker: env names it reads, nodes file and codec keys mounted, userpasses from deploy/worker.env', () => {
  const worker = service('worker');
  const environment = worker.environment ?? {};
  for (const name of Object.keys(environment))
    expect({ name, read: WORKER_READS.has(name) }).toEqual({ name, read: true });
  expect([...WORKER_READS]).toEqual(
    expect.arrayContaining(['KDF_NODES_FILE', 'KDF_CODEC_KEYS_FILE', 'TEMPORAL_API_KEY'])
  );

  expect(worker.volumes).toContain(`./deploy/nodes.yaml:${environment.KDF_NODES_FILE}:ro`);
  expect(environment.KDF_CODEC_KEYS_FILE).toBe('/run/secrets/kdf_codec_keys');
  expect(worker.secrets).toEqual(['kdf_codec_keys']);
  expect(environment.TEMPORAL_ADDRESS).toBe('temporal:7233');
  expect(environment.TEMPORAL_NAMESPACE).toBe(service('temporal-setup').environment?.TEMPORAL_NAMESPACE);
  expect(environment.KDF_METRICS_ADDRESS).toMatch(/^127\.0\.0\.1:/);

  // deploy/worker.env holds exactly the userpassEnv variables of deploy/nodes.yaml, and the example is valid
  expect(envFiles(worker)).toEqual(['deploy/worker.env']);
  const nodes = parseYaml(read('deploy/nodes.yaml')) as { nodes: Record<string, { userpassEnv?: string }> };
  const userpassEnvs = Object.values(nodes.nodes).map((node) => node.userpassEnv);
  expect(envFileNames('deploy/worker.env').sort()).toEqual([...userpassEnvs].sort());
  const env = Object.fromEntries(userpassEnvs.map((name) => [name, 'x']));
  expect([...loadNodesFile(path.join(ROOT, 'deploy/nodes.yaml'), env).keys()]).toEqual(Object.keys(nodes.nodes));

  expect(worker.read_only).toBe(true);
  expect(worker.cap_drop).toEqual(['ALL']);
  expect(worker.security_opt).toEqual(['no-new-privileges:true']);
  expect(worker.healthcheck?.test.join(' ')).toContain(`http://${environment.KDF_METRICS_ADDRESS}/metrics`);
});

test('the codec server: env names it reads, the UI origin allowed, the UI pointed at it', () => {
  const codec = service('codec-server');
  const environment = codec.environment ?? {};
  for (const name of [...Object.keys(environment), ...envFileNames('deploy/codec.env')]) {
    expect({ name, read: CODEC_SERVER_READS.has(name) }).toEqual({ name, read: true });
  }
  expect(envFiles(codec)).toEqual(['deploy/codec.env']);
  expect(codec.command).toEqual(['node', 'dist/codec/server.js']);
  expect(codec.secrets).toEqual(['kdf_codec_keys']);
  expect(environment.KDF_CODEC_KEYS_FILE).toBe('/run/secrets/kdf_codec_keys');
  const uiPort = (service('temporal-ui').ports?.[0] as string).split(':')[1];
  expect(environment.KDF_CODEC_CORS_ORIGINS?.split(',')).toContain(`http://127.0.0.1:${uiPort}`);
  // the UI's page calls the codec server's published port, with the token as the path (no header possible)
  expect(service('temporal-ui').env_file).toEqual([{ path: 'deploy/ui.env', required: false }]);
  const codecPort = (codec.ports?.[0] as string).split(':')[1];
  const token = envFile('deploy/codec.env').KDF_CODEC_TOKEN;
  expect(token).toMatch(/^[0-9a-f]{64}$/);
  expect(envFile('deploy/ui.env')).toEqual({ TEMPORAL_CODEC_ENDPOINT: `http://127.0.0.1:${codecPort}/${token}` });
  expect(codec.ports).toEqual(['127.0.0.1:8888:8888']);
  expect(codec.read_only).toBe(true);
});

describe('Dockerfile', () => {
  const lines = read('Dockerfile')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'));
  const stages = lines.reduce<{ from: string; name: string; steps: string[] }[]>((all, line) => {
    const from = /^FROM (\S+) AS (\S+)$/.exec(line);
    if (from) all.push({ from: from[1] as string, name: from[2] as string, steps: [] });
    else all.at(-1)?.steps.push(line);
    return all;
  }, []);

  test('two stages on one pinned Node image, an LTS line (even major) at 22 or later', () => {
    expect(stages.map((stage) => stage.name)).toEqual(['build', 'runtime']);
    expect(new Set(stages.map((stage) => stage.from)).size).toBe(1);
    const [, major] = /^node:(\d+)\.\d+\.\d+-[a-z]+-slim$/.exec(stages[0]?.from ?? '') ?? [];
    expect(Number(major)).toBeGreaterThanOrEqual(22);
    expect(Number(major) % 2).toBe(0);
  });

  test('build: installs with the lock file, builds, then keeps runtime dependencies only', () => {
    const runs = stages[0]?.steps.filter((step) => step.startsWith('RUN ')) ?? [];
    const install = runs.findIndex((step) => /^RUN npm ci\b/.test(step));
    const build = runs.findIndex((step) => /^RUN npm run build\b/.test(step));
    const prune = runs.findIndex((step) => /^RUN npm (prune|ci)\b.*--omit=dev/.test(step));
    expect(install).toBeGreaterThanOrEqual(0);
    expect(build).toBeGreaterThan(install);
    expect(prune).toBe(runs.length - 1);
    // the sources the build needs: tsconfig.build.json's include, and codec/ (image.test.ts runs what it builds)
    const copied = stages[0]?.steps.filter((step) => /^COPY \S+ \S+$/.test(step)).map((step) => step.split(' ')[1]);
    const include = (JSON.parse(read('tsconfig.build.json')) as { include: string[] }).include;
    expect(copied).toEqual(expect.arrayContaining([...include, 'codec']));
  });

  test('runtime: production mode, a non-root user from before the command on, nothing but the build output', () => {
    const steps = stages[1]?.steps ?? [];
    expect(steps).toContain('ENV NODE_ENV=production');
    const user = steps.findLast((step) => step.startsWith('USER '));
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^USER (root|0)(:|$)/);
    expect(steps.indexOf(user as string)).toBeLessThan(steps.length - 1);
    expect(steps.at(-1)).toMatch(/^CMD /);
    for (const copy of steps.filter((step) => step.startsWith('COPY'))) expect(copy).toMatch(/^COPY --from=build /);
  });

  test('.dockerignore keeps secrets, local state and dependencies out of the build context', () => {
    const ignored = read('.dockerignore').split('\n');
    for (const entry of [
      '.git',
      'node_modules',
      'dist',
      '.tools',
      '.data',
      '.test-results',
      'deploy/*.env',
      'deploy/codec-keys.json',
    ]) {
      expect(ignored).toContain(entry);
    }
  });
});

test('Prometheus scrapes the worker inside its network namespace and loads the alert rules; Grafana is provisioned', () => {
  const prometheus = service('prometheus');
  // the worker serves /metrics on its loopback only
  expect(prometheus.network_mode).toBe('service:worker');
  expect(prometheus.ports).toBeUndefined();
  expect(prometheus.volumes).toContain('./deploy/prometheus:/etc/prometheus:ro');
  expect(prometheus.command).toContain('--config.file=/etc/prometheus/prometheus.yml');
  const config = parseYaml(read('deploy/prometheus/prometheus.yml')) as {
    rule_files: string[];
    scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
  };
  expect(config.rule_files).toEqual(['alerts.yml']);
  expect(config.scrape_configs).toEqual([
    {
      job_name: 'kdf-lightning-worker',
      static_configs: [{ targets: [service('worker').environment?.KDF_METRICS_ADDRESS] }],
    },
  ]);
  expect(read('deploy/prometheus/alerts.yml')).toContain('up{job="kdf-lightning-worker"}');

  const grafana = service('grafana');
  expect(Object.keys(grafana.depends_on ?? {})).toEqual(['prometheus']);
  expect(envFiles(grafana)).toEqual(['deploy/grafana.env']);
  expect(Object.keys(envFile('deploy/grafana.env'))).toEqual(['GF_SECURITY_ADMIN_PASSWORD']);
  expect(grafana.volumes).toEqual(
    expect.arrayContaining([
      './deploy/grafana/provisioning:/etc/grafana/provisioning:ro',
      './deploy/grafana/kdf-lightning.json:/etc/grafana/dashboards/kdf-lightning.json:ro',
    ])
  );
  const listen = prometheus.command
    ?.find((arg) => arg.startsWith('--web.listen-address='))
    ?.split(':')
    .pop();
  const datasources = parseYaml(read('deploy/grafana/provisioning/datasources/prometheus.yml')) as {
    datasources: { type: string; url: string; isDefault: boolean }[];
  };
  expect(datasources.datasources).toEqual([
    expect.objectContaining({ type: 'prometheus', url: `http://worker:${listen}`, isDefault: true }),
  ]);
  const dashboards = parseYaml(read('deploy/grafana/provisioning/dashboards/kdf-lightning.yml')) as {
    providers: { type: string; options: { path: string } }[];
  };
  expect(dashboards.providers).toEqual([
    expect.objectContaining({ type: 'file', options: { path: '/etc/grafana/dashboards' } }),
  ]);
});
