// `tsx chaos/run.ts [--enablements N] [--seconds S] [--nodes K] [--seed X] [--keep]`: the chaos run, with a table.
// Exit code 0 when every check holds (correct outcomes, counts add up, nothing lost, stuck or duplicated), else 1.
import { parseArgs } from 'node:util';
import { formatReport, runChaos, type ChaosReport } from './harness.js';

const { values } = parseArgs({
  options: {
    enablements: { type: 'string', default: '300' },
    seconds: { type: 'string', default: '120' },
    nodes: { type: 'string' },
    seed: { type: 'string' },
    'worker-kills': { type: 'string', default: '4' },
    'dev-server-restarts': { type: 'string', default: '2' },
    'simulator-restarts': { type: 'string', default: '3' },
    keep: { type: 'boolean', default: false },
    'no-malformed': { type: 'boolean', default: false },
    'no-lost-responses': { type: 'boolean', default: false },
    'no-background-errors': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  process.stdout.write(
    'usage: tsx chaos/run.ts [--enablements N] [--seconds S] [--nodes K] [--seed X] [--worker-kills N]\n' +
      '                        [--dev-server-restarts N] [--simulator-restarts N] [--no-malformed]\n' +
      '                        [--no-lost-responses] [--no-background-errors] [--keep]\n'
  );
  process.exit(0);
}

function positive(name: string, value: string | undefined, min = 1): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < min) {
    process.stderr.write(`chaos: --${name} must be an integer >= ${min}, got "${value}"\n`);
    process.exit(64);
  }
  return number;
}

const nodes = positive('nodes', values.nodes);
const seed = positive('seed', values.seed, 0);
const report: ChaosReport = await runChaos({
  enablements: positive('enablements', values.enablements) ?? 300,
  seconds: positive('seconds', values.seconds) ?? 120,
  ...(nodes !== undefined && { nodes }),
  ...(seed !== undefined && { seed }),
  workerKills: positive('worker-kills', values['worker-kills'], 0) ?? 4,
  devServerRestarts: positive('dev-server-restarts', values['dev-server-restarts'], 0) ?? 2,
  simulatorRestarts: positive('simulator-restarts', values['simulator-restarts'], 0) ?? 3,
  keepDir: values.keep,
  malformedFaults: !values['no-malformed'],
  lostResponses: !values['no-lost-responses'],
  backgroundErrors: !values['no-background-errors'],
});
process.stdout.write(formatReport(report));
const ok =
  report.countsAddUp &&
  report.incorrect.length === 0 &&
  report.lost.length === 0 &&
  report.stuck.length === 0 &&
  report.duplicates === 0;
process.stdout.write(ok ? 'chaos: all checks passed\n' : 'chaos: CHECKS FAILED\n');
process.exit(ok ? 0 : 1);
