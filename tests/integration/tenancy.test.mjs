// multitenancy_enabled: true — the X-Scope-OrgID header (gRPC metadata
// x-scope-orgid) scopes every write and read; tenants are isolated.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';

import grpc from '@grpc/grpc-js';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';

import { Andante, metricSum, waitFor } from './harness.mjs';
import { ExportResultCode, exportOk, exportSpans, makeExporter, newTraceId, simpleTrace } from './otlp.mjs';
import { countSpans } from './tempo_api.mjs';

function grpcExporter(srv, tenant, opts = {}) {
  const metadata = new grpc.Metadata();
  if (tenant !== undefined) metadata.set('x-scope-orgid', tenant);
  return new GrpcExporter({ url: srv.otlpGrpcUrl, metadata, ...opts });
}

function postJson(url, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const buf = Buffer.from(JSON.stringify(body));
    const req = http.request(url, { method: 'POST', headers: { 'Content-Type': 'application/json', 'Content-Length': buf.length, ...headers } });
    req.on('response', (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(buf);
  });
}

describe('multi-tenancy', () => {
  let srv;
  const a = { tenant: 'tenant-a', spans: null, traceId: null };
  const b = { tenant: "team_b.prod-(1)!*'", spans: null, traceId: null };  // every allowed punctuation

  before(async () => {
    srv = await Andante.start({ extraYaml: 'multitenancy_enabled: true\n', traceIdlePeriod: '5m' });
    a.spans = simpleTrace({ spans: 3, name: 'a' });
    a.traceId = a.spans[0].spanContext().traceId;
    const ea = makeExporter('http-proto', srv, { headers: { 'X-Scope-OrgID': a.tenant } });
    try { await exportOk(ea, a.spans, 'push as tenant-a'); } finally { await ea.shutdown(); }
    b.spans = simpleTrace({ spans: 2, name: 'b' });
    b.traceId = b.spans[0].spanContext().traceId;
    const eb = grpcExporter(srv, b.tenant);
    try { await exportOk(eb, b.spans, 'push as tenant b over gRPC'); } finally { await eb.shutdown(); }
  });
  after(async () => { await srv?.cleanup(); });

  const as = (tenant) => ({ 'X-Scope-OrgID': tenant });

  test('each tenant finds its own trace', async () => {
    for (const t of [a, b]) {
      const res = await srv.get(`/api/v2/traces/${t.traceId}`, as(t.tenant));
      assert.equal(res.status, 200, res.text);
      assert.equal(countSpans(JSON.parse(res.text).trace.resourceSpans), t.spans.length, `${t.tenant} finds its trace`);
    }
  });

  test('another tenant does not see it (v1 404, v2 empty)', async () => {
    let res = await srv.get(`/api/traces/${a.traceId}`, as(b.tenant));
    assert.equal(res.status, 404);
    res = await srv.get(`/api/v2/traces/${a.traceId}`, as(b.tenant));
    assert.equal(res.status, 200);
    assert.deepEqual(JSON.parse(res.text).trace, {});
    res = await srv.get(`/api/traces/${b.traceId}`, as('tenant-c'));
    assert.equal(res.status, 404);
  });

  test('"a|b" in X-Scope-OrgID queries both tenants', async () => {
    for (const t of [a, b]) {
      const res = await srv.get(`/api/v2/traces/${t.traceId}`, as(`${a.tenant}|${b.tenant}`));
      assert.equal(res.status, 200, res.text);
      assert.equal(countSpans(JSON.parse(res.text).trace.resourceSpans), t.spans.length);
    }
  });

  test('API without X-Scope-OrgID → 401 "no org id"', async () => {
    for (const p of [`/api/traces/${a.traceId}`, `/api/v2/traces/${a.traceId}`]) {
      const res = await srv.get(p);
      assert.equal(res.status, 401, `${p}: ${res.text}`);
      assert.equal(res.text.trim(), 'no org id');
    }
  });

  test('invalid tenant IDs → 400', async () => {
    for (const bad of ['..', '.', 'a/b', 'x'.repeat(151), 'ten ant']) {
      const res = await srv.get(`/api/v2/traces/${a.traceId}`, as(bad));
      assert.equal(res.status, 400, `tenant ${JSON.stringify(bad.slice(0, 20))}: ${res.status} ${res.text}`);
    }
  });

  test('OTLP HTTP push without X-Scope-OrgID → 503 "no org id" (retryable), nothing stored', async () => {
    const traceId = newTraceId();
    const res = await postJson(srv.otlpHttpUrl, {
      resourceSpans: [{ scopeSpans: [{ spans: [{ traceId, spanId: '0102030405060708', name: 'anon',
        startTimeUnixNano: '1700000000000000000', endTimeUnixNano: '1700000000100000000' }] }] }],
    });
    assert.equal(res.status, 503, res.text);
    assert.match(res.text, /no org id/);
    for (const t of [a.tenant, b.tenant, 'single-tenant']) {
      const r = await srv.get(`/api/traces/${traceId}`, as(t));
      assert.equal(r.status, 404, `not stored under ${t}`);
    }
  });

  test('OTLP gRPC push without x-scope-orgid fails with Unavailable', async () => {
    const e = grpcExporter(srv, undefined, { timeoutMillis: 1500 });
    try {
      const res = await exportSpans(e, simpleTrace({ spans: 1, name: 'anon-grpc' }));
      assert.equal(res.code, ExportResultCode.FAILED);
      assert.match(String(res.error?.message), /no org id/);
      if (res.error?.code !== undefined) assert.equal(res.error.code, 14, 'UNAVAILABLE');
    } finally {
      await e.shutdown();
    }
  });

  test('spans received are counted per tenant', async () => {
    const m = await srv.metrics();
    assert.equal(metricSum(m, 'tempo_distributor_spans_received_total', { tenant: a.tenant }), a.spans.length);
    assert.equal(metricSum(m, 'tempo_distributor_spans_received_total', { tenant: b.tenant }), b.spans.length);
  });

  test('/flush writes blocks under <blocks>/<tenant>/, and traces stay scoped', async () => {
    const res = await srv.post('/flush');
    assert.equal(res.status, 204);
    await waitFor('blocks of both tenants', () => srv.completeBlocks(a.tenant).length > 0 && srv.completeBlocks(b.tenant).length > 0,
      { timeoutMs: 20000 });
    for (const t of [a, b]) {
      const mine = await srv.get(`/api/v2/traces/${t.traceId}`, as(t.tenant));
      assert.equal(countSpans(JSON.parse(mine.text).trace.resourceSpans), t.spans.length, `${t.tenant} after flush`);
      const other = await srv.get(`/api/traces/${t.traceId}`, as(t === a ? b.tenant : a.tenant));
      assert.equal(other.status, 404, `${t.tenant}'s trace invisible to the other tenant after flush`);
    }
  });
});
