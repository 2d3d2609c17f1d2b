// The ops kit in deploy/: the alert rules pass `promtool check rules` and their unit tests (alerts.test.yml); the
// Grafana dashboard is import-ready and its queries are valid PromQL; and every metric the two name is one a real
// worker exports, scraped from its /metrics after enablements that end enabled, failed and timed out (on a reachable
// node and on an unreachable one).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { cli, freePort, ROOT, startSimulatorProcess, startWorkerProcess, uniqueId } from '../e2e/helpers.js';
import type { Proc } from '../e2e/helpers.js';

interface Rule {
  alert: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface Target {
  expr: string;
  datasource: { type: string; uid: string };
}
interface Panel {
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  targets?: Target[];
}
interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: { name: string; type: string; query: unknown }[] };
}

const read = (file: string): string => readFileSync(path.join(ROOT, file), 'utf8');
const rules = (parseYaml(read('deploy/prometheus/alerts.yml')) as { groups: { rules: Rule[] }[] }).groups.flatMap(
  (group) => group.rules
);
const dashboard = JSON.parse(read('deploy/grafana/kdf-lightning.json')) as Dashboard;
const queries = dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr));
const scratch = mkdtempSync(path.join(tmpdir(), 'kdf-ops-'));

/** Series names a PromQL expression reads (`up` is Prometheus' own, per scrape target). */
const metricNames = (expr: string): string[] => [...new Set(expr.match(/\b(?:kdf|temporal)_[a-z0-9_]+\b/g) ?? [])];

