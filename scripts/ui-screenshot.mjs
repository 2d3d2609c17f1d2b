// `npm run ui-screenshot`: what a browser shows of the Temporal UI that `npm run cluster` serves, the enablements
// listed with the Kdf* search attributes as columns, written as a PNG (default docs/ui-cluster-workflows.png).
// It starts `npm run cluster` in a temporary directory (or, with --ui, uses a running one and TEMPORAL_ADDRESS), runs
// a fleet and a few enablements on the simulated node `local` with the CLI, waits until SQL visibility lists them,
// and has a headless Chromium (scripts/chromium.mjs) load the workflow list filtered on KdfNode. Stops what it
// started, by PID.
import { execFile, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { ensureChromium } from './chromium.mjs';
import { ensureDependencies } from './ensure-deps.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const execFileAsync = promisify(execFile);
/** Aborted on SIGINT/SIGTERM: kills the CLI process running then. */
const interrupted = new globalThis.AbortController();
const NODE = 'local';
/** The workflow list's columns (the UI keeps them per namespace in localStorage under this key). */
const COLUMNS_KEY = 'namespace-workflow-table-columns';
const COLUMNS = ['Status', 'Workflow ID', 'Type', 'KdfNode', 'KdfTicker', 'KdfPhase', 'KdfTaskId', 'KdfFleet', 'Start'];
/**
 * What the list shows: an enabled fleet member, a failed, a cancelled and a running enablement (ticker, KDF
 * listening port, whether the CLI waits for the end). Each ticker on the node has a port of its own.
 */
const ENABLEMENTS = [
  { ticker: 'tBTC-lightning-port-in-use', port: 9736, wait: true },
  { ticker: 'tBTC-lightning-hang', port: 9737, wait: false },
  { ticker: 'tBTC-lightning-slow', port: 9738, wait: false },
];
const CANCELLED = 'tBTC-lightning-hang';

const USAGE = `Usage: npm run ui-screenshot -- [--out FILE] [--ui URL]

Starts \`npm run cluster\` in a temporary directory, runs the fleet of examples/fleet.yaml and enablements of
${ENABLEMENTS.map(({ ticker }) => ticker).join(', ')} on its simulated node "${NODE}" (one cancelled),
and writes a headless Chromium's screenshot of the UI's workflow list with the Kdf* search attributes as columns.

  --out FILE   where the PNG goes (default docs/ui-cluster-workflows.png)
  --ui URL     use the running cluster whose UI this is (TEMPORAL_ADDRESS: its frontend); its workers must know
               the node "${NODE}", as those of \`npm run cluster\` do
  --help       this text
`;

/** @param {string} line */
const say = (line) => process.stderr.write(`[ui-screenshot] ${line}\n`);

async function main() {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: 'docs/ui-cluster-workflows.png' },
      ui: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  ensureDependencies();
  const chromium = ensureChromium();
  let cluster;
  if (values.ui === undefined) {
    cluster = await startCluster();
  } else if (!process.env.TEMPORAL_ADDRESS) {
    throw new Error('--ui: also set TEMPORAL_ADDRESS to that cluster’s frontend');
  }
  const stopOnSignal = async () => {
    interrupted.abort();
    await cluster?.stop();
    process.exit(130);
  };
  process.once('SIGINT', stopOnSignal);
  process.once('SIGTERM', stopOnSignal);
  try {
    const ui = cluster?.ui ?? /** @type {string} */ (values.ui);
    const temporalAddress = cluster?.temporal ?? /** @type {string} */ (process.env.TEMPORAL_ADDRESS);
    await runWorkload(temporalAddress);
    const out = path.resolve(values.out);
    await screenshot(chromium, ui, out);
    say(`written: ${path.relative(process.cwd(), out)}`);
  } finally {
    await cluster?.stop();
  }
}

/**
 * `npm run cluster` (2 workers, UI, simulated node) with its data in a temporary directory, removed after a clean
 * stop; resolves once it has printed its addresses.
 */
