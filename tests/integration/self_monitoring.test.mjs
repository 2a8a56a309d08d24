// Self-monitoring against a real Prometheus (Debian's `prometheus`): it
// scrapes Andante's /metrics every second, receives the metrics generator's
// remote write and loads seed 003's alert rules (testdata/tempo-alerts.yml).
// Every alert-rule expression, monitoring query and dashboard query of seed
// 003 (testdata/seed_promql.txt) is evaluated through Prometheus' query API;
// every vector selector in it (metric name and label matchers, parsed here
// from the expression) must select at least one series, and the expressions
// must give values, not empty results. The server runs with the compactor on
// a 1 s cycle; the compaction series must show a compaction that happened.
// The server's log must be logfmt with a `level` on every line.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { Andante, freePort, metricSum } from './harness.mjs';
import { Prometheus } from './prometheus.mjs';
import {
  SpanKind, SpanStatusCode, exportOk, hrTime, makeExporter, makeResource, newSpanId, newTraceId, readableSpan,
} from './otlp.mjs';

const TESTDATA = path.join(path.dirname(fileURLToPath(import.meta.url)), 'testdata');
const ALERTS_FILE = 'tempo-alerts.yml';

// Expressions of seed_promql.txt with the section ('## ...') each is in.
function seedExpressions() {
  const out = [];
  let section = '';
  for (const raw of fs.readFileSync(path.join(TESTDATA, 'seed_promql.txt'), 'utf8').split('\n')) {
    const line = raw.trim();
    if (line.startsWith('## ')) {
      if (/^## ["A-Z]/.test(line)) section = line.slice(3);
      continue;
    }
    if (!line || line.startsWith('#')) continue;
    out.push({ section, expr: line });
  }
  return out;
}

const KEYWORDS = new Set([
  'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless',
  'offset', 'inf', 'nan',
]);
const GROUPING = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
const AGGREGATIONS = new Set([
  'sum', 'avg', 'count', 'min', 'max', 'stddev', 'stdvar', 'topk', 'bottomk', 'quantile',
  'count_values', 'group',
]);

// The vector selectors of a PromQL expression: [{name, selector}] where
// `selector` is the name with its label matchers as written. A small
// scanner, not a full parser: it skips string literals (label values may
// hold '{' and '}'), range and subquery brackets, function and aggregation
// names (followed by '('), aggregation operators, keywords and the label lists of by/without/on/
// ignoring/group_*.
export function vectorSelectors(expr) {
  const out = [];
  let i = 0;
  const n = expr.length;
  const skipSpace = () => { while (i < n && /\s/.test(expr[i])) i++; };
  const skipString = () => {
    const q = expr[i++];
    while (i < n && expr[i] !== q) i += expr[i] === '\\' ? 2 : 1;
    i++;
  };
  const skipBalanced = (open, close) => {  // at `open`
    let depth = 0;
    while (i < n) {
      const c = expr[i];
      if (c === '"' || c === "'" || c === '`') { skipString(); continue; }
      if (c === open) depth++;
      if (c === close && --depth === 0) { i++; return; }
      i++;
    }
    throw new Error(`unbalanced ${open} in ${expr}`);
  };
  while (i < n) {
    const c = expr[i];
    if (c === '"' || c === "'" || c === '`') { skipString(); continue; }
    if (c === '[') { skipBalanced('[', ']'); continue; }
    if (/[0-9.]/.test(c)) { while (i < n && /[0-9a-zA-Z_.]/.test(expr[i])) i++; continue; }
    if (/[a-zA-Z_:]/.test(c)) {
      const start = i;
      while (i < n && /[a-zA-Z0-9_:]/.test(expr[i])) i++;
      const word = expr.slice(start, i);
      skipSpace();
      if (GROUPING.has(word.toLowerCase())) {
        if (expr[i] === '(') skipBalanced('(', ')');
        continue;
      }
      // `sum by (le) (x)`: an aggregation need not be followed by '('.
      if (KEYWORDS.has(word.toLowerCase()) || AGGREGATIONS.has(word) || expr[i] === '(') continue;
      let selector = word;
      if (expr[i] === '{') {
        const from = i;
        skipBalanced('{', '}');
        selector += expr.slice(from, i);
      }
      out.push({ name: word, selector });
      continue;
    }
    if (c === '{') {  // a selector without a name: none in the seeds
      throw new Error(`selector without a metric name in ${expr}`);
    }
    i++;
  }
  return out;
}

// The expression before a trailing comparison with a number (an alert
// rule's threshold): the value the rule compares.
function comparedValue(expr) {
  const m = /^(.*\S)\s*(>|<|>=|<=|==|!=)\s*[0-9.]+$/.exec(expr);
  return m ? m[1] : expr;
}

// A client -> server call between two services, the server span failing
// (for the service graph and the span metrics the dashboards read).
function callTrace(frontend, backend, { baseMs = Date.now() - 1000 } = {}) {
  const traceId = newTraceId();
  const [root, client, server] = [newSpanId(), newSpanId(), newSpanId()];
  const ms = 1000000;
  return {
    traceId,
    spans: [
      readableSpan({
        traceId, spanId: root, resource: frontend, name: 'GET /checkout', kind: SpanKind.SERVER,
        start: hrTime(baseMs, 0), end: hrTime(baseMs, 40 * ms),
      }),
      readableSpan({
        traceId, spanId: client, parentSpanId: root, resource: frontend, name: 'POST /charge',
        kind: SpanKind.CLIENT, start: hrTime(baseMs, 5 * ms), end: hrTime(baseMs, 30 * ms),
      }),
      readableSpan({
        traceId, spanId: server, parentSpanId: client, resource: backend, name: 'charge',
        kind: SpanKind.SERVER, start: hrTime(baseMs, 10 * ms), end: hrTime(baseMs, 25 * ms),
        status: { code: SpanStatusCode.ERROR, message: 'declined' },
      }),
    ],
  };
}

describe('self-monitoring: seed 003 alert rules and queries over a real Prometheus', () => {
  let prom;
  let srv;
  const exporters = [];
  const sent = [];
  let pushes = 0;  // requests to the receivers
  let reads = 0;   // GET /api/traces/<id>
  const expressions = seedExpressions();

  before(async () => {
    prom = new Prometheus();
    prom.port = await freePort();
    srv = await Andante.start({
      zipkin: true,
      traceIdlePeriod: '1s',
      flushCheckPeriod: '500ms',
      // The generator config is seed 003's, with a short collection interval.
      extraYaml: `compactor:
  compaction:
    compaction_cycle: 1s
    block_retention: 100000h
metrics_generator:
  registry:
    collection_interval: 1s
  storage:
    path: generator/wal
    remote_write:
      - url: ${prom.writeUrl}
  processor:
    service_graphs:
      wait: 2s
      dimensions: ["service.name", "service.namespace"]
    span_metrics:
      dimensions: ["service.name", "operation", "status_code"]
`,
    });
    await prom.start({
      config: `global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - ${ALERTS_FILE}
scrape_configs:
  - job_name: tempo
    metrics_path: /metrics
    scrape_interval: 1s
    static_configs:
      - targets: ['127.0.0.1:${srv.httpPort}']
`,
      files: { [ALERTS_FILE]: fs.readFileSync(path.join(TESTDATA, ALERTS_FILE), 'utf8') },
    });
    await prom.waitFor('up{job="tempo"} == 1');

    // Rounds of pushes over OTLP gRPC and HTTP, each followed by reads by ID
    // and a flush, so there are several blocks to compact and the counters
    // move between scrapes (rate() needs two samples that differ).
    const frontend = makeResource('frontend');
    const payments = makeResource('payments');
    for (const kind of ['grpc', 'http-proto']) exporters.push(makeExporter(kind, srv));
    for (let round = 0; round < 4; round++) {
      for (const exporter of exporters) {
        const t = callTrace(frontend, payments);
        await exportOk(exporter, t.spans, `round ${round} export`);
        sent.push(t.traceId);
      }
      const zipkinTrace = newTraceId();
      const zipkin = await fetch(srv.zipkinUrl, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify([{
          traceId: zipkinTrace, id: newSpanId(), name: 'zipkin-op', kind: 'SERVER',
          timestamp: (Date.now() - 1000) * 1000, duration: 1000,
          localEndpoint: { serviceName: 'zipkin-svc' },
        }]),
      });
      assert.equal(zipkin.status, 202, await zipkin.text());
      pushes += exporters.length + 1;
      sent.push(zipkinTrace);
      for (const id of sent.slice(-3)) {
        const res = await srv.get(`/api/traces/${id}`);
        assert.equal(res.status, 200, `GET /api/traces/${id}: ${res.status} ${res.text}`);
      }
      assert.equal((await srv.get(`/api/traces/${'ab'.repeat(16)}`)).status, 404);
      reads += 4;
      assert.equal((await srv.post('/flush?wait=true')).status, 204);
      await sleep(1200);
    }
  });

  after(async () => {
    for (const e of exporters) await e.shutdown();
    await srv?.cleanup();
    await prom?.cleanup();
  });

  test('the seed has the expressions this test expects', () => {
    const sections = new Set(expressions.map((e) => e.section));
    assert.equal(expressions.length, 16);
    assert.ok([...sections].some((s) => s.includes('Key Metrics')));
    assert.ok([...sections].some((s) => s.includes('Alerting Rules')));
    assert.ok([...sections].some((s) => s.includes('Dashboard')));
    // The parser: names, matchers with braces inside quotes, by() labels.
    assert.deepEqual(
      vectorSelectors('histogram_quantile(0.95, rate(a_bucket{route="/x/{id}"}[5m])) > 1'),
      [{ name: 'a_bucket', selector: 'a_bucket{route="/x/{id}"}' }]);
    assert.deepEqual(
      vectorSelectors('sum(rate(b[5m])) by (client, server) / sum by (le) (c)').map((s) => s.name),
      ['b', 'c']);
  });

  test('every receiver push is observed once under the push route, reads under both route forms', async () => {
    const samples = await srv.metrics();
    const count = (route, match = {}) =>
      metricSum(samples, 'tempo_request_duration_seconds_count', { route, ...match });
    // OTLP gRPC, OTLP HTTP and Zipkin pushes, each handed to the store once.
    assert.equal(count('/tempo.Pusher/PushSpans', { method: 'gRPC' }), pushes);
    assert.equal(count('/tempo.Pusher/PushSpans', { status_code: 'success' }), pushes);
    // The receivers' own routes still count their requests.
    const rounds = pushes / 3;  // one push per receiver and round
    assert.equal(count('opentelemetry_proto_collector_trace_v1_traceservice_export'), rounds);
    assert.equal(count('v1_traces'), rounds);
    assert.equal(count('api_v2_spans'), rounds);
    // Trace by ID: Tempo's label and the template count the same requests.
    assert.equal(count('api_traces_traceid'), reads);
    assert.equal(count('/api/traces/{traceID}'), reads);
    assert.equal(count('/api/traces/{traceID}', { status_code: '404' }), reads / 4);
    // Accepted bytes reach the ingester series; not more than were received.
    const ingested = metricSum(samples, 'tempo_ingester_bytes_received_total',
      { tenant: 'single-tenant', data_type: 'trace' });
    assert.ok(ingested > 0);
    assert.equal(ingested, metricSum(samples, 'tempo_distributor_bytes_received_total',
      { tenant: 'single-tenant' }));  // every push here was accepted
  });

  test('compaction ran, so the compactor series carry data', async () => {
    const samples = await srv.metrics();
    assert.ok(metricSum(samples, 'tempo_ingester_blocks_total') >= 2, 'blocks flushed');
    await prom.waitFor('tempo_compactor_blocks_compacted_total > 0', undefined, 60000);
    await prom.waitFor('tempo_compactor_compaction_duration_seconds > 0', undefined, 30000);
    // The same count as Tempo's tempodb_ name.
    const now = await srv.metrics();
    assert.equal(metricSum(now, 'tempo_compactor_blocks_compacted_total'),
      metricSum(now, 'tempodb_compaction_blocks_total'));
  });

  test('every metric selector of every seed expression resolves to series', async () => {
    for (const { section, expr } of expressions) {
      const selectors = vectorSelectors(expr);
      assert.ok(selectors.length > 0, `no metric in ${expr}`);
      for (const { selector } of selectors) {
        const series = await prom.waitFor(selector, (v) => v.length > 0, 30000);
        assert.ok(series.length > 0, `${section}: ${selector} (of ${expr}) selects no series`);
      }
      // The expression itself evaluates (query API status success).
      await prom.query(expr);
    }
  });

  test('each expression evaluates to data (an alert compares a real value)', async () => {
    for (const { section, expr } of expressions) {
      if (expr.startsWith('increase(tempo_compactor_blocks_compacted_total')) continue;  // below
      const value = comparedValue(expr);
      const res = await prom.waitFor(value,
        (v) => v.length > 0 && v.some((s) => Number.isFinite(Number(s.value[1]))), 30000);
      assert.ok(res.length > 0, `${section}: ${value} is empty`);
    }
    // The push route's p95 is a latency in seconds from real observations.
    const push = await prom.query(comparedValue(expressions.find((e) =>
      e.section.includes('Alerting') && e.expr.includes('PushSpans')).expr));
    assert.ok(push.some((s) => Number(s.value[1]) > 0 && Number(s.value[1]) < 60), JSON.stringify(push));
  });

  test('the alert rules file loads and its rules are healthy', async () => {
    const deadline = Date.now() + 30000;
    let rules;
    for (;;) {
      const data = await prom.api('/api/v1/rules');
      assert.equal(data.groups.length, 1);
      assert.equal(data.groups[0].name, 'tempo');
      rules = data.groups[0].rules;
      if (rules.every((r) => r.health === 'ok') || Date.now() > deadline) break;
      await sleep(500);
    }
    assert.deepEqual(rules.map((r) => r.name),
      ['TempoHighIngestionLatency', 'TempoQueryLatencyHigh', 'TempoCompactionFailing']);
    for (const r of rules) {
      assert.equal(r.type, 'alerting');
      assert.equal(r.health, 'ok', `${r.name}: ${r.lastError}`);
    }
    // Blocks were compacted within the hour: once Prometheus has seen the
    // counter rise, the compaction alert's expression is empty and the rule
    // inactive.
    await prom.waitFor('increase(tempo_compactor_blocks_compacted_total[1h]) > 0', undefined, 30000);
    assert.deepEqual(await prom.query('increase(tempo_compactor_blocks_compacted_total[1h]) == 0'), []);
  });

  test('the log is logfmt with a level on every line', () => {
    const lines = fs.readFileSync(srv.logFile, 'utf8').split('\n').filter(Boolean);
    assert.ok(lines.length > 0);
    const pair = /([a-zA-Z_][a-zA-Z0-9_.]*)=("(?:[^"\\]|\\.)*"|\S*)/g;
    for (const line of lines) {
      if (line.startsWith('==== start #')) continue;  // harness.mjs's marker
      const keys = [...line.matchAll(pair)].map((m) => m[1]);
      const rest = line.replace(pair, '').trim();
      assert.equal(rest, '', `not logfmt: ${line}`);
      assert.match(line, /^level=(debug|info|warn|error) /, line);
      assert.ok(keys.includes('msg'), `no msg: ${line}`);
    }
  });
});
