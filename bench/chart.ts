/**
 * bench/results/chart.svg and chart.png: makespan and p95 detection latency against the number of enablements,
 * baseline and kdf-lightning (and kdf-lightning + push with `--push`), from the `--chart` runs, with the issues'
 * targets as dashed lines. Drawn by vega-lite (SVG) and rasterised by resvg with the Inter font shipped in
 * `@expo-google-fonts/inter`, so the PNG looks the same on every machine.
 *
 * @module
 */
import { createRequire } from 'node:module';
import { Resvg } from '@resvg/resvg-js';
import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { RunResult } from './measure.js';
import type { SideSummary } from './summary.js';
import { PUSH_TARGETS, TARGETS } from './targets.js';

export interface Chart {
  svg: string;
  png: Buffer;
}

const FONT = 'Inter';
const require = createRequire(import.meta.url);
const FONT_FILES = ['400Regular/Inter_400Regular.ttf', '600SemiBold/Inter_600SemiBold.ttf'].map((file) =>
  require.resolve(`@expo-google-fonts/inter/${file}`)
);

const SIDES = [
  { label: 'baseline script', color: '#466eb4', side: (run: RunResult) => run.baseline },
  { label: 'kdf-lightning', color: '#e6781e', side: (run: RunResult) => run.temporal },
  { label: 'kdf-lightning + push', color: '#3c9646', side: (run: RunResult) => run.push },
] as const satisfies readonly { label: string; color: string; side: (run: RunResult) => SideSummary | undefined }[];

interface Target {
  label: string;
  /** The target's value at a run, in seconds. */
  at: (run: RunResult) => number;
}

interface Panel {
  title: string;
  axis: string;
  /** The side's value, in seconds. */
  value: (side: SideSummary) => number;
  targets: (withPush: boolean) => Target[];
}

const PANELS: Panel[] = [
  {
    title: 'Makespan',
    axis: 'makespan (s)',
    value: (side) => side.makespanMs / 1000,
    targets: () => [
      {
        label: `reference: ${TARGETS.ratio} × baseline (retired target)`,
        at: (run) => (TARGETS.ratio * run.baseline.makespanMs) / 1000,
      },
    ],
  },
  {
    title: 'p95 detection latency',
    axis: 'p95 detection latency (s)',
    value: (side) => side.p95DetectionLatencyMs / 1000,
    targets: (withPush) => [
      { label: `target: ≤ ${TARGETS.p95DetectionLatencyMs / 1000} s`, at: () => TARGETS.p95DetectionLatencyMs / 1000 },
      ...(withPush
        ? [
            {
              label: `push target: ≤ ${PUSH_TARGETS.p95DetectionLatencyMs / 1000} s`,
              at: () => PUSH_TARGETS.p95DetectionLatencyMs / 1000,
            },
          ]
        : []),
    ],
  },
];

/** The vega-lite specification of the chart (exported for tests). */
export function chartSpec(runs: readonly RunResult[]): TopLevelSpec {
  // the push series only when every run has that side (`--push`)
  const sides = SIDES.filter(({ side }) => runs.length > 0 && runs.every((run) => side(run) !== undefined));
  const withPush = sides.some(({ label }) => label === 'kdf-lightning + push');
  const counts = runs.map((run) => run.config.enablements);
  const first = runs[0]?.config;
  const x = {
    field: 'enablements',
    type: 'quantitative' as const,
    title: 'enablements',
    axis: { values: counts, format: 'd' },
    scale: { domain: [0, Math.max(...counts, 1)] },
  };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'kdf-lightning vs a plain init-and-poll script',
      subtitle: first ? `${first.nodes} nodes, 8 phases of ${first.phaseMs} ms each` : 'no runs',
      anchor: 'start',
    },
    background: 'white',
    config: {
      font: FONT,
      view: { stroke: null },
      axis: { labelFontSize: 12, titleFontSize: 13, titleFontWeight: 600, gridColor: '#e6e6e6' },
      legend: { labelFontSize: 12, labelLimit: 0, orient: 'bottom', columns: 3, columnPadding: 24 },
      title: { fontSize: 18, subtitleFontSize: 13, subtitleColor: '#555' },
    },
    hconcat: PANELS.map((panel) => {
      const targets = panel.targets(withPush);
      const targetRows = runs.flatMap((run) =>
        targets.map((target) => ({ enablements: run.config.enablements, target: target.label, value: target.at(run) }))
      );
      const y = { field: 'value', type: 'quantitative' as const, title: panel.axis };
      return {
        title: { text: panel.title, fontSize: 15 },
        width: 420,
        height: 300,
        layer: [
          {
            data: {
              values: runs.flatMap((run) =>
                sides.map(({ label, side }) => ({
                  enablements: run.config.enablements,
                  side: label,
                  value: panel.value(side(run) as SideSummary),
                }))
              ),
            },
            mark: { type: 'line', point: { size: 60 }, strokeWidth: 2.5 },
            encoding: {
              x,
              y,
              color: {
                field: 'side',
                type: 'nominal',
                title: null,
                scale: { domain: sides.map(({ label }) => label), range: sides.map(({ color }) => color) },
              },
            },
          },
          {
            data: { values: targetRows },
            mark: { type: 'line', strokeDash: [6, 4], strokeWidth: 1.5, color: '#777' },
            encoding: { x, y, detail: { field: 'target', type: 'nominal' } },
          },
          {
            data: { values: targetRows.filter((row) => row.enablements === Math.max(...counts)) },
            mark: { type: 'text', align: 'right', baseline: 'bottom', dy: -4, fontSize: 11, color: '#555' },
            encoding: { x, y, text: { field: 'target', type: 'nominal' } },
          },
        ],
      };
    }),
    resolve: { scale: { color: 'shared' } },
  };
}

export async function drawChart(runs: readonly RunResult[]): Promise<Chart> {
  const view = new View(parse(compile(chartSpec(runs)).spec), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    const png = new Resvg(svg, {
      font: { fontFiles: FONT_FILES, loadSystemFonts: false, defaultFontFamily: FONT },
      fitTo: { mode: 'zoom', value: 2 },
      background: 'white',
    })
      .render()
      .asPng();
    return { svg, png };
  } finally {
    view.finalize();
  }
}
