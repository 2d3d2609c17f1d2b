/**
 * The activities' own metrics, next to the SDK's (through the worker's Runtime, so they share its exporter).
 *
 * @module
 */
import { Context } from '@temporalio/activity';
import type { MetricHistogram, MetricMeter } from '@temporalio/common';
import type { KdfCallEvent } from './kdf/client.js';

export type DetectionSource = 'push' | 'poll';

export function recordDetection(source: DetectionSource): void {
  Context.current()
    .metricMeter.createCounter('kdf_status_detections', 'detections', 'Status changes seen, by what woke the poll')
    .add(1, { source });
}

const rpcLatencyByMeter = new WeakMap<MetricMeter, MetricHistogram>();

export function recordRpcMetric(event: KdfCallEvent): void {
  const meter = Context.current().metricMeter;
  let histogram = rpcLatencyByMeter.get(meter);
  if (!histogram) {
    histogram = meter.createHistogram('kdf_rpc_latency', 'int', 'ms', 'KDF RPC latency by node, method and outcome');
    rpcLatencyByMeter.set(meter, histogram);
  }
  histogram.record(Math.round(event.durationMs), { node: event.node, method: event.method, outcome: event.outcome });
}
