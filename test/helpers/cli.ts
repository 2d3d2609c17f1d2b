// The CLI run in-process, its output captured: what every CLI test needs.
import { runCli } from '../../client/cli-program.js';
import type { CliIo } from '../../client/cli-program.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** How many times the CLI asked for a Temporal client. */
  connects: number;
}

export interface CliRunOptions {
  env?: CliIo['env'];
  /**
   * How the CLI gets its Temporal client. `'real'`: its own default (`connectClient` with `env`). Absent: connecting
   * fails the test, for commands that must stop before they connect.
   */
  connect?: CliIo['connect'] | 'real';
  /** Also receives each chunk written to stdout, as it is written. */
  onStdout?: (text: string) => void;
}

export async function cliRun(argv: readonly string[], options: CliRunOptions = {}): Promise<CliRun> {
  const { env = { USER: 'tester' }, connect, onStdout } = options;
  const run: CliRun = { code: -1, stdout: '', stderr: '', connects: 0 };
  const io: CliIo = {
    stdout: {
      write: (text: string) => {
        run.stdout += text;
        onStdout?.(text);
      },
    },
    stderr: { write: (text: string) => (run.stderr += text) },
    env,
  };
  if (connect !== 'real') {
    io.connect = async (config) => {
      run.connects += 1;
      if (connect) return connect(config);
      throw new Error('must not connect to Temporal on bad usage');
    };
  }
  run.code = await runCli(argv, io);
  return run;
}
