// deploy/stack.json, the versions and settings temporal.docker-compose.yml and `npm run cluster` share, and the
// Temporal server's environment derived from it. Node builtins only.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * @typedef {object} Stack
 * @property {string} temporalServer image tag of temporalio/server and temporalio/admin-tools; go.temporal.io/server
 * @property {string} temporalUi image tag of temporalio/ui; github.com/temporalio/ui-server/v2
 * @property {number} postgresMajor
 * @property {string} namespace
 * @property {string} namespaceRetention
 * @property {Record<string, string>} searchAttributes name → type
 * @property {string} dynamicConfigFile a file in deploy/dynamicconfig
 * @property {Record<string, string>} serverEnv the server's fixed settings (embedded config template variables)
 */

/** @type {Stack} */
export const STACK = JSON.parse(readFileSync(path.join(root, 'deploy', 'stack.json'), 'utf8'));

/** `Name=Type`, as `temporal --search-attribute` takes them. */
export const SEARCH_ATTRIBUTES = Object.entries(STACK.searchAttributes).map(([name, type]) => `${name}=${type}`);

/**
 * The server's ports by the variables of its embedded config template. The compose stack keeps their defaults (one
 * server per container); on one host each gets a free port.
 */
export const SERVER_PORT_ENV = /** @type {const} */ ([
  'FRONTEND_GRPC_PORT',
  'FRONTEND_HTTP_PORT',
  'FRONTEND_MEMBERSHIP_PORT',
  'HISTORY_GRPC_PORT',
  'HISTORY_MEMBERSHIP_PORT',
  'MATCHING_GRPC_PORT',
  'MATCHING_MEMBERSHIP_PORT',
  'WORKER_GRPC_PORT',
  'WORKER_MEMBERSHIP_PORT',
]);

/**
 * The environment of the Temporal server: the compose `temporal` service's variables (with deploy/postgres.env's
 * POSTGRES_USER and POSTGRES_PWD), host-specific values filled in.
 * @param {{ host: string, port: number, user: string, password: string }} postgres
 * @param {Record<(typeof SERVER_PORT_ENV)[number], number>} ports
 * @param {string} prometheusAddress `127.0.0.1:P` for the server's /metrics
 * @returns {Record<string, string>}
 */
export function temporalServerEnv(postgres, ports, prometheusAddress) {
  return {
    ...STACK.serverEnv,
    DB_PORT: String(postgres.port),
    POSTGRES_SEEDS: postgres.host,
    POSTGRES_USER: postgres.user,
    POSTGRES_PWD: postgres.password,
    BIND_ON_IP: '127.0.0.1',
    DYNAMIC_CONFIG_FILE_PATH: path.join(root, 'deploy', 'dynamicconfig', STACK.dynamicConfigFile),
    ...Object.fromEntries(Object.entries(ports).map(([name, port]) => [name, String(port)])),
    PROMETHEUS_ENDPOINT: prometheusAddress,
  };
}

/**
 * The environment of the UI server: the compose `temporal-ui` service's variables (the temporalio/ui image's
 * config/docker.yaml template), host-specific values filled in.
 * @param {string} temporalAddress @param {number} port @param {string} [codecEndpoint] TEMPORAL_CODEC_ENDPOINT
 * @returns {Record<string, string>}
 */
export function uiServerEnv(temporalAddress, port, codecEndpoint) {
  return {
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_DEFAULT_NAMESPACE: STACK.namespace,
    // plain HTTP on loopback, as in the compose file
    TEMPORAL_CSRF_COOKIE_INSECURE: 'true',
    TEMPORAL_UI_PORT: String(port),
    TEMPORAL_CORS_ORIGINS: `http://127.0.0.1:${port}`,
    ...(codecEndpoint ? { TEMPORAL_CODEC_ENDPOINT: codecEndpoint } : {}),
  };
}
