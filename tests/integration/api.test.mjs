// The Tempo HTTP API's edges: trace ID validation, not-found rules of v1
// and v2, start/end parameters, and the ops endpoints (/ready, /api/echo,
// /api/status/buildinfo, /metrics).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { Andante, parsePrometheusText } from './harness.mjs';
import { decodeProto, exportOk, makeExporter, newTraceId, simpleTrace } from './otlp.mjs';
import { assertTraceStored, getTraceV2Json, countSpans } from './tempo_api.mjs';

describe('Tempo HTTP API', () => {
  let srv;
  let known;  // {traceId, spans, startSec, endSec}

  before(async () => {
    srv = await Andante.start();
    const baseMs = Date.now() - 10000;
    const spans = simpleTrace({ spans: 3, baseMs, name: 'api' });
    const exporter = makeExporter('http-proto', srv);
    try {
      await exportOk(exporter, spans, 'seed push');
    } finally {
      await exporter.shutdown();
    }
    known = { traceId: spans[0].spanContext().traceId, spans, startSec: Math.floor(baseMs / 1000) };
  });
  after(async () => { await srv?.cleanup(); });

  test('GET /ready → 200 "ready"', async () => {
    const res = await srv.get('/ready');
    assert.equal(res.status, 200);
    assert.equal(res.text.trim(), 'ready');
  });

  test('GET /api/echo → 200 "echo"', async () => {
    const res = await srv.get('/api/echo');
    assert.equal(res.status, 200);
    assert.equal(res.text.trim(), 'echo');
    assert.match(res.contentType, /^text\/plain/);
  });

  test('GET /api/status/buildinfo → JSON with exactly Prometheus\' PrometheusVersion keys', async () => {
    const res = await srv.get('/api/status/buildinfo');
    assert.equal(res.status, 200);
    assert.match(res.contentType, /^application\/json/);
    const info = JSON.parse(res.text);
    assert.deepEqual(Object.keys(info).sort(), ['branch', 'buildDate', 'buildUser', 'goVersion', 'revision', 'version']);
    for (const [k, v] of Object.entries(info)) assert.equal(typeof v, 'string', `${k} is a string`);
    assert.ok(info.version.length > 0, 'version is set');
  });

  test('GET /metrics → Prometheus text with tempo_ metrics', async () => {
    const res = await srv.get('/metrics');
    assert.equal(res.status, 200);
    assert.match(res.contentType, /^text\/plain/);
    const samples = parsePrometheusText(res.text);
    assert.ok(samples.length > 0, 'some samples');
    assert.match(res.text, /^# TYPE tempo_distributor_spans_received_total counter$/m);
    assert.ok(samples.some((s) => s.name === 'tempo_distributor_spans_received_total' && s.labels.tenant === 'single-tenant'),
      'tempo_distributor_spans_received_total{tenant="single-tenant"}');
  });

  test('a trace ID with a non-hex character → 400 with Tempo\'s message', async () => {
    for (const prefix of ['/api/traces/', '/api/v2/traces/']) {
      const res = await srv.get(`${prefix}abcxef`);
      assert.equal(res.status, 400, `${prefix}abcxef: ${res.text}`);
      assert.match(res.text, /^trace IDs can only contain hex characters: invalid character 'x' at position \d+/);
      assert.match(res.contentType, /^text\/plain/);
    }
  });

  test('a trace ID longer than 32 hex chars → 400 "trace IDs can\'t be larger than 128 bits"', async () => {
    for (const prefix of ['/api/traces/', '/api/v2/traces/']) {
      const res = await srv.get(`${prefix}${'a'.repeat(34)}`);
      assert.equal(res.status, 400, res.text);
      assert.match(res.text, /^trace IDs can't be larger than 128 bits/);
    }
  });

  test('unknown trace: v1 → 404 with an empty body', async () => {
    const res = await srv.get(`/api/traces/${newTraceId()}`);
    assert.equal(res.status, 404);
    assert.equal(res.body.length, 0, `empty body, got ${JSON.stringify(res.text)}`);
  });

  test('unknown trace: v1 protobuf → 404', async () => {
    const res = await srv.get(`/api/traces/${newTraceId()}`, { Accept: 'application/protobuf' });
    assert.equal(res.status, 404);
  });

  test('unknown trace: v2 → 200 {"trace":{},...}', async () => {
    const { body } = await getTraceV2Json(srv, newTraceId());
    assert.deepEqual(body.trace, {}, 'empty trace object');
    assert.equal(body.status, undefined, 'no partial status');
  });

  test('unknown trace: v2 protobuf → 200 with an empty trace', async () => {
    const res = await srv.get(`/api/v2/traces/${newTraceId()}`, { Accept: 'application/protobuf' });
    assert.equal(res.status, 200);
    assert.equal(res.contentType, 'application/protobuf');
    const msg = decodeProto('tempopb.TraceByIDResponse', res.body);
    assert.equal((msg.trace?.resourceSpans ?? []).length, 0);
  });

  test('Accept: "application/json, application/protobuf" yields protobuf (substring match)', async () => {
    const res = await srv.get(`/api/v2/traces/${known.traceId}`, { Accept: 'application/json, application/protobuf' });
    assert.equal(res.status, 200);
    assert.equal(res.contentType, 'application/protobuf');
    const msg = decodeProto('tempopb.TraceByIDResponse', res.body);
    assert.ok((msg.trace?.resourceSpans ?? []).length > 0);
  });

  test('Accept: application/x-protobuf does not match → JSON', async () => {
    const res = await srv.get(`/api/v2/traces/${known.traceId}`, { Accept: 'application/x-protobuf' });
    assert.equal(res.status, 200);
    assert.match(res.contentType, /^application\/json/);
  });

  test('the known trace is found, in all shapes', async () => {
    await assertTraceStored(srv, known.traceId, known.spans);
  });

  test('upper-case trace IDs are accepted', async () => {
    const { resourceSpans } = await getTraceV2Json(srv, known.traceId.toUpperCase());
    assert.equal(countSpans(resourceSpans), known.spans.length);
  });

  test('start/end (Unix seconds) around the trace find it', async () => {
    const q = `?start=${known.startSec - 60}&end=${known.startSec + 60}`;
    const { resourceSpans } = await getTraceV2Json(srv, known.traceId, q);
    assert.equal(countSpans(resourceSpans), known.spans.length);
    const v1 = await srv.get(`/api/traces/${known.traceId}${q}`);
    assert.equal(v1.status, 200, v1.text);
  });

  test('end <= start → 400; a non-integer start → 400 "invalid start"', async () => {
    for (const prefix of ['/api/traces/', '/api/v2/traces/']) {
      let res = await srv.get(`${prefix}${known.traceId}?start=200&end=100`);
      assert.equal(res.status, 400, `${prefix} end<start: ${res.status} ${res.text}`);
      res = await srv.get(`${prefix}${known.traceId}?start=abc`);
      assert.equal(res.status, 400, `${prefix} bad start: ${res.status} ${res.text}`);
      assert.match(res.text, /invalid start/);
    }
  });

  test('unknown route → 404', async () => {
    const res = await srv.get('/api/no-such-route');
    assert.equal(res.status, 404);
  });
});