async function startCluster() {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'kdf-ui-screenshot-'));
  chmodSync(dataDir, 0o755); // PostgreSQL runs as its own user
  const env = { ...process.env, KDF_CLUSTER_DATA_DIR: dataDir };
  delete env.KDF_NODES_FILE; // the simulated node `local`
  say(`starting npm run cluster (data and logs in ${dataDir})`);
  const child = spawn(process.execPath, [path.join(root, 'scripts', 'cluster.mjs'), '--workers', '2'], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  /** @type {Record<string, string>} */
  const addresses = {};
  for await (const line of createInterface({ input: /** @type {import('node:stream').Readable} */ (child.stdout) })) {
    const match = /^([\w-]+(?: [\w-]+)?): (\S+)$/.exec(line);
    if (match) addresses[/** @type {string} */ (match[1])] = /** @type {string} */ (match[2]);
    if (addresses[`kdf-node ${NODE}`]) break;
  }
  const { temporal, ui } = addresses;
  if (!temporal || !ui) throw new Error(`npm run cluster did not start; see ${path.join(dataDir, 'logs')}`);
  return {
    temporal,
    ui,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM'); // it stops what it started, then exits
      const code = await exited;
      if (code === 0) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Through the CLI, as a user would: the example fleet, the enablements, one cancel; then waits for visibility. */
async function runWorkload(/** @type {string} */ temporalAddress) {
  /** Runs the CLI; resolves with its stdout when its exit code is one of `codes`. */
  const cli = async (/** @type {string[]} */ args, /** @type {number[]} */ codes = [0]) => {
    say(`kdf-lightning ${args.join(' ')}`);
    const command = [path.join(root, 'bin', 'kdf-lightning.js'), ...args];
    const env = { ...process.env, TEMPORAL_ADDRESS: temporalAddress };
    try {
      return (await execFileAsync(process.execPath, command, { cwd: root, env, signal: interrupted.signal })).stdout;
    } catch (error) {
      const { code, stdout, stderr } = /** @type {{ code?: unknown, stdout?: string, stderr?: string }} */ (error);
      if (typeof code === 'number' && codes.includes(code)) return stdout ?? '';
      throw new Error(`kdf-lightning ${args.join(' ')}: exit ${String(code)}\n${stdout ?? ''}${stderr ?? ''}`);
    }
  };
  await cli(['fleet', path.join('examples', 'fleet.yaml'), '--wait']);
  for (const { ticker, port, wait } of ENABLEMENTS) {
    const args = ['enable', '--node', NODE, '--ticker', ticker, '--port', String(port)];
    await cli(wait ? [...args, '--wait'] : args, [0, 2]); // 2: failed, as the port-in-use ticker does
  }
  await cli(['cancel', '--node', NODE, '--ticker', CANCELLED, '--reason', 'ui screenshot'], [0, 3]);
  // visibility is eventually consistent: wait until the list shows every enablement and the cancelled one closed
  const deadline = Date.now() + 120_000;
  for (;;) {
    const listed = /** @type {{ ticker: string, status: string }[]} */ (
      JSON.parse(await cli(['list', '--node', NODE, '--json']))
    );
    const tickers = new Set(listed.map(({ ticker }) => ticker));
    const cancelled = listed.find(({ ticker }) => ticker === CANCELLED);
    if (ENABLEMENTS.every(({ ticker }) => tickers.has(ticker)) && cancelled && cancelled.status !== 'RUNNING') return;
    if (Date.now() > deadline) throw new Error(`visibility did not list the enablements in 120 s: ${[...tickers]}`);
    await sleep(1_000);
  }
}

/**
 * The workflow list filtered on KdfNode, with the Kdf* columns set before the UI loads (as its column picker
 * would store them). @param {{ executable: string, env: Record<string, string> }} chromium @param {string} ui
 * @param {string} out
 */
async function screenshot(chromium, ui, out) {
  const { chromium: launcher } = await import('playwright-core');
  const browser = await launcher.launch({
    executablePath: chromium.executable,
    env: { ...process.env, ...chromium.env },
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1800, height: 560 } });
    const columns = COLUMNS.map((label, index) => ({ label, pinned: index < 2 }));
    await page.addInitScript(
      ([key, value]) => globalThis.localStorage.setItem(key, value),
      [COLUMNS_KEY, JSON.stringify({ default: columns })]
    );
    const query = encodeURIComponent(`KdfNode="${NODE}"`);
    say(`loading ${ui}/namespaces/default/workflows?query=${query}`);
    await page.goto(`${ui}/namespaces/default/workflows?query=${query}`);
    for (const { ticker } of ENABLEMENTS) await page.getByText(ticker, { exact: true }).first().waitFor();
    // the column setting is the UI's own storage: fail rather than save a list without the columns
    for (const label of COLUMNS) await page.locator('th', { hasText: label }).first().waitFor({ timeout: 10_000 });
    mkdirSync(path.dirname(out), { recursive: true });
    await page.screenshot({ path: out });
  } finally {
    await browser.close();
  }
}

main().catch((error) => {
  say(`error: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
