/**
 * `npm run kdf-sim -- --port P [--host H] [--scenario FILE] [--userpass X] [--phase-ms N] [--realistic] [--event-stream]`
 *
 * Prints exactly one line on stdout when ready: `kdf-sim listening on http://HOST:PORT`. Exit codes: 0 after
 * SIGINT/SIGTERM, 1 when the server cannot start, 2 for a bad command line or scenario.
 *
 * @module
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { ScenarioError, defaultScenario, loadScenarioFile, startSimulator } from './index.js';

const USAGE = `Usage: npm run kdf-sim -- [options]

Serves the RPC API of a KDF node for lightning activation (see simulator/README.md).

Options:
  --port <port>        port to listen on, 0 for a free one (default: 7783, KDF's default rpcport)
  --host <host>        address to bind (default: 127.0.0.1)
  --scenario <file>    scenario JSON file (default: the built-in scenario)
  --userpass <secret>  RPC password; better: the KDF_SIM_USERPASS environment variable,
                       since other users can read command lines
  --phase-ms <ms>      duration of every lightning phase, overriding the scenario
  --realistic          keep KDF's 10 s pause after the last phase
  --event-stream       serve GET /event-stream, as KDF with event_streaming_configuration does
  -h, --help           show this help
`;

/** Thrown for a bad command line; exit code 2. */
class UsageError extends Error {
  override name = 'UsageError';
}

const wholeNumber = z.string().regex(/^\d+$/, 'must be a whole number').transform(Number);

const Flags = z.object({
  port: wholeNumber.pipe(z.number().max(65535, 'must be at most 65535')).default(7783),
  host: z.string().min(1, 'must not be empty').default('127.0.0.1'),
  scenario: z.string().min(1, 'must not be empty').optional(),
  userpass: z.string().min(1, 'must not be empty').optional(),
  'phase-ms': wholeNumber.optional(),
  realistic: z.boolean().default(false),
  'event-stream': z.boolean().default(false),
});

function parseFlags(args: string[]) {
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        scenario: { type: 'string' },
        userpass: { type: 'string' },
        'phase-ms': { type: 'string' },
        realistic: { type: 'boolean' },
        'event-stream': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values['help'] === true) return undefined;
  const flags = Flags.safeParse(values);
  if (!flags.success) {
    throw new UsageError(flags.error.issues.map((issue) => `--${String(issue.path[0])}: ${issue.message}`).join('\n'));
  }
  return flags.data;
}

async function run(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  if (flags === undefined) {
    process.stdout.write(USAGE);
    return;
  }
  const userpass = flags.userpass ?? process.env['KDF_SIM_USERPASS'];
  if (userpass === undefined || userpass === '') {
    throw new UsageError('no userpass: pass --userpass or set KDF_SIM_USERPASS');
  }
  const scenario = flags.scenario === undefined ? defaultScenario : await loadScenarioFile(flags.scenario);
  const simulator = await startSimulator({
    userpass,
    host: flags.host,
    port: flags.port,
    scenario: {
      ...scenario,
      ...(flags.realistic && { realistic: true }),
      ...(flags['event-stream'] && { eventStreaming: true }),
    },
    ...(flags['phase-ms'] !== undefined && { phaseMs: flags['phase-ms'] }),
  });
  process.stdout.write(`kdf-sim listening on ${simulator.url.replace(/\/$/, '')}\n`);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void simulator.stop());
  }
}

run().catch((error: unknown) => {
  const usage = error instanceof UsageError || error instanceof ScenarioError;
  console.error(`kdf-sim: ${(error as Error).message}${usage ? '\nRun with --help for usage.' : ''}`);
  process.exit(usage ? 2 : 1);
});
