// deploy/stack.json is the one source of versions and settings for temporal.docker-compose.yml and `npm run cluster`
// (scripts/cluster.mjs builds its binaries and its processes' environments from it). The compose file cannot read
// it, so this test holds them together: image tags, search attributes, namespace, the server's and the UI's
// settings and variable names. It also shows that it catches a tag changed in the compose file alone.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { SEARCH_ATTRIBUTES, SERVER_PORT_ENV, STACK, temporalServerEnv, uiServerEnv } from '../../scripts/stack.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const read = (file: string): string => readFileSync(path.join(ROOT, file), 'utf8');
const COMPOSE = read('temporal.docker-compose.yml');

interface Service {
  image?: string;
  environment?: Record<string, string>;
}

/** The server variables deploy/postgres.env gives the compose `temporal` service (POSTGRES_PASSWORD is PostgreSQL's). */
const SERVER_VARIABLES_FROM_ENV_FILE = ['POSTGRES_USER', 'POSTGRES_PWD'];
const clusterServerEnv = temporalServerEnv(
  { host: '127.0.0.1', port: 5432, user: 'temporal', password: 'x' },
  Object.fromEntries(SERVER_PORT_ENV.map((name) => [name, 1])) as Parameters<typeof temporalServerEnv>[1],
  '127.0.0.1:1'
);
const clusterUiEnv = uiServerEnv('127.0.0.1:7233', 8080, 'http://127.0.0.1:8888/token');

/** Every way `composeText` disagrees with deploy/stack.json and the cluster script, one line each. */
function drift(composeText: string): string[] {
  const services = (parseYaml(composeText) as { services: Record<string, Service> }).services;
  const problems: string[] = [];
  const expectImage = (name: string, image: string) => {
    if (services[name]?.image !== image) problems.push(`${name}: image ${services[name]?.image}, stack says ${image}`);
  };
  expectImage('temporal', `temporalio/server:${STACK.temporalServer}`);
  expectImage('temporal-schema', `temporalio/admin-tools:${STACK.temporalServer}`);
  expectImage('temporal-setup', `temporalio/admin-tools:${STACK.temporalServer}`);
  expectImage('temporal-ui', `temporalio/ui:${STACK.temporalUi}`);
  const postgresTag = services.postgresql?.image?.split(':')[1] ?? '';
  if (!postgresTag.startsWith(`${STACK.postgresMajor}.`)) {
    problems.push(`postgresql: image ${services.postgresql?.image}, stack says PostgreSQL ${STACK.postgresMajor}`);
  }

  const server = services.temporal?.environment ?? {};
  for (const [name, value] of Object.entries(STACK.serverEnv)) {
    if (server[name] !== value) problems.push(`temporal: ${name}=${server[name]}, stack says ${value}`);
  }
  if (path.basename(server.DYNAMIC_CONFIG_FILE_PATH ?? '') !== STACK.dynamicConfigFile) {
    problems.push(
      `temporal: DYNAMIC_CONFIG_FILE_PATH=${server.DYNAMIC_CONFIG_FILE_PATH}, stack says ${STACK.dynamicConfigFile}`
    );
  }
  for (const name of [...Object.keys(server), ...SERVER_VARIABLES_FROM_ENV_FILE]) {
    if (!(name in clusterServerEnv)) problems.push(`temporal: ${name} is set by the compose file, not by the cluster`);
  }
  const hostSpecific = new Set<string>([...SERVER_PORT_ENV, 'PROMETHEUS_ENDPOINT']);
  for (const name of Object.keys(clusterServerEnv)) {
    if (!(name in server) && !SERVER_VARIABLES_FROM_ENV_FILE.includes(name) && !hostSpecific.has(name)) {
      problems.push(`temporal: ${name} is set by the cluster, not by the compose file`);
    }
  }

  const ui = services['temporal-ui']?.environment ?? {};
  for (const name of Object.keys(ui)) {
    if (!(name in clusterUiEnv)) problems.push(`temporal-ui: ${name} is set by the compose file, not by the cluster`);
  }
  if (ui.TEMPORAL_DEFAULT_NAMESPACE !== STACK.namespace)
    problems.push(`temporal-ui: namespace, stack says ${STACK.namespace}`);

  const setup = services['temporal-setup']?.environment ?? {};
  if (setup.TEMPORAL_NAMESPACE !== STACK.namespace)
    problems.push(`temporal-setup: namespace, stack says ${STACK.namespace}`);
  if (setup.NAMESPACE_RETENTION !== STACK.namespaceRetention) {
    problems.push(`temporal-setup: retention ${setup.NAMESPACE_RETENTION}, stack says ${STACK.namespaceRetention}`);
  }
  return problems;
}

test('the compose file follows deploy/stack.json', () => {
  expect(drift(COMPOSE)).toEqual([]);
});

test('a version changed in the compose file alone is caught', () => {
  const serverBumped = COMPOSE.replace(`temporalio/server:${STACK.temporalServer}`, 'temporalio/server:1.99.0');
  expect(serverBumped).not.toBe(COMPOSE);
  expect(drift(serverBumped)).toEqual([
    `temporal: image temporalio/server:1.99.0, stack says temporalio/server:${STACK.temporalServer}`,
  ]);
  const uiBumped = COMPOSE.replace(`temporalio/ui:${STACK.temporalUi}`, 'temporalio/ui:2.99.0');
  expect(drift(uiBumped)).toEqual([
    `temporal-ui: image temporalio/ui:2.99.0, stack says temporalio/ui:${STACK.temporalUi}`,
  ]);
  const renamed = COMPOSE.replace('NUM_HISTORY_SHARDS:', 'NUM_HISTORY_SHARD:');
  expect(drift(renamed)).toEqual(
    expect.arrayContaining([
      'temporal: NUM_HISTORY_SHARDS=undefined, stack says 4',
      'temporal: NUM_HISTORY_SHARD is set by the compose file, not by the cluster',
    ])
  );
});

test('the search attributes: one list for the dev server, the cluster and the compose job', () => {
  expect(SEARCH_ATTRIBUTES).toEqual(Object.entries(STACK.searchAttributes).map(([name, type]) => `${name}=${type}`));
  expect(read('deploy/scripts/create-namespace.sh')).toContain(`SEARCH_ATTRIBUTES="${SEARCH_ATTRIBUTES.join(' ')}"`);
  expect(read('scripts/dev-server.mjs')).toContain("import { SEARCH_ATTRIBUTES } from './stack.mjs'");
});
