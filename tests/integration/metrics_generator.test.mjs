// The metrics generator against a real Prometheus (Debian's `prometheus`,
// started here with the remote-write receiver and exemplar storage): traces
// pushed with the OpenTelemetry JS exporter become span metrics and service
// graph series that Prometheus' HTTP API answers PromQL over, with exemplars
// pointing at the traces sent. The generator config is seed 003's
// (external_labels, send_exemplars, custom buckets, dimensions service.name,
// operation, status_code), with a short collection interval.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';

import { Andante } from './harness.mjs';
import { Prometheus } from './prometheus.mjs';
import {
  SpanKind, SpanStatusCode, exportOk, hrTime, makeExporter, makeResource, newSpanId, newTraceId,
  readableSpan,
} from './otlp.mjs';

// One checkout trace: frontend SERVER root -> frontend CLIENT -> payments
// SERVER (error) -> payments INTERNAL. Durations in ms.
function checkoutTrace({ frontend, payments, chargeMs, baseMs = Date.now() - 1000 }) {
  const traceId = newTraceId();
  const [root, client, server, internal] = [newSpanId(), newSpanId(), newSpanId(), newSpanId()];
  const ms = 1000000;
  const spans = [
    readableSpan({
      traceId, spanId: root, resource: frontend, name: 'GET /checkout', kind: SpanKind.SERVER,
      start: hrTime(baseMs, 0), end: hrTime(baseMs, (chargeMs + 30) * ms),
      attributes: { 'http.method': 'GET', operation: 'checkout' },
    }),
    readableSpan({
      traceId, spanId: client, parentSpanId: root, resource: frontend, name: 'POST /charge',
      kind: SpanKind.CLIENT, start: hrTime(baseMs, 5 * ms), end: hrTime(baseMs, (chargeMs + 15) * ms),
      attributes: { 'http.method': 'POST', 'peer.service': 'payments' },
    }),
    readableSpan({
      traceId, spanId: server, parentSpanId: client, resource: payments, name: 'charge',
      kind: SpanKind.SERVER, start: hrTime(baseMs, 10 * ms), end: hrTime(baseMs, (chargeMs + 10) * ms),
      status: { code: SpanStatusCode.ERROR, message: 'declined' },
    }),
    readableSpan({
      traceId, spanId: internal, parentSpanId: server, resource: payments, name: 'compute-risk',
      start: hrTime(baseMs, 12 * ms), end: hrTime(baseMs, 14 * ms),
    }),
  ];
  return { traceId, spans };
}

const value = (sample) => Number(sample.value[1]);

