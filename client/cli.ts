// Entry point of `npx kdf-lightning` (bin/kdf-lightning.js loads this through tsx).
import { runCli } from './cli-program.js';

const code = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
// flush stdout (a pipe may be asynchronous) before exiting: gRPC handles would otherwise keep the process alive
process.stdout.write('', () => process.exit(code));
