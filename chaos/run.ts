// `tsx chaos/run.ts [--enablements N] [--seconds S] [--nodes K] [--seed X] [--keep] …`: the chaos run, with a table.
// Exit code 0 when every check holds (correct outcomes, counts add up, nothing lost, stuck or duplicated, every
// compensation workflow ended, no task left running), else 1. The checks are defined in chaos/checks.ts.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { formatReport, passed, runChaos, type ChaosReport } from './harness.js';

const { values } = parseArgs({
  options: {
    enablements: { type: 'string', default: '300' },
    seconds: { type: 'string', default: '120' },
    nodes: { type: 'string' },
    seed: { type: 'string' },
    'worker-kills': { type: 'string', default: '4' },
    'dev-server-restarts': { type: 'string', default: '2' },
    'simulator-restarts': { type: 'string', default: '3' },
    'fault-bursts': { type: 'string', default: '2' },
    'hang-members': { type: 'string' },
    'cancel-outages': { type: 'string' },
    'refused-members': { type: 'string' },
    cluster: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    report: { type: 'string' },
    'no-malformed': { type: 'boolean', default: false },
    'no-lost-responses': { type: 'boolean', default: false },
    'no-background-errors': { type: 'boolean', default: false },
    'no-complete-on-cancel': { type: 'boolean', default: false },
    'no-restart-after-ok': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  process.stdout.write(
    'usage: tsx chaos/run.ts [--enablements N] [--seconds S] [--nodes K] [--seed X] [--worker-kills N] [--cluster]\n' +
      '                        [--dev-server-restarts N] [--simulator-restarts N] [--fault-bursts N]\n' +
      '                        [--hang-members N] [--cancel-outages N] [--refused-members N]\n' +
      '                        [--no-malformed] [--no-lost-responses] [--no-background-errors]\n' +
      '                        [--no-complete-on-cancel] [--no-restart-after-ok] [--keep] [--report FILE]\n' +
      '\n' +
      'Defaults: 300 enablements on one node per 10, a 120 s disruption window, 4 worker kills, 2 dev-server\n' +
      'restarts, 3 simulator restarts, 2 fault bursts (10 s of 5xx, resets or truncated bodies); one member in 10\n' +
      'fails (a KDF task error), one in 50 hangs with a 15 s deadline (--hang-members), half of those see their\n' +
      "node's cancels answer 503 for 35 s around the deadline (--cancel-outages), one in 100 has a platform\n" +
      'without segwit, which KDF refuses at init (--refused-members). Every node has latency, 5xx, resets,\n' +
      'truncated bodies, lost and late replies and cancels that lose to a completion at a low rate; one node\n' +
      'restarts right after its first Ok status reply. --keep keeps the worker and dev-server logs; --report\n' +
      'writes the whole report as JSON (every pair; the histories of incorrect, residual and hanging members).\n' +
      '--cluster runs it on the Temporal server with PostgreSQL (npm run cluster) instead of the dev server; its\n' +
      'restarts then alternate between the Temporal server and PostgreSQL (immediate shutdown).\n'
  );
  process.exit(0);
}

function integer(name: string, value: string | undefined, min = 1): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < min) {
    process.stderr.write(`chaos: --${name} must be an integer >= ${min}, got "${value}"\n`);
    process.exit(64);
  }
  return number;
}

const optional = <K extends string>(key: K, value: number | undefined) =>
  (value === undefined ? {} : { [key]: value }) as Partial<Record<K, number>>;

const report: ChaosReport = await runChaos({
  enablements: integer('enablements', values.enablements) ?? 300,
  seconds: integer('seconds', values.seconds) ?? 120,
  ...optional('nodes', integer('nodes', values.nodes)),
  ...optional('seed', integer('seed', values.seed, 0)),
  workerKills: integer('worker-kills', values['worker-kills'], 0) ?? 4,
  cluster: values.cluster,
  devServerRestarts: integer('dev-server-restarts', values['dev-server-restarts'], 0) ?? 2,
  simulatorRestarts: integer('simulator-restarts', values['simulator-restarts'], 0) ?? 3,
  faultBursts: integer('fault-bursts', values['fault-bursts'], 0) ?? 2,
  ...optional('hangMembers', integer('hang-members', values['hang-members'], 0)),
  ...optional('cancelOutages', integer('cancel-outages', values['cancel-outages'], 0)),
  ...optional('refusedMembers', integer('refused-members', values['refused-members'], 0)),
  keepDir: values.keep,
  malformedFaults: !values['no-malformed'],
  lostResponses: !values['no-lost-responses'],
  backgroundErrors: !values['no-background-errors'],
  ...(values['no-complete-on-cancel'] && { completeOnCancel: 0 }),
  restartAfterOk: !values['no-restart-after-ok'],
});
process.stdout.write(formatReport(report));
if (values.report !== undefined) writeFileSync(values.report, `${JSON.stringify(report, null, 2)}\n`);
const ok = passed(report);
process.stdout.write(ok ? 'chaos: all checks passed\n' : 'chaos: CHECKS FAILED\n');
process.exit(ok ? 0 : 1);