describe('metrics generator → Prometheus remote write', () => {
  let prom;
  let srv;
  let exporter;
  const frontend = makeResource('frontend', { 'deployment.environment': 'it' });
  const payments = makeResource('payments');
  const sent = [];  // trace IDs

  before(async () => {
    prom = new Prometheus();
    await prom.start();
    srv = await Andante.start({
      extraYaml: `metrics_generator:
  registry:
    collection_interval: 1s
    external_labels:
      source: tempo
      cluster: production
  storage:
    path: generator/wal
    remote_write:
      - url: ${prom.writeUrl}
        send_exemplars: true
  processor:
    service_graphs:
      wait: 2s
      histogram_buckets: [0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8]
      dimensions: ["service.name", "service.namespace"]
    span_metrics:
      histogram_buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
      dimensions: ["service.name", "operation", "status_code"]
`,
    });
    exporter = makeExporter('http-proto', srv);
    // Five traces whose `charge` span takes 40 ms: all in the (0.025, 0.05]
    // latency bucket.
    for (let i = 0; i < 5; i++) {
      const t = checkoutTrace({ frontend, payments, chargeMs: 40 });
      sent.push(t.traceId);
      await exportOk(exporter, t.spans, 'checkout trace');
    }
  });

  after(async () => {
    await exporter?.shutdown();
    await srv?.cleanup();
    await prom?.cleanup();
  });

  test('traces_spanmetrics_calls_total counts the spans, with seed labels', async () => {
    const sel = 'traces_spanmetrics_calls_total{service="payments",span_name="charge"}';
    const res = await prom.waitFor(sel, (v) => v.length === 1 && value(v[0]) === 5);
    const m = res[0].metric;
    assert.equal(m.span_kind, 'SPAN_KIND_SERVER');
    assert.equal(m.status_code, 'STATUS_CODE_ERROR');
    assert.equal(m.service_name, 'payments');  // dimension service.name
    assert.equal(m.source, 'tempo');             // external labels
    assert.equal(m.cluster, 'production');
    assert.equal(m.operation, undefined);        // absent attribute: no label
    const root = await prom.query(
      'traces_spanmetrics_calls_total{service="frontend",span_name="GET /checkout"}');
    assert.equal(root.length, 1);
    assert.equal(root[0].metric.operation, 'checkout');
    assert.equal(value(root[0]), 5);
  });

  test('histogram_quantile over the latency buckets lands in the right bucket', async () => {
    const expr = 'histogram_quantile(0.9, sum by (le) (rate(traces_spanmetrics_latency_bucket{span_name="charge"}[5m])))';
    const res = await prom.waitFor(expr, (v) => v.length === 1 && !Number.isNaN(value(v[0])));
    const q = value(res[0]);
    assert.ok(q > 0.025 && q <= 0.05, `p90 of 40 ms spans: ${q}`);
    const count = await prom.query('traces_spanmetrics_latency_count{span_name="charge"}');
    assert.equal(value(count[0]), 5);
    const sum = await prom.query('traces_spanmetrics_latency_sum{span_name="charge"}');
    assert.ok(Math.abs(value(sum[0]) - 0.2) < 1e-9, `sum ${value(sum[0])}`);
  });

  test('service graph: request totals between frontend and payments, user edge after wait', async () => {
    const res = await prom.waitFor(
      'traces_service_graph_request_total{client="frontend",server="payments"}',
      (v) => v.length === 1 && value(v[0]) === 5);
    assert.equal(res[0].metric.connection_type, undefined);
    // The dimension comes from the side processed last.
    assert.ok(['frontend', 'payments'].includes(res[0].metric.service_name), JSON.stringify(res[0].metric));
    const failed = await prom.query(
      'traces_service_graph_request_failed_total{client="frontend",server="payments"}');
    assert.equal(value(failed[0]), 5);
    const rate = await prom.waitFor('sum by (client, server) (rate(traces_service_graph_request_total[5m]))',
      (v) => v.some((s) => s.metric.client === 'frontend' && s.metric.server === 'payments'));
    assert.ok(rate.every((s) => value(s) >= 0));
    // The root spans have no client span: after `wait` they become user -> frontend.
    const user = await prom.waitFor(
      'traces_service_graph_request_total{client="user",server="frontend"}',
      (v) => v.length === 1 && value(v[0]) === 5, 40000);
    assert.equal(user[0].metric.connection_type, 'virtual_node');
  });

  test('exemplars carry the trace IDs that were sent', async () => {
    const want = new Set(sent.map((id) => id.replace(/^0+/, '')));
    const now = Date.now() / 1000;
    let got = [];
    const deadline = Date.now() + 30000;
    while (Date.now() < deadline) {
      const data = await prom.api('/api/v1/query_exemplars', {
        query: 'traces_spanmetrics_latency_bucket{span_name="charge"}',
        start: String(now - 600), end: String(now + 600),
      });
      got = data.flatMap((s) => s.exemplars.map((e) => ({ series: s.seriesLabels, ...e })));
      if (got.length > 0) break;
      await sleep(250);
    }
    assert.ok(got.length > 0, 'no exemplars stored');
    for (const e of got) {
      assert.ok(want.has(e.labels.traceID), `exemplar trace ID ${e.labels.traceID} was not sent`);
      assert.equal(e.series.le, '0.05');  // the smallest bucket holding 40 ms
      assert.ok(Math.abs(Number(e.value) - 0.04) < 1e-9);
    }
  });

  test('every PromQL expression of seed 003 returns data', async () => {
    const exprs = [
      // Service map panel.
      'sum(rate(traces_service_graph_request_total[5m])) by (client, server)',
      // Request rate, P95 latency and error rate by service.
      'sum(rate(traces_spanmetrics_calls_total[5m])) by (service_name)',
      'histogram_quantile(0.95, sum(rate(traces_spanmetrics_latency_bucket[5m])) by (service_name, le))',
      'sum(rate(traces_spanmetrics_calls_total{status_code="STATUS_CODE_ERROR"}[5m])) by (service_name) / sum(rate(traces_spanmetrics_calls_total[5m])) by (service_name)',
      // The Tempo data source's tracesToMetrics query, $__tags as Grafana
      // fills it for a payments span (tags: service.name -> service).
      'sum(rate(traces_spanmetrics_latency_bucket{service="payments"}[5m]))',
    ];
    for (const expr of exprs) {
      const res = await prom.waitFor(expr);
      assert.ok(res.length > 0, expr);
    }
    const errors = await prom.query(exprs[3]);
    const byService = Object.fromEntries(errors.map((s) => [s.metric.service_name, value(s)]));
    assert.equal(byService.payments > 0, true, JSON.stringify(byService));
    // frontend has no error series, so the ratio has no frontend element.
    assert.equal(byService.frontend, undefined, JSON.stringify(byService));
  });

  test('the generated series are also served for scraping', async () => {
    const r = await fetch(`${srv.apiUrl}/metrics/generator`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type'), /^text\/plain/);
    const text = await r.text();
    assert.match(text, /^# TYPE traces_spanmetrics_calls_total counter$/m);
    const line = text.split('\n').find((l) => l.startsWith('traces_spanmetrics_calls_total{') &&
      l.includes('span_name="charge"'));
    assert.ok(line, text.slice(0, 2000));
    assert.match(line, / 5$/);
    assert.match(line, /cluster="production"/);
  });

  test('a Prometheus outage of two collection intervals loses no sample', async () => {
    const sel = 'traces_spanmetrics_calls_total{service="payments",span_name="charge"}';
    await prom.stop();
    const downFrom = Date.now() / 1000;
    // Spans arrive during the outage too.
    for (let i = 0; i < 3; i++) {
      const t = checkoutTrace({ frontend, payments, chargeMs: 40 });
      sent.push(t.traceId);
      await exportOk(exporter, t.spans, 'checkout trace during outage');
    }
    await sleep(3500);
    const downTo = Date.now() / 1000;
    await prom.start();
    await prom.waitFor(sel, (v) => v.length === 1 && value(v[0]) === 8, 40000);
    // Samples stamped inside the outage window reached Prometheus after it
    // came back (one per 1 s collection).
    const width = Math.floor(downTo - downFrom);
    const expr = `count_over_time(${sel}[${width}s])`;
    let res = [];
    const deadline = Date.now() + 20000;
    while (Date.now() < deadline) {
      res = await prom.query(expr, downTo);
      if (res.length === 1 && value(res[0]) >= width - 1) break;
      await sleep(250);
    }
    assert.equal(res.length, 1, `${expr} @ ${downTo}: ${JSON.stringify(res)}`);
    assert.ok(value(res[0]) >= width - 1, `${value(res[0])} samples in the ${width}s outage`);
  });

  test('samples queued on disk when Andante is killed arrive after its restart', async () => {
    const sel = 'traces_spanmetrics_calls_total{service="restart-svc"}';
    await prom.stop();
    const resource = makeResource('restart-svc');
    const baseMs = Date.now() - 500;
    const spans = Array.from({ length: 4 }, (_, i) => readableSpan({
      traceId: newTraceId(), spanId: newSpanId(), resource, name: `job-${i % 2}`, kind: SpanKind.SERVER,
      start: hrTime(baseMs, 0), end: hrTime(baseMs, 20000000),
    }));
    await exportOk(exporter, spans, 'spans before the crash');
    // A few collections are queued while Prometheus is down.
    const queueRoot = path.join(srv.dir, 'generator', 'wal');
    const queued = () => fs.readdirSync(queueRoot, { recursive: true })
      .filter((f) => String(f).endsWith('.rwq')).length;
    const deadline = Date.now() + 10000;
    while (queued() < 2 && Date.now() < deadline) await sleep(200);
    assert.ok(queued() >= 2, `queue files: ${queued()}`);
    await srv.kill();
    const killedAt = Date.now() / 1000;
    await prom.start();
    await srv.start();
    // The restarted server has seen no restart-svc span: every such sample
    // in Prometheus came from the disk queue, stamped before the kill.
    let res = [];
    const until = Date.now() + 30000;
    while (Date.now() < until) {
      res = await prom.query(`sum(${sel})`, killedAt);
      if (res.length === 1 && value(res[0]) === 4) break;
      await sleep(250);
    }
    assert.equal(res.length, 1, JSON.stringify(res));
    assert.equal(value(res[0]), 4);
    const gone = Date.now() + 10000;
    while (queued() > 0 && Date.now() < gone) await sleep(200);
    assert.equal(queued(), 0, 'delivered queue files are removed');
  });
});
