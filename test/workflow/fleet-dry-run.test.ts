// `fleet MANIFEST --dry-run` through the worker's activities (real Temporal server, simulated KDF nodes): one row per
// pair saying what a run would do, nothing started, exit code by the worst finding.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ExitCode } from '../../client/exit-codes.js';
import type { FleetPlan, PlanRow } from '../../workflows/api.js';
import { cliRun } from '../helpers/cli.js';
import { defaultActivation, EnablementStack, eventually, TEST_USERPASS } from '../helpers/enablement-stack.js';

const INIT = 'task::enable_lightning::init';
const dir = mkdtempSync(path.join(tmpdir(), 'kdf-dry-run-'));
let stack: EnablementStack;

beforeAll(async () => {
  stack = await EnablementStack.start();
});

afterAll(async () => {
  await stack?.teardown();
});

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const dryRun = async (nodes: Record<string, unknown>, ...flags: string[]) => {
  const file = path.join(dir, `fleet-${Object.keys(nodes).length}-${flags.length}-${Date.now()}.yaml`);
  writeFileSync(
    file,
    JSON.stringify({ fleet: 'dry', defaults: { tickers: ['tBTC-lightning'], platformCoin: 'tBTC-segwit' }, nodes })
  );
  return cliRun(['fleet', file, '--dry-run', ...flags], {
    connect: 'real',
    env: { TEMPORAL_ADDRESS: process.env.TEMPORAL_ADDRESS, KDF_TASK_QUEUE: stack.taskQueue, USER: 'tester' },
  });
};

test('a node in each state: down, bad userpass, unknown, platform coin missing, already enabled, running, ready', async () => {
  const ready = await stack.addNode();
  const enabled = await stack.addNode();
  const platformMissing = await stack.addNode();
  const running = await stack.addNode();
  const refusing = await stack.addNode();
  const down = `down-${ready.id}`;
  stack.nodes.set(down, { id: down, url: `http://127.0.0.1:${await closedPort()}/`, userpass: TEST_USERPASS });
  const badUserpass = `badpass-${ready.id}`;
  stack.nodes.set(badUserpass, { id: badUserpass, url: refusing.simulator.url, userpass: 'not-the-userpass' });
  const unknown = `unknown-${ready.id}`;

  const enable = (node: string, ticker: string, timeoutMs?: number) =>
    stack.start({ node, ticker, activationParams: defaultActivation, ...(timeoutMs && { timeoutMs }) });
  expect((await (await enable(enabled.id, 'tBTC-lightning')).result()).outcome).toBe('enabled');
  await enable(running.id, 'tBTC-lightning-hang', 30_000);
  await eventually(
    () => running.simulator.stats().activeTasks,
    (active) => active === 1
  );
  const initsBefore = [ready, enabled, platformMissing, running].map(({ simulator }) => simulator.stats().calls[INIT]);

  const run = await dryRun(
    {
      [ready.id]: {},
      [enabled.id]: {},
      [platformMissing.id]: { platformCoin: 'tBTC-segwit-disabled' },
      [running.id]: { tickers: ['tBTC-lightning-hang'] },
      [down]: {},
      [badUserpass]: {},
      [unknown]: {},
    },
    '--json'
  );
  expect(run.stderr).toBe('');
  const plan = JSON.parse(run.stdout) as FleetPlan & { worst: string; exitCode: number };
  const finding = (node: string): Pick<PlanRow, 'finding'> =>
    ({ finding: plan.rows.find((row) => row.node === node)?.finding }) as Pick<PlanRow, 'finding'>;
  expect(finding(ready.id)).toEqual({ finding: 'ready' });
  expect(finding(enabled.id)).toEqual({ finding: 'already_enabled' });
  expect(finding(platformMissing.id)).toEqual({ finding: 'platform_missing' });
  expect(finding(running.id)).toEqual({ finding: 'running' });
  expect(finding(down)).toEqual({ finding: 'node_down' });
  expect(finding(badUserpass)).toEqual({ finding: 'bad_userpass' });
  expect(finding(unknown)).toEqual({ finding: 'unknown_node' });
  expect(plan.rows.find((row) => row.node === badUserpass)?.detail).toMatch(/^UserpassIsInvalid: /);
  expect(plan.rows.find((row) => row.node === platformMissing.id)?.detail).toBe(
    'platform coin tBTC-segwit-disabled is not enabled'
  );
  expect(plan).toMatchObject({ fleetId: 'dry', total: 7, worst: 'unknown_node', exitCode: ExitCode.nodeRefused });
  expect(run.code).toBe(ExitCode.nodeRefused);
  expect(run.stdout).not.toContain(TEST_USERPASS);
  expect(run.stdout).not.toContain('not-the-userpass');
  // nothing was started
  const initsAfter = [ready, enabled, platformMissing, running].map(({ simulator }) => simulator.stats().calls[INIT]);
  expect(initsAfter).toEqual(initsBefore);

  // the exit code follows the worst finding
  expect(
    (await dryRun({ [ready.id]: {}, [enabled.id]: {}, [running.id]: { tickers: ['tBTC-lightning-hang'] } })).code
  ).toBe(ExitCode.ok);
  expect((await dryRun({ [ready.id]: {}, [platformMissing.id]: { platformCoin: 'tBTC-segwit-disabled' } })).code).toBe(
    ExitCode.failed
  );
  const table = await dryRun({ [ready.id]: {}, [down]: {} });
  expect(table.code).toBe(ExitCode.nodeDown);
  expect(table.stdout).toContain('dry run of fleet dry: 2 pair(s), nothing started');
  expect(table.stdout).toMatch(/NODE\s+TICKER\s+FINDING\s+DETAIL/);
  expect(table.stdout).toMatch(new RegExp(`${ready.id}\\s+tBTC-lightning\\s+ready`));
  expect(table.stdout).toMatch(new RegExp(`${down}\\s+tBTC-lightning\\s+node_down\\s+KdfTransportError`));
  expect(table.stdout).toMatch(/ready 1 · node_down 1/);
}, 120_000);

test('--dry-run refuses --every and --wait (usage, nothing asked)', async () => {
  const run = await cliRun(['fleet', path.resolve('examples/fleet.yaml'), '--dry-run', '--wait']);
  expect(run.code).toBe(ExitCode.usage);
  expect(run.stderr).toContain('--every, --dry-run and --wait exclude each other');
  expect(run.connects).toBe(0);
});
