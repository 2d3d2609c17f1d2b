/** `npm run kdf-sim` as a real process: its one ready line, one request, signals, and its command-line errors. */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { trackPid } from '../helpers/processes.js';

const SECRET = 'cli-test-secret-5d1e';
// one process (not tsx's wrapper, which forwards signals to a child), so the PID we kill is the server
const command = (args: string[]) => [process.execPath, ['--import', 'tsx', 'simulator/cli.ts', ...args]] as const;

function environment(userpass?: string): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env['KDF_SIM_USERPASS'];
  return userpass === undefined ? env : { ...env, KDF_SIM_USERPASS: userpass };
}

/** Runs the CLI to completion (for command lines that must fail fast). */
function runToEnd(args: string[], userpass?: string) {
  const [file, argv] = command(args);
  const run = spawnSync(file, argv, { env: environment(userpass), encoding: 'utf8', timeout: 20_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** Starts the CLI and resolves once it printed its ready line. */
async function startCli(args: string[], userpass?: string) {
  const [file, argv] = command(args);
  const child = spawn(file, argv, { env: environment(userpass), stdio: ['ignore', 'pipe', 'pipe'] });
  trackPid(child.pid);
  let stdout = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const url = /^kdf-sim listening on (http:\/\/\S+)\n/.exec(stdout)?.[1];
      if (url !== undefined) resolve(url);
    });
    child.once('exit', (code) => reject(new Error(`kdf-sim exited with ${code}: ${stderr}`)));
  });
  const url = await ready;
  return { child, url, output: () => ({ stdout, stderr }) };
}

test('prints one ready line, serves RPC, and stops cleanly on SIGTERM without printing the userpass', async () => {
  const { child, url, output } = await startCli(['--port', '0', '--phase-ms', '20'], SECRET);
  expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  const reply = await fetch(url, {
    method: 'POST',
    body: JSON.stringify({ mmrpc: '2.0', userpass: SECRET, method: 'get_enabled_coins', id: 1 }),
  });
  expect(reply.status).toBe(200);
  expect(await reply.json()).toMatchObject({
    mmrpc: '2.0',
    result: { coins: expect.arrayContaining([{ ticker: 'tBTC-segwit' }]) },
    id: 1,
  });

  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  expect(await exited).toEqual([0, null]);
  const { stdout, stderr } = output();
  expect(stdout).toBe(`kdf-sim listening on ${url}\n`);
  expect(stdout + stderr).not.toContain(SECRET);
});

test('takes a scenario file and --userpass, and stops on SIGINT with a task still running', async () => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'kdf-sim-cli-')), 'scenario.json');
  writeFileSync(
    file,
    JSON.stringify({
      coins: [
        { ticker: 'BTC', protocol: 'UTXO', enabled: true },
        { ticker: 'LN', protocol: 'LIGHTNING', platform: 'BTC' },
      ],
    })
  );
  const { child, url } = await startCli(['--port=0', '--host', '127.0.0.1', '--scenario', file, '--userpass', SECRET]);
  const reply = await fetch(url, {
    method: 'POST',
    body: JSON.stringify({
      mmrpc: '2.0',
      userpass: SECRET,
      method: 'task::enable_lightning::init',
      params: { ticker: 'LN', activation_params: { name: 'n' } },
    }),
  });
  expect(await reply.json()).toEqual({ mmrpc: '2.0', result: { task_id: 0 }, id: null });
  const exited = once(child, 'exit');
  child.kill('SIGINT');
  expect(await exited).toEqual([0, null]);
});

test('--help prints the usage and exits 0', () => {
  const { status, stdout } = runToEnd(['--help']);
  expect(status).toBe(0);
  expect(stdout).toMatch(/^Usage: npm run kdf-sim/);
  for (const flag of ['--port', '--host', '--scenario', '--userpass', '--phase-ms']) expect(stdout).toContain(flag);
});

test.each([
  [['--bogus'], '--bogus'],
  [['--port', 'abc'], '--port'],
  [['--port', '70000'], '--port'],
  [['--phase-ms', '1.5'], '--phase-ms'],
  [['--port'], '--port'],
])('a bad command line %j exits 2 naming %s', (args, flag) => {
  const { status, stderr } = runToEnd(args, SECRET);
  expect(status).toBe(2);
  expect(stderr).toContain(flag);
});

test('no userpass at all is a clear error', () => {
  const { status, stderr } = runToEnd(['--port', '0']);
  expect(status).toBe(2);
  expect(stderr).toContain('no userpass: pass --userpass or set KDF_SIM_USERPASS');
});

test('an invalid scenario file exits 2 naming the file and the field', () => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'kdf-sim-cli-')), 'bad.json');
  writeFileSync(file, JSON.stringify({ coins: [{ ticker: 'BTC', protocol: 'UTXO', enabled: 'yes' }] }));
  const { status, stderr } = runToEnd(['--port', '0', '--scenario', file], SECRET);
  expect(status).toBe(2);
  expect(stderr).toContain(file);
  expect(stderr).toContain('coins[0].enabled');
});
