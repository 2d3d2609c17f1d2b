import type { CliIo } from '../../client/cli-program.js';
import { TemporalUnavailableError } from '../../client/errors.js';
import { ExitCode } from '../../client/exit-codes.js';
import { cliRun } from '../helpers/cli.js';

const cli = (argv: string[], connect?: CliIo['connect']) => cliRun(argv, connect && { connect });

describe('bad flags exit 64 naming the flag, without connecting', () => {
  test.each([
    [['enable', '--ticker', 't'], "required option '--node <id>' not specified"],
    [['enable', '--node', 'a'], '--ticker: is required'],
    [
      ['enable', '--node', 'a', '--ticker', 't', '--timeout', 'soon'],
      "option '--timeout <duration>' argument 'soon' is invalid",
    ],
    [['enable', '--node', 'a', '--ticker', 't', '--timeout', '0s'], '--timeout'],
    [['enable', '--node', 'a', '--ticker', 't', '--timeout', '500ms'], '--timeout: must be at least 1s'],
    [['enable', '--node', 'a', '--ticker', 't', '--timeout', '8d'], '--timeout: must be at most 7d'],
    [['enable', '--node', 'a', '--ticker', 't', '--port', 'abc'], "option '--port <port>' argument 'abc' is invalid"],
    [['enable', '--node', 'a', '--ticker', 't', '--port', '70000'], '--port: must be 1-65535'],
    [['enable', '--node', 'a', '--ticker', 't', '--color', '#00ff00'], '--color: must be six hex digits'],
    [['enable', '--node', 'a', '--ticker', 't', '--payment-retries', '-3'], '--payment-retries: must be 0-100'],
    [['enable', '--node', 'a', '--ticker', 't', '--name', 'x'.repeat(33)], '--name: must be at most 32 UTF-8 bytes'],
    [['enable', '--node', 'a b', '--ticker', 't'], '--node: must be 1-64 characters'],
    [['enable', '--node', 'a', '--ticker', 'ok', '--ticker', 'no/pe'], '--ticker: must be 1-64 characters'],
    [['enable', '--node', 'a', '--ticker', 't', '--platform-coin', "x'y"], '--platform-coin: must be'],
    [['enable', '--node', 'a', '--ticker', 't', '--bogus'], "unknown option '--bogus'"],
    [['list', '--outcome', 'weird'], "option '--outcome <outcome>' argument 'weird' is invalid"],
    [
      ['list', '--running', '--outcome', 'failed'],
      "option '--running' cannot be used with option '--outcome <outcome>'",
    ],
    [['list', '--limit', 'ten'], "option '--limit <n>' argument 'ten' is invalid"],
    [['list', '--limit', '0'], '--limit: must be at least 1'],
    [['cancel', '--node', 'a', '--ticker', 't'], "required option '--reason <text>' not specified"],
    [['cancel', '--node', 'a', '--reason', 'x'], '--ticker: is required'],
    [['cancel', '--ticker', 't', '--reason', 'x'], '--node: is required'],
    [['cancel', '--node', 'a', '--ticker', 't', '--reason', '  '], '--reason: must not be empty'],
    [
      ['cancel', '--node', 'a', '--ticker', 't', '--reason', 'r'.repeat(501)],
      '--reason: must be at most 500 characters (got 501)',
    ],
    [
      ['cancel', '--node', 'a', '--ticker', 't', '--reason', 'x', '--by', 'b'.repeat(600)],
      '--by: must be at most 500 characters (got 600)',
    ],
    [['status', '--node', 'a'], "required option '--ticker <ticker>' not specified"],
    [['result', '--ticker', 't'], "required option '--node <id>' not specified"],
    [['bogus'], "unknown command 'bogus'"],
    [['--connect-timeout', 'x', 'list'], "option '--connect-timeout <duration>' argument 'x' is invalid"],
  ])('%j', async (argv, message) => {
    const run = await cli(argv);
    expect(run.stderr).toContain(message);
    expect(run.code).toBe(ExitCode.usage);
    expect(run.connects).toBe(0);
    expect(run.stdout).toBe('');
  });

  test('no command at all prints the help to stderr and exits 64', async () => {
    const run = await cli([]);
    expect(run.code).toBe(64);
    expect(run.stderr).toContain('Usage: kdf-lightning');
  });

  test('--json prints exactly one JSON error document on stdout', async () => {
    for (const argv of [
      ['enable', '--node', 'a', '--ticker', 't', '--color', 'red', '--json'],
      ['enable', '--node', 'a', '--ticker', 't', '--port', 'x', '--json'],
    ]) {
      const run = await cli(argv);
      expect(run.code).toBe(64);
      const doc = JSON.parse(run.stdout) as { error: { code: number; message: string } };
      expect(doc.error.code).toBe(64);
      expect(doc.error.message).toMatch(/--color|--port/);
    }
  });
});

describe('help', () => {
  test.each([
    [['--help']],
    [['enable', '--help']],
    [['cancel', '--help']],
    [['list', '--help']],
    [['watch', '--help']],
    [['status', '--help']],
    [['result', '--help']],
  ])('%j documents the exit codes and exits 0', async (argv) => {
    const run = await cli(argv);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Exit codes:');
    expect(run.stdout).toContain('69  Temporal server unreachable');
    expect(run.connects).toBe(0);
  });
});

describe('Temporal unreachable', () => {
  test('exits 69 with the address in the message (and a JSON error with --json)', async () => {
    const run = await cli(['list', '--json'], async () => {
      throw new TemporalUnavailableError(
        'cannot reach Temporal at 127.0.0.1:1 (Failed to connect before the deadline)'
      );
    });
    expect(run.code).toBe(ExitCode.unavailable);
    expect(run.stderr).toContain('cannot reach Temporal at 127.0.0.1:1');
    expect(JSON.parse(run.stdout)).toMatchObject({ error: { code: 69, kind: 'unavailable' } });
  });

  test('a real connection attempt to a closed port exits 69', async () => {
    const run = await cliRun(
      ['status', '--node', 'a', '--ticker', 't', '--address', '127.0.0.1:1', '--connect-timeout', '1s'],
      { env: {}, connect: 'real' }
    );
    expect(run.code).toBe(ExitCode.unavailable);
  });
});
