/**
 * bench/results/chart.png: makespan and p95 detection latency against the number of enablements, baseline and
 * kdf-lightning (and kdf-lightning + push with `--push`), from the `--chart` runs.
 *
 * @module
 */
import { Canvas, type Color } from './canvas.js';
import type { RunResult } from './measure.js';
import type { SideSummary } from './summary.js';

const WIDTH = 1000;
const HEIGHT = 440;
const WHITE: Color = [255, 255, 255];
const INK: Color = [40, 40, 40];
const GRID: Color = [225, 225, 225];

interface Series {
  label: string;
  color: Color;
  side: (run: RunResult) => SideSummary | undefined;
}

const SERIES: Series[] = [
  { label: 'BASELINE SCRIPT', color: [70, 110, 180], side: (run) => run.baseline },
  { label: 'KDF-LIGHTNING', color: [230, 120, 30], side: (run) => run.temporal },
  { label: 'KDF-LIGHTNING + PUSH', color: [60, 150, 70], side: (run) => run.push },
];

interface Panel {
  title: string;
  /** The side's value, in seconds. */
  value: (side: SideSummary) => number;
}

const PANELS: Panel[] = [
  { title: 'MAKESPAN (S)', value: (side) => side.makespanMs / 1000 },
  { title: 'P95 DETECTION LATENCY (S)', value: (side) => side.p95DetectionLatencyMs / 1000 },
];

export function drawChart(runs: readonly RunResult[]): Buffer {
  const canvas = new Canvas(WIDTH, HEIGHT, WHITE);
  const first = runs[0];
  if (first) {
    const { nodes, phaseMs } = first.config;
    canvas.text(40, 16, `KDF-LIGHTNING VS PLAIN SCRIPT: ${nodes} NODES, 8 PHASES OF ${phaseMs} MS`, INK);
  }
  // the push series only when every run has that side (`--push`)
  const series = SERIES.filter(({ side }) => runs.length > 0 && runs.every((run) => side(run) !== undefined));
  let legendX = 40;
  for (const { label, color } of series) {
    canvas.fillRect(legendX, 48, 24, 4, color);
    canvas.text(legendX + 32, 44, label, INK);
    legendX += 32 + canvas.textWidth(label) + 40;
  }
  const panelWidth = WIDTH / PANELS.length;
  PANELS.forEach((panel, index) => drawPanel(canvas, panel, series, runs, index * panelWidth, panelWidth));
  return canvas.toPng();
}

function drawPanel(
  canvas: Canvas,
  panel: Panel,
  series: readonly Series[],
  runs: readonly RunResult[],
  left: number,
  width: number
): void {
  const valueOf = (run: RunResult, { side }: Series) => panel.value(side(run) as SideSummary);
  const plot = { left: left + 80, right: left + width - 30, top: 110, bottom: HEIGHT - 60 };
  canvas.text(plot.left, 84, panel.title, INK);
  const counts = runs.map((run) => run.config.enablements);
  const maxCount = Math.max(...counts);
  const { step, max } = niceScale(Math.max(...runs.flatMap((run) => series.map((one) => valueOf(run, one)))));
  const x = (count: number) => plot.left + ((plot.right - plot.left) * count) / maxCount;
  const y = (value: number) => plot.bottom - ((plot.bottom - plot.top) * value) / max;

  for (let value = 0; value <= max + step / 2; value += step) {
    canvas.line(plot.left, y(value), plot.right, y(value), GRID);
    const label = formatTick(value, step);
    canvas.text(plot.left - 10 - canvas.textWidth(label), y(value) - canvas.textHeight() / 2, label, INK);
  }
  for (const count of counts) {
    canvas.line(x(count), plot.bottom, x(count), plot.bottom + 6, INK, 2);
    const label = String(count);
    canvas.text(x(count) - canvas.textWidth(label) / 2, plot.bottom + 12, label, INK);
  }
  canvas.line(plot.left, plot.top, plot.left, plot.bottom, INK, 2);
  canvas.line(plot.left, plot.bottom, plot.right, plot.bottom, INK, 2);
  canvas.text((plot.left + plot.right) / 2 - canvas.textWidth('ENABLEMENTS') / 2, plot.bottom + 34, 'ENABLEMENTS', INK);

  series.forEach((one) => {
    const points = runs.map((run) => ({ x: x(run.config.enablements), y: y(valueOf(run, one)) }));
    points.forEach((point, index) => {
      const previous = points[index - 1];
      if (previous) canvas.line(previous.x, previous.y, point.x, point.y, one.color, 3);
      canvas.fillRect(point.x - 4, point.y - 4, 9, 9, one.color);
    });
  });
}

/** An axis from 0 in steps of 1, 2 or 5 × 10^k, about five of them. */
function niceScale(maxValue: number): { step: number; max: number } {
  const raw = (maxValue > 0 ? maxValue : 1) / 5;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((factor) => factor * magnitude >= raw) as number) * magnitude;
  return { step, max: Math.ceil(maxValue / step) * step || step };
}

function formatTick(value: number, step: number): string {
  const decimals = Math.max(0, -Math.floor(Math.log10(step)));
  return value.toFixed(decimals);
}
