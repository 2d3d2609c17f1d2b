/** Scenario validation and loading, and how a ticker's activation is planned over time. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { planActivation } from '../../simulator/activation.js';
import {
  LIGHTNING_PHASES,
  ScenarioError,
  defaultScenario,
  loadScenarioFile,
  parseScenario,
  startSimulator,
} from '../../simulator/index.js';
import { USERPASS, finished, init } from './http.js';

const ok = { ticker: 'BTC', protocol: 'UTXO', enabled: true } as const;

test('the default scenario is valid and has the documented tickers', () => {
  const tickers = parseScenario(defaultScenario).coins.map(({ ticker }) => ticker);
  expect(tickers).toEqual(
    expect.arrayContaining([
      'tBTC-segwit',
      'tBTC-lightning',
      'tBTC-lightning-slow',
      'tBTC-lightning-hang',
      'tBTC-lightning-port-in-use',
      'tBTC-lightning-no-platform',
      'tBTC-lightning-bad-platform',
      'tBTC-lightning-bad-protocol',
      'tBTC-lightning-bad-config',
    ])
  );
});

test.each([
  [{ coins: [{ ...ok, protocol: 'DOGE' }] }, /coins\[0\]\.protocol/],
  [{ coins: [{ ...ok, enabled: 'yes' }] }, /coins\[0\]\.enabled/],
  [
    { coins: [ok, { ticker: 'LN', protocol: 'LIGHTNING', platform: 'BTC', activation: { phaseMs: -1 } }] },
    /coins\[1\]\.activation\.phaseMs/,
  ],
  [
    { coins: [ok, { ticker: 'LN', protocol: 'LIGHTNING', platform: 'BTC', activation: { phaseMs: [1, 2] } }] },
    /coins\[1\]\.activation\.phaseMs/,
  ],
  [
    {
      coins: [ok, { ticker: 'LN', protocol: 'LIGHTNING', platform: 'BTC', activation: { outcome: { kind: 'error' } } }],
    },
    /coins\[1\]\.activation\.outcome\.error/,
  ],
  [
    {
      coins: [
        ok,
        {
          ticker: 'LN',
          protocol: 'LIGHTNING',
          platform: 'BTC',
          activation: { outcome: { kind: 'hang', atPhase: 'Napping' } },
        },
      ],
    },
    /atPhase/,
  ],
  [{ coins: [ok, { ticker: 'LN', protocol: 'LIGHTNING' }] }, /coins\[1\]\.platform/],
  [
    { coins: [ok, { ticker: 'LN', protocol: 'LIGHTNING', platform: 'NOPE' }] },
    /platform NOPE is not one of the scenario's coins/,
  ],
  [{ coins: [{ ...ok, platform: 'BTC' }] }, /only LIGHTNING coins have a platform/],
  [{ coins: [ok, ok] }, /duplicate ticker BTC/],
  [{ coins: [ok], speed: 'fast' }, /speed/],
  [{ coins: [ok, { ticker: 'LN', protocol: 'LIGHTNING', platform: 'BTC', address: 'xyz' }] }, /coins\[1\]\.address/],
])('an invalid scenario is refused naming the field (%#)', (scenario, message) => {
  expect(() => parseScenario(scenario, 'my.json')).toThrow(ScenarioError);
  expect(() => parseScenario(scenario, 'my.json')).toThrow(message);
  expect(() => parseScenario(scenario, 'my.json')).toThrow(/^my\.json is not a valid scenario/);
});

describe('scenario files', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'kdf-sim-scenario-'));
  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    writeFileSync(file, text);
    return file;
  };

  test('a valid file loads, with defaults filled in', async () => {
    const file = write(
      'ok.json',
      JSON.stringify({ coins: [ok, { ticker: 'LN', protocol: 'LIGHTNING', platform: 'BTC' }] })
    );
    const scenario = await loadScenarioFile(file);
    expect(scenario.coins[1]?.activation).toEqual({
      phaseMs: 500,
      registerBeforeOkMs: 100,
      outcome: { kind: 'ok', balance: { spendable: '0', unspendable: '0' } },
    });
  });

  test('a file that is not JSON or does not exist is a ScenarioError naming it', async () => {
    const broken = write('broken.json', '{ coins: ');
    await expect(loadScenarioFile(broken)).rejects.toThrow(new RegExp(`cannot read scenario ${broken}`));
    await expect(loadScenarioFile(path.join(dir, 'missing.json'))).rejects.toThrow(ScenarioError);
  });

  test('the example in simulator/README.md is a valid scenario', async () => {
    const readme = await import('node:fs/promises').then(({ readFile }) => readFile('simulator/README.md', 'utf8'));
    const example = /```json\n([\s\S]*?)\n```/.exec(readme)?.[1];
    expect(example).toBeDefined();
    expect(() => parseScenario(JSON.parse(example as string))).not.toThrow();
  });
});

describe('activation plans', () => {
  const spec = (activation: object) =>
    parseScenario({ coins: [ok, { ticker: 'LN', protocol: 'LIGHTNING', platform: 'BTC', activation }] }).coins[1]!
      .activation;

  test('an Ok plan: a step per phase change, the port bound after InitializingPeerManager, register then finish', () => {
    const plan = planActivation(spec({ phaseMs: 100, registerBeforeOkMs: 30 }), { realistic: false });
    expect(plan.steps.map(({ kind }) => kind)).toEqual([
      'phase',
      'phase',
      'phase',
      'phase',
      'bind-port',
      'phase',
      'phase',
      'phase',
      'register',
      'finish',
    ]);
    expect(
      plan.steps.filter((step) => step.kind === 'phase').map((step) => ('phase' in step ? step.phase : ''))
    ).toEqual(LIGHTNING_PHASES.slice(1));
    expect(plan.steps.find(({ kind }) => kind === 'bind-port')).toEqual({
      at: 500,
      kind: 'bind-port',
      phase: 'InitializingPeerManager',
    });
    expect(plan.steps.slice(-2).map(({ at }) => at)).toEqual([770, 800]);
  });

  test('realistic mode keeps KDF 10 s pause after the last phase; per-phase durations and --phase-ms', () => {
    const realistic = planActivation(spec({ phaseMs: [1, 2, 3, 4, 5, 6, 7, 8] }), { realistic: true });
    expect(realistic.phaseStarts).toEqual([0, 1, 3, 6, 10, 15, 21, 28]);
    expect(realistic.steps.at(-1)).toEqual({
      at: 36 + 10_000,
      kind: 'finish',
      phase: 'ReadingChannelsAddressesFromFile',
    });
    const overridden = planActivation(spec({ phaseMs: 75_000, finalPauseMs: 5 }), { phaseMs: 10, realistic: true });
    expect(overridden.steps.at(-1)).toMatchObject({ at: 85, kind: 'finish' });
  });

  test('error and hang plans stop at their phase', () => {
    const failing = planActivation(
      spec({ phaseMs: 10, outcome: { kind: 'error', atPhase: 'GettingFeesFromRPC', error: 'boom' } }),
      { realistic: false }
    );
    expect(failing.steps).toEqual([
      { at: 10, kind: 'phase', phase: 'GettingFeesFromRPC' },
      {
        at: 20,
        kind: 'fail',
        phase: 'GettingFeesFromRPC',
        error: expect.objectContaining({ error: 'boom', error_type: 'Internal', error_data: 'boom' }),
      },
    ]);
    const hanging = planActivation(spec({ phaseMs: 10, outcome: { kind: 'hang', atPhase: 'ReadingScorerFromFile' } }), {
      realistic: false,
    });
    expect(hanging.steps.at(-1)).toEqual({ at: 50, kind: 'phase', phase: 'ReadingScorerFromFile' });
    expect(hanging.steps.some(({ kind }) => kind === 'bind-port')).toBe(true);
  });
});

test('a programmatic scenario with per-ticker outcome, balance and node id', async () => {
  const address = `03${'ab'.repeat(32)}`;
  const sim = await startSimulator({
    userpass: USERPASS,
    scenario: {
      coins: [
        ok,
        {
          ticker: 'LN',
          protocol: 'LIGHTNING',
          platform: 'BTC',
          address,
          activation: { phaseMs: 5, outcome: { kind: 'ok', balance: { spendable: '0.5', unspendable: '1' } } },
        },
        {
          ticker: 'LN-ERR',
          protocol: 'LIGHTNING',
          platform: 'BTC',
          activation: {
            phaseMs: 5,
            outcome: { kind: 'error', errorType: 'Transport', error: 'down', errorData: { why: 'down' } },
          },
        },
      ],
    },
  });
  try {
    expect(await finished(sim, await init(sim, 'LN'))).toEqual({
      status: 'Ok',
      details: { platform_coin: 'BTC', address, balance: { spendable: '0.5', unspendable: '1' } },
    });
    expect(await finished(sim, await init(sim, 'LN-ERR', { name: 'n', listening_port: 1 }))).toEqual({
      status: 'Error',
      details: {
        error: 'down',
        error_path: 'init_l2.lightning_activation',
        error_trace: expect.any(String),
        error_type: 'Transport',
        error_data: { why: 'down' },
      },
    });
  } finally {
    await sim.stop();
  }
});

test('startSimulator refuses bad options', async () => {
  await expect(startSimulator({ userpass: '' })).rejects.toThrow(/userpass/);
  await expect(startSimulator({ userpass: USERPASS, phaseMs: -1 })).rejects.toThrow(/phaseMs/);
  await expect(
    startSimulator({ userpass: USERPASS, scenario: { coins: [{ ...ok, protocol: 'X' as 'UTXO' }] } })
  ).rejects.toThrow(ScenarioError);
});
