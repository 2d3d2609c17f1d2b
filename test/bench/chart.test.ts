// The benchmark chart from the recorded results: SVG through vega-lite, PNG through resvg with the shipped Inter font
// (no system font needed); axis titles, a legend with every side, the targets as labelled dashed lines.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchReport } from '../../bench/bench.js';
import { chartSpec, drawChart } from '../../bench/chart.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const report = JSON.parse(readFileSync(path.join(ROOT, 'bench/results/bench.json'), 'utf8')) as BenchReport;

test('SVG and PNG of the recorded sweep, with titles, legend and target lines', async () => {
  const { svg, png } = await drawChart(report.sweep);
  for (const text of [
    'kdf-lightning vs a plain init-and-poll script',
    'Makespan',
    'p95 detection latency',
    'enablements',
    'makespan (s)',
    'p95 detection latency (s)',
    'baseline script',
    'kdf-lightning + push',
    'reference: 1.3 × baseline (retired target)',
    'target: ≤ 2 s',
    'push target: ≤ 0.2 s',
  ]) {
    expect(svg).toContain(`>${text}<`);
  }
  expect(svg).toContain('stroke-dasharray="6,4"');
  expect(svg).toContain('font-family="Inter"');
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  // IHDR: width and height, at twice the SVG's size
  const [width, height] = [png.readUInt32BE(16), png.readUInt32BE(20)];
  const viewBox = /viewBox="0 0 (\d+) (\d+)"/.exec(svg);
  expect([width, height]).toEqual([Number(viewBox?.[1]) * 2, Number(viewBox?.[2]) * 2]);
});

test('without --push runs, no push series and no push target', () => {
  const runs = report.sweep.map(({ push: _push, ...run }) => run);
  const spec = JSON.stringify(chartSpec(runs));
  expect(spec).not.toContain('kdf-lightning + push');
  expect(spec).not.toContain('push target');
  expect(spec).toContain('baseline script');
});
