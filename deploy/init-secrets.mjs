// `node deploy/init-secrets.mjs [--rotate-codec-key] [--dir DIR]`: the secrets of temporal.docker-compose.yml.
// Creates what is missing (mode 600, never overwriting) and prints file names and key ids only, never a secret:
//   postgres.env     POSTGRES_USER, POSTGRES_PASSWORD and POSTGRES_PWD (the server's name for the same password)
//   codec-keys.json  the payload encryption keys (KDF_CODEC_KEYS_FILE): { current, keys: { id: base64 } }
//   codec.env        KDF_CODEC_TOKEN, the codec server's bearer token
//   ui.env           TEMPORAL_CODEC_ENDPOINT for the Temporal UI (the codec server URL, with the token as its path)
//   grafana.env      GF_SECURITY_ADMIN_PASSWORD, Grafana's admin password (user admin)
//   worker.env       copied from worker.env.example: fill in each node's userpass
// --rotate-codec-key adds a new key and makes it current; the old keys stay, so existing histories stay readable.
// Node builtins only.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: { dir: { type: 'string', default: here }, 'rotate-codec-key': { type: 'boolean', default: false } },
});
const dir = path.resolve(/** @type {string} */ (values.dir));
const CODEC_URL = 'http://127.0.0.1:8888';

/** @param {string} name */
const file = (name) => path.join(dir, name);
/** @param {string} message */
const say = (message) => process.stdout.write(`${message}\n`);

/** Writes `content` to `name` (mode 600) unless it exists. @param {string} name @param {() => string} content */
function create(name, content) {
  if (existsSync(file(name))) return say(`kept     ${name}`);
  writeFileSync(file(name), content(), { mode: 0o600, flag: 'wx' });
  say(`created  ${name}`);
}

const hex = () => randomBytes(32).toString('hex');

if (values['rotate-codec-key']) {
  const keysFile = file('codec-keys.json');
  /** @type {{ current: string, keys: Record<string, string> }} */
  const document = JSON.parse(readFileSync(keysFile, 'utf8'));
  const numbers = Object.keys(document.keys).map((id) => Number(/^k(\d+)$/.exec(id)?.[1] ?? 0));
  const id = `k${Math.max(0, ...numbers) + 1}`;
  const rotated = { current: id, keys: { ...document.keys, [id]: randomBytes(32).toString('base64') } };
  writeFileSync(`${keysFile}.tmp`, `${JSON.stringify(rotated, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${keysFile}.tmp`, keysFile);
  say(`codec key ${id} is now current (keys: ${Object.keys(rotated.keys).join(', ')})`);
  say('restart the worker and the codec server, and give clients (KDF_CODEC_KEYS_FILE) the new file');
} else {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const password = hex();
  create('postgres.env', () => `POSTGRES_USER=temporal\nPOSTGRES_PASSWORD=${password}\nPOSTGRES_PWD=${password}\n`);
  const key = () => randomBytes(32).toString('base64');
  create('codec-keys.json', () => `${JSON.stringify({ current: 'k1', keys: { k1: key() } }, null, 2)}\n`);
  create('codec.env', () => `KDF_CODEC_TOKEN=${hex()}\n`);
  const token = /^KDF_CODEC_TOKEN=(\S+)$/m.exec(readFileSync(file('codec.env'), 'utf8'))?.[1];
  create('ui.env', () => `TEMPORAL_CODEC_ENDPOINT=${CODEC_URL}/${token}\n`);
  create('grafana.env', () => `GF_SECURITY_ADMIN_PASSWORD=${hex()}\n`);
  create('worker.env', () => readFileSync(path.join(here, 'worker.env.example'), 'utf8'));
  say('fill in the userpasses in worker.env (one per userpassEnv in nodes.yaml)');
}