/** Labels an expression groups or filters by, but Prometheus' own (`instance`, `job`) and the histograms' `le`. */
const labelNames = (expr: string): string[] => {
  const grouped = [...expr.matchAll(/\b(?:by|on) \(([^)]*)\)/g)].flatMap((match) => (match[1] ?? '').split(','));
  const matched = [...expr.matchAll(/(\w+)(?:=~|!=|=)"/g)].map((match) => match[1] ?? '');
  const own = new Set(['instance', 'job', 'le', '']);
  return [...new Set([...grouped, ...matched].map((name) => name.trim()))].filter((name) => !own.has(name));
};

/** promtool from Debian's package, fetched into .tools/ on first use (scripts/promtool.mjs). */
const promtool = (...args: string[]): string => {
  const bin = execFileSync(process.execPath, [path.join(ROOT, 'scripts/promtool.mjs')], { encoding: 'utf8' }).trim();
  return execFileSync(bin, args, { encoding: 'utf8' });
};

describe('alert rules', () => {
  test('pass promtool check rules', () => {
    expect(promtool('check', 'rules', path.join(ROOT, 'deploy/prometheus/alerts.yml'))).toContain(
      `SUCCESS: ${rules.length} rules found`
    );
  });

  test("are loaded by the compose stack's Prometheus configuration, which promtool accepts", () => {
    expect(promtool('check', 'config', path.join(ROOT, 'deploy/prometheus/prometheus.yml'))).toContain(
      'is valid prometheus config file syntax'
    );
  });

  test('each fires on the situation it is for and not on a healthy node (promtool test rules)', () => {
    expect(promtool('test', 'rules', path.join(ROOT, 'deploy/prometheus/alerts.test.yml'))).toContain('SUCCESS');
  });

  test('cover what wakes someone, each with a severity, a summary and a description', () => {
    expect(rules.map((rule) => rule.alert).sort()).toEqual([
      'KdfCompensationNotConfirmed',
      'KdfEnablementStuckPastDeadline',
      'KdfEnablementsFailing',
      'KdfNodeUnreachable',
      'KdfWorkerWithoutPollers',
    ]);
    for (const rule of rules) {
      expect(rule.labels?.severity).toMatch(/^(warning|critical)$/);
      expect(rule.annotations?.summary).toBeTruthy();
      expect(rule.annotations?.description).toBeTruthy();
    }
  });
});

describe('dashboard', () => {
  test('import-ready: the data source is a variable every panel and query uses', () => {
    expect(dashboard).toMatchObject({ uid: 'kdf-lightning', title: 'kdf-lightning' });
    expect(dashboard.templating.list).toContainEqual(
      expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' })
    );
    const panels = dashboard.panels.filter((panel) => panel.type !== 'row');
    expect(panels.length).toBeGreaterThan(15);
    for (const panel of panels) {
      expect([panel.title, panel.datasource]).toEqual([panel.title, { type: 'prometheus', uid: '${datasource}' }]);
      for (const target of panel.targets ?? []) expect(target.datasource.uid).toBe('${datasource}');
    }
    expect(JSON.stringify(dashboard)).not.toMatch(/\$\{DS_|"uid":\s*"(?!\$\{datasource\}|kdf-lightning)[^"]*"/);
  });

  test('every query is valid PromQL (checked by promtool as recording rules)', () => {
    const grafanaVariables = (expr: string) =>
      expr.replaceAll('$__rate_interval', '1m').replaceAll('$__range', '1h').replaceAll('$node', '.*');
    const file = path.join(scratch, 'dashboard-queries.yml');
    writeFileSync(
      file,
      stringifyYaml({
        groups: [
          {
            name: 'dashboard',
            rules: queries.map((expr, index) => ({ record: `dashboard:query_${index}`, expr: grafanaVariables(expr) })),
          },
        ],
      })
    );
    expect(promtool('check', 'rules', file)).toContain(`SUCCESS: ${queries.length} rules found`);
  });
});

describe('a running worker exports every metric the alerts and the dashboard name', () => {
  const procs: Proc[] = [];
  let exported: Set<string>;
  /** series name → the label names it carries in the scrape */
  const labelsOf = new Map<string, Set<string>>();
  let scraped: string;
  let node: string;

  beforeAll(async () => {
    const scenario = path.join(scratch, 'scenario.json');
    const lightning = (ticker: string, outcome: object) => ({
      ticker,
      protocol: 'LIGHTNING',
      platform: 'BTC-segwit',
      activation: { phaseMs: 100, outcome },
    });
    writeFileSync(
      scenario,
      JSON.stringify({
        eventStreaming: true,
        coins: [
          { ticker: 'BTC-segwit', protocol: 'UTXO', enabled: true },
          lightning('BTC-lightning', { kind: 'ok', balance: { spendable: '0', unspendable: '0' } }),
          lightning('BTC-lightning-fails', {
            kind: 'error',
            atPhase: 'InitializingChannelManager',
            errorType: 'Internal',
            error: 'Error while reading the channel manager',
            errorPath: 'init_l2.lightning_activation',
          }),
          lightning('BTC-lightning-stuck', { kind: 'hang', atPhase: 'ReadingNetworkGraphFromFile' }),
        ],
      })
    );
    const sim = await startSimulatorProcess({ scenario });
    procs.push(sim.proc);
    node = uniqueId('ops');
    const down = uniqueId('ops-down');
    const nodesFile = path.join(scratch, 'nodes.json');
    const userpassEnv = 'KDF_TEST_USERPASS';
    const unreachable = `http://127.0.0.1:${await freePort()}/`;
    writeFileSync(
      nodesFile,
      JSON.stringify({
        nodes: {
          [node]: { url: sim.url, userpassEnv, eventStream: true },
          [down]: { url: unreachable, userpassEnv, requestTimeoutMs: 500 },
        },
      })
    );
    const taskQueue = uniqueId('ops-kit');
    const metricsPort = await freePort();
    procs.push(
      await startWorkerProcess({
        KDF_TASK_QUEUE: taskQueue,
        KDF_NODES_FILE: nodesFile,
        KDF_METRICS_ADDRESS: `127.0.0.1:${metricsPort}`,
        // evictions, so that sticky cache misses show
        KDF_MAX_CACHED_WORKFLOWS: '1',
      })
    );
    const enable = (args: string[]) => cli(['enable', ...args, '--wait', '--json'], { KDF_TASK_QUEUE: taskQueue });
    const codes = await Promise.all([
      enable(['--node', node, '--ticker', 'BTC-lightning']),
      enable(['--node', node, '--ticker', 'BTC-lightning-fails']),
      enable(['--node', node, '--ticker', 'BTC-lightning-stuck', '--timeout', '3s']),
      enable(['--node', down, '--ticker', 'BTC-lightning', '--timeout', '3s']),
    ]).then((runs) => runs.map((run) => run.code));
    expect(codes).toEqual([0, 2, 4, 4]);
    scraped = await fetch(`http://127.0.0.1:${metricsPort}/metrics`).then((response) => response.text());
    exported = new Set(scraped.match(/^[a-z_][a-z0-9_]*(?=[{ ])/gm) ?? []);
    for (const [, name, labels] of scraped.matchAll(/^([a-z_][a-z0-9_]*)\{([^}]*)\}/gm)) {
      const names = labelsOf.get(name as string) ?? new Set<string>();
      for (const [, label] of (labels as string).matchAll(/(\w+)="/g)) names.add(label as string);
      labelsOf.set(name as string, names);
    }
  }, 180_000);

  afterAll(async () => {
    for (const proc of procs.reverse()) await proc.stop('SIGTERM');
  }, 60_000);

  test.each(rules.map((rule) => [rule.alert, rule.expr]))('alert %s', (_alert, expr) => {
    const names = metricNames(expr);
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((name) => !exported.has(name))).toEqual([]);
  });

  test('dashboard queries', () => {
    const names = [...new Set(queries.flatMap(metricNames))];
    expect(names.length).toBeGreaterThan(15);
    expect(names.filter((name) => !exported.has(name))).toEqual([]);
  });

  test('every label a query groups or filters by is on a series it reads', () => {
    const missing = [...rules.map((rule) => rule.expr), ...queries].flatMap((expr) =>
      labelNames(expr)
        .filter((label) => !metricNames(expr).some((name) => labelsOf.get(name)?.has(label)))
        .map((label) => `${label} in ${expr}`)
    );
    expect(missing).toEqual([]);
  });

  test('the counters exported at zero are the series the workflows count on (one per node and outcome)', () => {
    const series = (name: string) =>
      scraped.split('\n').filter((line) => line.startsWith(`${name}{`) && line.includes(`node="${node}"`));
    expect(series('kdf_enablements_total').map((line) => line.replace(/^.*outcome="(\w+)".* (\d+)$/, '$1 $2'))).toEqual(
      expect.arrayContaining(['enabled 1', 'failed 1', 'timed_out 1', 'cancelled 0'])
    );
    expect(series('kdf_enablements_total')).toHaveLength(4);
    for (const name of ['kdf_deadlines_passed_total', 'kdf_deadlines_settled_total']) {
      expect(series(name).map((line) => line.split(' ').pop())).toEqual(['1']);
    }
    expect(series('kdf_compensations_unconfirmed_total').map((line) => line.split(' ').pop())).toEqual(['0']);
  });
});
