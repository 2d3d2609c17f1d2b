// The compose stack's scripts, run for real: the namespace/search-attribute job against jest's dev server, the
// schema job against stand-in tools, and init-secrets.mjs (create, keep, rotate; never printing a secret).
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { keyringFromEnv } from '../../codec/keys.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const scratch = (label: string): string => mkdtempSync(path.join(tmpdir(), `kdf-${label}-`));

function run(command: string, args: string[], env: Record<string, string | undefined>, timeout = 120_000) {
  const result = spawnSync(command, args, { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8', timeout });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('deploy/scripts/create-namespace.sh (the temporal-setup job)', () => {
  // whatever `npm test` found or installed (TEMPORAL_CLI, PATH, .tools/), also when TEMPORAL_ADDRESS names a server
  const cli = (
    execFileSync(process.execPath, [path.join(ROOT, 'scripts/temporal-cli.mjs')], { encoding: 'utf8' }).split(
      '\n'
    )[0] ?? ''
  ).trim();
  const address = process.env.TEMPORAL_ADDRESS as string;
  const namespace = `kdf-deploy-${randomBytes(4).toString('hex')}`;
  const env = {
    PATH: `${path.dirname(cli)}:${process.env.PATH}`,
    TEMPORAL_ADDRESS: address,
    TEMPORAL_NAMESPACE: namespace,
  };

  test('creates the namespace and the search attributes, and a second run changes nothing', () => {
    expect(existsSync(cli)).toBe(true);
    const first = run('sh', ['deploy/scripts/create-namespace.sh'], env);
    expect(first).toMatchObject({ code: 0 });
    expect(first.stdout).toContain(`namespace ${namespace} created (retention 720h)`);
    for (const name of ['KdfNode', 'KdfTicker', 'KdfPhase', 'KdfFleet']) {
      expect(first.stdout).toContain(`search attribute ${name} created (Keyword)`);
    }
    expect(first.stdout).toContain('search attribute KdfTaskId created (Int)');
    const second = run('sh', ['deploy/scripts/create-namespace.sh'], env);
    expect(second).toMatchObject({ code: 0 });
    expect(second.stdout).toContain(`namespace ${namespace} exists`);
    expect(second.stdout).not.toContain('created');

    const listed = run(
      cli,
      ['operator', 'search-attribute', 'list', '-n', namespace, '--address', address, '-o', 'json'],
      {}
    );
    const attributes = JSON.parse(listed.stdout) as { customAttributes?: Record<string, string> };
    expect(attributes.customAttributes).toMatchObject({
      KdfNode: expect.stringMatching(/KEYWORD/),
      KdfTicker: expect.stringMatching(/KEYWORD/),
      KdfPhase: expect.stringMatching(/KEYWORD/),
      KdfFleet: expect.stringMatching(/KEYWORD/),
      KdfTaskId: expect.stringMatching(/INT/),
    });
  }, 120_000);

  test('an unreachable server: bounded retries, then a non-zero exit naming the command', () => {
    const result = run('sh', ['deploy/scripts/create-namespace.sh'], {
      ...env,
      TEMPORAL_ADDRESS: '127.0.0.1:1',
      MAX_ATTEMPTS: '2',
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('giving up after 2 attempts: temporal operator cluster health');
  }, 60_000);
});

describe('deploy/scripts/setup-postgres.sh (the temporal-schema job)', () => {
  /** Stand-ins for nc and temporal-sql-tool that log their arguments and the SQL_* environment. */
  function fakeTools(): { bin: string; log: string } {
    const bin = path.join(scratch('fake-tools'), 'bin');
    mkdirSync(bin);
    const log = path.join(bin, '..', 'calls.log');
    const tool = (name: string) => {
      writeFileSync(
        path.join(bin, name),
        `#!/bin/sh\necho "${name} $* | $SQL_PLUGIN $SQL_HOST:$SQL_PORT user=$SQL_USER password=\${SQL_PASSWORD:+set}" >> "${log}"\n`
      );
      chmodSync(path.join(bin, name), 0o755);
    };
    tool('nc');
    tool('temporal-sql-tool');
    return { bin, log };
  }
  const password = randomBytes(16).toString('hex');

  test('both databases: create, set up, update; the password travels in SQL_PASSWORD, never in arguments', () => {
    const { bin, log } = fakeTools();
    const result = run('sh', ['deploy/scripts/setup-postgres.sh'], {
      PATH: `${bin}:${process.env.PATH}`,
      POSTGRES_USER: 'temporal',
      POSTGRES_PASSWORD: password,
      POSTGRES_SEEDS: 'postgresql',
    });
    expect(result).toMatchObject({ code: 0 });
    const where = '| postgres12 postgresql:5432 user=temporal password=set';
    expect(readFileSync(log, 'utf8').trim().split('\n')).toEqual([
      `nc -z -w 10 postgresql 5432 ${where}`,
      `temporal-sql-tool --db temporal create ${where}`,
      `temporal-sql-tool --db temporal setup-schema -v 0.0 ${where}`,
      `temporal-sql-tool --db temporal update-schema -d /etc/temporal/schema/postgresql/v12/temporal/versioned ${where}`,
      `temporal-sql-tool --db temporal_visibility create ${where}`,
      `temporal-sql-tool --db temporal_visibility setup-schema -v 0.0 ${where}`,
      `temporal-sql-tool --db temporal_visibility update-schema -d /etc/temporal/schema/postgresql/v12/visibility/versioned ${where}`,
    ]);
    expect(result.stdout + result.stderr).not.toContain(password);
  });

  test('without a password it stops at once, naming the variable', () => {
    const { bin, log } = fakeTools();
    const result = run('sh', ['deploy/scripts/setup-postgres.sh'], {
      PATH: `${bin}:${process.env.PATH}`,
      POSTGRES_USER: 'temporal',
      POSTGRES_PASSWORD: undefined,
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('POSTGRES_PASSWORD: is not set (deploy/postgres.env)');
    expect(existsSync(log)).toBe(false);
  });
});

describe('deploy/init-secrets.mjs', () => {
  const script = path.join(ROOT, 'deploy/init-secrets.mjs');
  const files = ['postgres.env', 'codec-keys.json', 'codec.env', 'ui.env', 'grafana.env', 'worker.env'];

  test('creates every secret file (mode 600) with values the worker and codec server accept; prints none', () => {
    const dir = scratch('secrets');
    const created = run(process.execPath, [script, '--dir', dir], {});
    expect(created.code).toBe(0);
    for (const name of files) {
      expect(created.stdout).toContain(`created  ${name}`);
      expect(statSync(path.join(dir, name)).mode & 0o777).toBe(0o600);
    }
    const text = (name: string) => readFileSync(path.join(dir, name), 'utf8');
    const keyring = keyringFromEnv({ KDF_CODEC_KEYS_FILE: path.join(dir, 'codec-keys.json') });
    expect(keyring?.current).toBe('k1');
    const token = /^KDF_CODEC_TOKEN=([0-9a-f]{64})$/m.exec(text('codec.env'))?.[1] as string;
    expect(text('ui.env')).toBe(`TEMPORAL_CODEC_ENDPOINT=http://127.0.0.1:8888/${token}\n`);
    expect(text('worker.env')).toBe(readFileSync(path.join(ROOT, 'deploy/worker.env.example'), 'utf8'));
    const password = /^POSTGRES_PASSWORD=(\w+)$/m.exec(text('postgres.env'))?.[1] as string;
    expect(password).toMatch(/^[0-9a-f]{64}$/);
    const grafana = /^GF_SECURITY_ADMIN_PASSWORD=([0-9a-f]{64})$/m.exec(text('grafana.env'))?.[1] as string;
    expect(grafana).toBeDefined();
    for (const secret of [token, password, grafana, JSON.parse(text('codec-keys.json')).keys.k1]) {
      expect(created.stdout + created.stderr).not.toContain(secret);
    }

    const before = files.map(text);
    const again = run(process.execPath, [script, '--dir', dir], {});
    for (const name of files) expect(again.stdout).toContain(`kept     ${name}`);
    expect(files.map(text)).toEqual(before);
  });

  test('--rotate-codec-key: a new current key, the old ones kept, so old payloads stay readable', () => {
    const dir = scratch('rotate');
    run(process.execPath, [script, '--dir', dir], {});
    const keysFile = path.join(dir, 'codec-keys.json');
    const k1 = JSON.parse(readFileSync(keysFile, 'utf8')).keys.k1;
    const rotated = run(process.execPath, [script, '--dir', dir, '--rotate-codec-key'], {});
    expect(rotated.stdout).toContain('codec key k2 is now current (keys: k1, k2)');
    const document = JSON.parse(readFileSync(keysFile, 'utf8'));
    expect(document.current).toBe('k2');
    expect(document.keys.k1).toBe(k1);
    expect(rotated.stdout).not.toContain(document.keys.k2);
    expect(statSync(keysFile).mode & 0o777).toBe(0o600);
    expect([...(keyringFromEnv({ KDF_CODEC_KEYS_FILE: keysFile })?.keys.keys() ?? [])]).toEqual(['k1', 'k2']);
  });
});
