// Property-based tests of the CLI's flag handling through its in-process runner: random flag values end in exit
// code 64 with a message naming the flag, or get past validation (to the Temporal connection, stubbed here as
// unreachable: exit 69). Never an unexpected exception (exit 70), never a throw out of runCli.
import fc from 'fast-check';
import { TemporalUnavailableError } from '../../client/errors.js';
import { ExitCode } from '../../client/exit-codes.js';
import { cliRun } from '../helpers/cli.js';
import { validId } from './arbitraries.js';

const run = (argv: string[]) =>
  cliRun(argv, {
    env: {},
    connect: () => Promise.reject(new TemporalUnavailableError('fuzz: Temporal is deliberately unreachable')),
  });

/** Values a user might type: printable text, numbers, dashes, unicode, empty. */
const anyValue = () =>
  fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'grapheme', maxLength: 20 }),
    fc.integer().map(String),
    fc.double().map(String),
    fc.constantFrom('', '-', '--', '-1', '0', '65536', '1e3', 'NaN', ' 5 ', '#ffffff', '90s', '0s', '8d', '1h1h')
  );

const ENABLE_FLAGS = [
  '--node',
  '--ticker',
  '--platform-coin',
  '--name',
  '--port',
  '--color',
  '--payment-retries',
  '--backup-path',
  '--timeout',
  '--task-queue',
] as const;

/** Valid values per flag. */
const validFlags = () =>
  fc.record(
    {
      '--platform-coin': validId(),
      '--name': fc.stringMatching(/^[a-z][a-z0-9-]{0,30}$/),
      '--port': fc.integer({ min: 1, max: 65_535 }).map(String),
      '--color': fc.stringMatching(/^[0-9a-f]{6}$/),
      '--payment-retries': fc.integer({ min: 0, max: 100 }).map(String),
      '--backup-path': fc.stringMatching(/^\/[a-z]{1,10}$/),
      '--timeout': fc.constantFrom('90s', '15m', '1h', '2h30m', '7d'),
    },
    { requiredKeys: [] }
  );

/** Bad values per flag (each one alone must be rejected naming its flag). */
const BAD_VALUES: Record<string, fc.Arbitrary<string>> = {
  '--node': fc.constantFrom('', 'a b', '/x', '-', `n${'x'.repeat(70)}`, 'ä'),
  '--ticker': fc.constantFrom('', 'a b', 'x/y', '.dot', 'é'),
  '--platform-coin': fc.constantFrom('', 'a b', 'x/y'),
  '--name': fc.oneof(fc.constant(''), fc.stringMatching(/^[a-z]{33,40}$/), fc.constant('é'.repeat(17))),
  '--port': fc.oneof(
    fc.constantFrom('0', '65536', '-1', 'abc', '1.5', '', '9735x'),
    fc.integer({ min: 65_536 }).map(String)
  ),
  '--color': fc.constantFrom('', '#ffffff', 'fff', 'gggggg', '1234567'),
  '--payment-retries': fc.constantFrom('-1', '101', 'x', '2.5', ''),
  '--backup-path': fc.constant(''),
  '--timeout': fc.constantFrom('', '10', 'forever', '0s', '8d', '1m1h', '-5s', '500ms'),
};

const asArgv = (flags: Record<string, string>): string[] =>
  Object.entries(flags).map(([flag, value]) => `${flag}=${value}`);

test('valid flags pass validation and reach the (unreachable) Temporal connection: exit 69', async () => {
  await fc.assert(
    fc.asyncProperty(
      validId(),
      fc.uniqueArray(validId(), { minLength: 1, maxLength: 3 }),
      validFlags(),
      async (node, tickers, flags) => {
        const argv = ['enable', `--node=${node}`, ...tickers.map((t) => `--ticker=${t}`), ...asArgv(flags)];
        const result = await run(argv);
        expect(result.code).toBe(ExitCode.unavailable);
        expect(result.connects).toBe(1);
      }
    ),
    { numRuns: 100 }
  );
});

test('one bad flag value: exit 64, the message names that flag, Temporal is never contacted', async () => {
  const flags = Object.keys(BAD_VALUES);
  const corruption = fc.constantFrom(...flags).chain((flag) => BAD_VALUES[flag]!.map((bad) => ({ flag, bad })));
  await fc.assert(
    fc.asyncProperty(
      validId(),
      validId(),
      validFlags(),
      corruption,
      fc.boolean(),
      async (node, ticker, flags, { flag, bad }, json) => {
        const good = { '--node': node, '--ticker': ticker, ...flags };
        const argv = ['enable', ...asArgv({ ...good, [flag]: bad }), ...(json ? ['--json'] : [])];
        const result = await run(argv);
        expect({ code: result.code, connects: result.connects }).toEqual({ code: ExitCode.usage, connects: 0 });
        expect(result.stderr).toContain(flag);
        if (json) {
          const document = JSON.parse(result.stdout) as { error: { code: number; message: string } };
          expect(document.error.code).toBe(ExitCode.usage);
          expect(document.error.message).toContain(flag);
        }
      }
    ),
    { numRuns: 200 }
  );
});

test('random flags and values on every command: exit 64 naming a flag, or past validation; never 70', async () => {
  const commands = ['enable', 'status', 'watch', 'list', 'cancel', 'result', 'fleet-status', 'fleet-cancel'];
  const flag = fc.oneof(
    fc.constantFrom(...ENABLE_FLAGS, '--json', '--wait', '--limit', '--outcome', '--reason', '--by', '--all-running'),
    fc.stringMatching(/^--[a-z][a-z-]{0,12}$/)
  );
  const args = fc.array(fc.tuple(flag, anyValue()), { maxLength: 6 });
  let usage = 0;
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...commands), args, async (command, pairs) => {
      const argv = [command, ...pairs.map(([name, value]) => `${name}=${value}`)];
      const result = await run(argv);
      expect([ExitCode.ok, ExitCode.usage, ExitCode.unavailable]).toContain(result.code);
      if (result.code === ExitCode.usage) {
        usage++;
        expect(result.connects).toBe(0);
        expect(result.stderr).toMatch(/--[a-z]|argument|FLEET_ID/);
      }
      if (result.code === ExitCode.unavailable) expect(result.connects).toBe(1);
    }),
    { numRuns: 200 }
  );
  expect(usage).toBeGreaterThan(50);
});
