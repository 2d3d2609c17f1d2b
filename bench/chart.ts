/**
 * bench/results/chart.png: makespan and p95 detection latency against the number of enablements, baseline and
 * kdf-lightning, from the `--chart` runs.
 *
 * @module
 */
import { Canvas, type Color } from './canvas.js';
import type { RunResult } from './measure.js';

const WIDTH = 1000;
const HEIGHT = 440;
const WHITE: Color = [255, 255, 255];
const INK: Color = [40, 40, 40];
const GRID: Color = [225, 225, 225];
const SERIES: { label: string; color: Color }[] = [
  { label: 'BASELINE SCRIPT', color: [70, 110, 180] },
  { label: 'KDF-LIGHTNING', color: [230, 120, 30] },
];

interface Panel {
  title: string;
  /** One value per run for each series, in seconds. */
  values: (run: RunResult) => [baseline: number, temporal: number];
}

const PANELS: Panel[] = [
  { title: 'MAKESPAN (S)', values: (run) => [run.baseline.makespanMs / 1000, run.temporal.makespanMs / 1000] },
  {
    title: 'P95 DETECTION LATENCY (S)',
    values: (run) => [run.baseline.p95DetectionLatencyMs / 1000, run.temporal.p95DetectionLatencyMs / 1000],
  },
];

export function drawChart(runs: readonly RunResult[]): Buffer {
  const canvas = new Canvas(WIDTH, HEIGHT, WHITE);
  const first = runs[0];
  if (first) {
    const { nodes, phaseMs } = first.config;
    canvas.text(40, 16, `KDF-LIGHTNING VS PLAIN SCRIPT: ${nodes} NODES, 8 PHASES OF ${phaseMs} MS`, INK);
  }
  let legendX = 40;
  for (const { label, color } of SERIES) {
    canvas.fillRect(legendX, 48, 24, 4, color);
    canvas.text(legendX + 32, 44, label, INK);
    legendX += 32 + canvas.textWidth(label) + 40;
  }
  const panelWidth = WIDTH / PANELS.length;
  PANELS.forEach((panel, index) => drawPanel(canvas, panel, runs, index * panelWidth, panelWidth));
  return canvas.toPng();
}

function drawPanel(canvas: Canvas, panel: Panel, runs: readonly RunResult[], left: number, width: number): void {
  const plot = { left: left + 80, right: left + width - 30, top: 110, bottom: HEIGHT - 60 };
  canvas.text(plot.left, 84, panel.title, INK);
  const counts = runs.map((run) => run.config.enablements);
  const maxCount = Math.max(...counts);
  const { step, max } = niceScale(Math.max(...runs.flatMap((run) => panel.values(run))));
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

  SERIES.forEach(({ color }, series) => {
    const points = runs.map((run) => ({ x: x(run.config.enablements), y: y(panel.values(run)[series] as number) }));
    points.forEach((point, index) => {
      const previous = points[index - 1];
      if (previous) canvas.line(previous.x, previous.y, point.x, point.y, color, 3);
      canvas.fillRect(point.x - 4, point.y - 4, 9, 9, color);
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
