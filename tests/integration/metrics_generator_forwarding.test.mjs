// The metrics generator in its own process, as Tempo deploys it: an ingest
// instance (-target=all) with metrics_generator_client.endpoints forwards
// every accepted push, as OTLP/HTTP protobuf with the tenant, to a second
// Andante process started with -target=metrics-generator, which
// remote-writes the series into a real Prometheus and serves them on
// /metrics/generator. The ingest process runs no generator; when the
// generator is down its pushes still succeed and the failures are counted.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';

import { Andante } from './harness.mjs';
import { Prometheus } from './prometheus.mjs';
import {
  SpanKind, exportOk, hrTime, makeExporter, makeResource, newSpanId, newTraceId, readableSpan,
} from './otlp.mjs';

const TENANT = 'acme';

// frontend SERVER -> frontend CLIENT -> payments SERVER, 20 ms each.
function trace(frontend, payments) {
  const traceId = newTraceId();
  const [root, client, server] = [newSpanId(), newSpanId(), newSpanId()];
  const base = Date.now() - 500;
  const span = (spanId, parentSpanId, resource, name, kind) => readableSpan({
    traceId, spanId, parentSpanId, resource, name, kind,
    start: hrTime(base, 0), end: hrTime(base, 20000000),
  });
  return {
    traceId,
    spans: [
      span(root, undefined, frontend, 'GET /checkout', SpanKind.SERVER),
      span(client, root, frontend, 'POST /charge', SpanKind.CLIENT),
      span(server, client, payments, 'charge', SpanKind.SERVER),
    ],
  };
}

const value = (sample) => Number(sample.value[1]);
const counter = (metrics, name) =>
  metrics.filter((m) => m.name === name).reduce((s, m) => s + m.value, 0);

describe('metrics generator as a separate process (-target=metrics-generator)', () => {
  let prom;
  let gen;
  let ingest;
  let exporter;
  const frontend = makeResource('frontend');
  const payments = makeResource('payments');
  const sent = [];

  before(async () => {
    prom = new Prometheus();
    await prom.start();
    gen = await Andante.start({
      args: ['-target=metrics-generator'],
      extraYaml: `multitenancy_enabled: true
metrics_generator:
  registry:
    collection_interval: 1s
    inject_tenant_id_as: tenant
  storage:
    path: generator/wal
    remote_write:
      - url: ${prom.writeUrl}
  processor:
    service_graphs:
      wait: 2s
`,
    });
    ingest = await Andante.start({
      extraYaml: `multitenancy_enabled: true
metrics_generator_client:
  endpoints: ["http://127.0.0.1:${gen.otlpHttpPort}"]
  queue_size: 100
  remote_timeout: 2s
`,
    });
    exporter = makeExporter('http-proto', ingest, { headers: { 'X-Scope-OrgID': TENANT } });
    for (let i = 0; i < 4; i++) {
      const t = trace(frontend, payments);
      sent.push(t.traceId);
      await exportOk(exporter, t.spans, 'trace to the ingest process');
    }
  });

  after(async () => {
    await exporter?.shutdown();
    await ingest?.cleanup();
    await gen?.cleanup();
    await prom?.cleanup();
  });

  test('spans pushed to the ingest process become series at the generator process', async () => {
    const calls = await prom.waitFor(
      'traces_spanmetrics_calls_total{service="payments",span_name="charge"}',
      (v) => v.length === 1 && value(v[0]) === 4);
    assert.equal(calls[0].metric.tenant, TENANT);  // the tenant travelled along
    assert.equal(calls[0].metric.span_kind, 'SPAN_KIND_SERVER');
    const edge = await prom.waitFor(
      'traces_service_graph_request_total{client="frontend",server="payments"}',
      (v) => v.length === 1 && value(v[0]) === 4);
    assert.equal(edge[0].metric.tenant, TENANT);
    const scraped = await gen.get('/metrics/generator');
    assert.equal(scraped.status, 200);
    assert.match(scraped.text,
      /^traces_spanmetrics_calls_total\{[^}]*span_name="charge"[^}]*\} 4$/m);
  });

  test('the ingest process stores the traces, runs no generator and counts its forwards', async () => {
    const found = await ingest.get(`/api/traces/${sent[0]}`, { 'X-Scope-OrgID': TENANT });
    assert.equal(found.status, 200);
    assert.equal((await ingest.get('/metrics/generator')).status, 404);
    const m = await ingest.metrics();
    const posts = counter(m, 'tempo_distributor_metrics_generator_pushes_total');
    assert.ok(posts >= 1 && posts <= 4, `POSTs: ${posts}`);
    assert.equal(counter(m, 'tempo_distributor_metrics_generator_pushes_failures_total'), 0);
    assert.equal(counter(m, 'andante_distributor_metrics_generator_dropped_total'), 0);
    // The generator process keeps no trace.
    const atGen = await gen.get(`/api/traces/${sent[0]}`, { 'X-Scope-OrgID': TENANT });
    assert.equal(atGen.status, 404);
  });

  test('with the generator down, pushes still succeed and the failures are counted', async () => {
    await gen.stop();
    for (let i = 0; i < 3; i++) {
      await exportOk(exporter, trace(frontend, payments).spans, 'push while the generator is down');
    }
    // Pushes queued together go in one POST: at least one failed POST.
    let failures = 0;
    const deadline = Date.now() + 20000;
    while (Date.now() < deadline) {
      failures = counter(await ingest.metrics(),
        'tempo_distributor_metrics_generator_pushes_failures_total');
      if (failures >= 1) break;
      await sleep(200);
    }
    assert.ok(failures >= 1 && failures <= 3, `failed POSTs: ${failures}`);
    assert.match(ingest.logTail(200), /forwarding to the metrics generator failed/);
    // Back up: new spans reach it again (its series restart from zero).
    await gen.start();
    await exportOk(exporter, trace(frontend, payments).spans, 'push after the generator restarted');
    await prom.waitFor(
      'traces_spanmetrics_calls_total{service="payments",span_name="charge"}',
      (v) => v.length === 1 && value(v[0]) === 1);
  });
});
