// Per-tenant limits (issue 12) on the real server over real sockets, two or
// more tenants side by side (multitenancy on), limits from the per-tenant
// overrides file:
//   - ingestion rate + burst in bytes: OTLP/HTTP answers 429 with Tempo's
//     RATE_LIMITED message once the bucket is empty, and what is admitted
//     over a few seconds of overload is the configured rate within 10%;
//     OTLP/gRPC answers RESOURCE_EXHAUSTED; Zipkin is limited too; Jaeger
//     Thrift HTTP answers 500 "Cannot submit Jaeger batch: RATE_LIMITED: ..."
//     (the collector's Jaeger handler maps every consumer error to 500, so
//     Tempo never answers 429 there) and stores nothing of the refused batch;
//     another tenant is not affected;
//   - max_traces_per_user: spans of traces past the cap are dropped
//     silently (success), counted as live_traces_exceeded;
//   - max_bytes_per_trace: an oversize trace keeps what fit, and the v2
//     read answers it marked PARTIAL (JSON and protobuf), not 422/404;
//   - max_attribute_bytes truncates long attribute values;
//   - the memory bound (ingester.max_unflushed_bytes*) under 100 KiB traces:
//     429 push-back instead of growth, every trace stored after retries, and
//     the server's peak RSS at most the bound + 64 MB.
// Every refusal and drop is counted in tempo_discarded_spans_total{reason,
// tenant}.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import * as grpc from '@grpc/grpc-js';

import { Andante, metricSum, waitFor } from './harness.mjs';
import { encodeJaegerThriftBatch, jaegerGrpcClient, postSpans } from './legacy_clients.mjs';
import { decodeProto, encodeProto } from './otlp.mjs';

// ExportTraceServiceRequest is wire-identical to TracesData.
const REQUEST = 'opentelemetry.proto.trace.v1.TracesData';
const EXPORT = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

// An ExportTraceServiceRequest (protobuf bytes) with `spans` spans of one
// trace, each carrying `pad` bytes in an attribute.
function request({ traceId = crypto.randomBytes(16), spans = 1, pad = 0, value } = {}) {
  const nowNs = BigInt(Date.now()) * 1000000n;
  const list = [];
  for (let i = 0; i < spans; ++i) {
    list.push({
      traceId, spanId: crypto.randomBytes(8), name: `op${i}`, kind: 2,
      startTimeUnixNano: String(nowNs - 1000000n), endTimeUnixNano: String(nowNs),
      attributes: [{ key: 'pad', value: { stringValue: value ?? 'x'.repeat(pad) } }],
    });
  }
  return encodeProto(REQUEST, {
    resourceSpans: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'limits' } }] },
      scopeSpans: [{ scope: { name: 'limits-test' }, spans: list }],
    }],
  });
}

async function postOtlp(srv, tenant, body) {
  const res = await fetch(srv.otlpHttpUrl, {
    method: 'POST', body,
    headers: { 'Content-Type': 'application/x-protobuf', 'X-Scope-OrgID': tenant },
    signal: AbortSignal.timeout(15000),
  });
  const buf = Buffer.from(await res.arrayBuffer());
  return { status: res.status, body: buf };
}

function grpcExport(srv, tenant, body) {
  const client = new grpc.Client(`127.0.0.1:${srv.otlpGrpcPort}`, grpc.credentials.createInsecure());
  const md = new grpc.Metadata();
  md.set('x-scope-orgid', tenant);
  return new Promise((resolve) => {
    client.makeUnaryRequest(EXPORT, (b) => b, (b) => b, body, md, { deadline: Date.now() + 15000 },
      (err) => { client.close(); resolve(err); });
  });
}

async function discarded(srv, tenant, reason) {
  return metricSum(await srv.metrics(), 'tempo_discarded_spans_total', { tenant, reason });
}

async function spanCount(srv, tenant, traceHex) {
  const res = await srv.get(`/api/v2/traces/${traceHex}`, { 'X-Scope-OrgID': tenant });
  assert.equal(res.status, 200, res.text);
  const body = JSON.parse(res.text);
  let n = 0;
  for (const rs of body.trace.resourceSpans ?? []) for (const ss of rs.scopeSpans ?? []) n += (ss.spans ?? []).length;
  return { n, body };
}

const RATE = 200_000;   // bytes/s of tenant rate-http
const BURST = 40_000;

describe('per-tenant limits', () => {
  let srv;
  let dir;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'andante-limits-'));
    const overrides = path.join(dir, 'overrides.yaml');
    fs.writeFileSync(overrides, `overrides:
  "rate-http":
    ingestion: {rate_limit_bytes: ${RATE}, burst_size_bytes: ${BURST}}
  "rate-grpc":
    ingestion_rate_limit_bytes: 100
    ingestion_burst_size_bytes: 3000
  "rate-jaeger":
    ingestion: {rate_limit_bytes: 100, burst_size_bytes: 3000}
  "live":
    ingestion: {max_traces_per_user: 5}
  "big":
    global: {max_bytes_per_trace: 4000}
  "attrs":
    ingestion: {max_attribute_bytes: 10}
`);
    srv = await Andante.start({
      traceIdlePeriod: '5m', zipkin: true, jaeger: true,
      extraYaml: `multitenancy_enabled: true
overrides:
  defaults:
    ingestion: {rate_limit_bytes: 50000000, burst_size_bytes: 50000000}
  per_tenant_override_config: ${overrides}
  per_tenant_override_period: 1s
`,
    });
  });
  after(async () => {
    await srv?.cleanup();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('OTLP/HTTP: 429 RATE_LIMITED, and the admitted rate is the configured rate within 10%', async () => {
    const body = request({ pad: 4000 });
    const size = body.length;
    // Overload for ~4 s from 6 concurrent senders. The burst goes first;
    // from the first refusal on (bucket empty) what is admitted is the
    // refill rate x time.
    let refused = null;
    let firstRefusalMs = null;
    let beforeRefusal = 0;
    let afterRefusal = 0;
    let lastAdmittedMs = 0;
    const t0 = performance.now();
    const until = t0 + 4000;
    const statuses = new Map();
    async function sender() {
      while (performance.now() < until) {
        const r = await postOtlp(srv, 'rate-http', body);
        const at = performance.now();
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        if (r.status === 200) {
          if (firstRefusalMs === null) beforeRefusal += size;
          else { afterRefusal += size; lastAdmittedMs = at; }
        } else if (r.status === 429) {
          refused ??= r;
          firstRefusalMs ??= at;
        } else {
          assert.fail(`unexpected status ${r.status}: ${r.body}`);
        }
      }
    }
    await Promise.all(Array.from({ length: 6 }, sender));
    assert.ok(refused, `some pushes were refused (${[...statuses]})`);
    const status = decodeProto('google.rpc.Status', refused.body);
    assert.equal(status.code, 8, 'google.rpc.Status code RESOURCE_EXHAUSTED');
    assert.match(status.message,
      new RegExp(`^RATE_LIMITED: ingestion rate limit \\(local: ${RATE} bytes/s, global: ${RATE} bytes/s, burst: ${BURST} bytes\\) exceeded while adding ${size} bytes for user rate-http`));
    // The burst: at least the bucket's size went through before the first
    // refusal, and not more than it plus what refilled meanwhile.
    const firstRefusalS = (firstRefusalMs - t0) / 1000;
    assert.ok(beforeRefusal >= BURST - size && beforeRefusal <= BURST + RATE * firstRefusalS + size,
      `before the first refusal: ${beforeRefusal} bytes in ${firstRefusalS.toFixed(2)} s (burst ${BURST})`);
    const seconds = (lastAdmittedMs - firstRefusalMs) / 1000;
    assert.ok(seconds > 2, `measured over ${seconds} s`);
    const rate = afterRefusal / seconds;
    assert.ok(Math.abs(rate - RATE) <= 0.1 * RATE,
      `admitted ${rate.toFixed(0)} bytes/s over ${seconds.toFixed(2)} s; configured ${RATE} ± 10% (${[...statuses]})`);
    console.log(`rate limit: admitted ${rate.toFixed(0)} bytes/s for ${RATE} configured (${(100 * (rate / RATE - 1)).toFixed(1)}%)`);
    // Another tenant is not limited by rate-http's bucket.
    assert.equal((await postOtlp(srv, 'other', body)).status, 200);
    const refusedSpans = statuses.get(429);
    await waitFor('discarded rate_limited spans', async () => (await discarded(srv, 'rate-http', 'rate_limited')) === refusedSpans);
  });

  test('OTLP/gRPC: RESOURCE_EXHAUSTED naming the limit; a push larger than the burst', async () => {
    const small = request({ pad: 2000 });  // ~2.1 KB: one fits the 3000-byte burst, two do not
    assert.equal(await grpcExport(srv, 'rate-grpc', small), null, 'first push fits the burst');
    const err = await grpcExport(srv, 'rate-grpc', small);
    assert.ok(err, 'second push refused');
    assert.equal(err.code, grpc.status.RESOURCE_EXHAUSTED);
    assert.match(err.details, /^RATE_LIMITED: ingestion rate limit \(local: 100 bytes\/s.*for user rate-grpc/);
    const huge = request({ pad: 5000 });
    const err2 = await grpcExport(srv, 'rate-grpc', huge);
    assert.equal(err2?.code, grpc.status.RESOURCE_EXHAUSTED);
    assert.match(err2.details, new RegExp(`^RATE_LIMITED: batch size \\(${huge.length} bytes\\) exceeds ingestion limit`));
  });

  test('Zipkin: the same bucket limits spans arriving as Zipkin JSON', async () => {
    const spans = (n) => JSON.stringify(Array.from({ length: n }, () => ({
      traceId: crypto.randomBytes(16).toString('hex'), id: crypto.randomBytes(8).toString('hex'),
      name: 'z', timestamp: Date.now() * 1000, duration: 10, localEndpoint: { serviceName: 'zip' },
      tags: { pad: 'y'.repeat(1000) },
    })));
    const post = async () => (await fetch(srv.zipkinUrl, {
      method: 'POST', body: spans(1), headers: { 'Content-Type': 'application/json', 'X-Scope-OrgID': 'rate-grpc' },
    })).status;
    // rate-grpc's bucket is empty by now (100 bytes/s): refused.
    const status = await post();
    assert.notEqual(status, 202, 'Zipkin push over the rate is refused');
    assert.ok(status === 429 || status === 500, `status ${status}`);
  });

  test('Jaeger gRPC: RESOURCE_EXHAUSTED naming the limit', async () => {
    const client = jaegerGrpcClient(srv);
    const md = new grpc.Metadata();
    md.set('x-scope-orgid', 'rate-grpc');
    const nowS = Math.floor(Date.now() / 1000);
    try {
      const { err } = await postSpans(client, {
        process: { service_name: 'jaeger-svc' },
        spans: [{
          trace_id: crypto.randomBytes(16), span_id: crypto.randomBytes(8), operation_name: 'j',
          start_time: { seconds: String(nowS), nanos: 0 }, duration: { seconds: '0', nanos: 1000 },
          tags: [{ key: 'pad', v_type: 'STRING', v_str: 'z'.repeat(1000) }],
        }],
      }, md);
      // rate-grpc's bucket (100 bytes/s) is empty by now.
      assert.ok(err, 'Jaeger push over the rate refused');
      assert.equal(err.code, grpc.status.RESOURCE_EXHAUSTED);
      assert.match(err.details, /^RATE_LIMITED: .*for user rate-grpc/);
    } finally {
      client.close();
    }
  });

  test('Jaeger Thrift HTTP: refused naming the limit, nothing stored, the spans counted', async () => {
    // A jaeger.Batch as jaeger-client's HTTPSender encodes it, POSTed with
    // the tenant header the sender cannot set.
    const batch = (spans, pad) => {
      const traceId = crypto.randomBytes(16);
      const nowUs = BigInt(Date.now()) * 1000n;
      return {
        traceId,
        body: encodeJaegerThriftBatch({
          process: { serviceName: 'jaeger-http' },
          spans: Array.from({ length: spans }, (_, i) => ({
            traceId, spanId: crypto.randomBytes(8), operationName: `jh${i}`,
            startTimeUs: nowUs, durationUs: 10, tags: [{ key: 'pad', vStr: 'j'.repeat(pad) }],
          })),
        }),
      };
    };
    const post = async (body) => {
      const res = await fetch(`${srv.jaegerHttpUrl}?format=jaeger.thrift`, {
        method: 'POST', body,
        headers: { 'Content-Type': 'application/x-thrift', 'X-Scope-OrgID': 'rate-jaeger' },
        signal: AbortSignal.timeout(15000),
      });
      return { status: res.status, text: await res.text(), type: res.headers.get('content-type') };
    };
    const before = await discarded(srv, 'rate-jaeger', 'rate_limited');
    // rate-jaeger: 100 bytes/s, burst 3000. One ~1.9 KB span fits the full
    // bucket and is stored; then two 1 KB spans (~2.2 KB, under the burst,
    // so it is the rate that refuses them) find ~1.1 KB left, + 100 bytes/s.
    const first = batch(1, 1800);
    const ok = await post(first.body);
    assert.equal(ok.status, 202, ok.text);
    const stored = await srv.get(`/api/traces/${first.traceId.toString('hex')}`, { 'X-Scope-OrgID': 'rate-jaeger' });
    assert.equal(stored.status, 200, 'the admitted batch is stored');
    const over = batch(2, 1000);
    const r = await post(over.body);
    // Tempo's answer: the Jaeger collector handler turns any consumer error
    // into 500 "Cannot submit Jaeger batch: <err>" (text/plain), 429 never.
    assert.equal(r.status, 500, r.text);
    assert.match(r.type, /^text\/plain/);
    const m = r.text.match(
      /^Cannot submit Jaeger batch: RATE_LIMITED: ingestion rate limit \(local: 100 bytes\/s, global: 100 bytes\/s, burst: 3000 bytes\) exceeded while adding (\d+) bytes for user rate-jaeger\n$/);
    assert.ok(m, `body: ${JSON.stringify(r.text)}`);
    // The size counted is the batch's: at least its two pads, within the burst.
    const adding = Number(m[1]);
    assert.ok(adding >= 2000 && adding <= 3000, `adding ${adding} bytes`);
    const missing = await srv.get(`/api/traces/${over.traceId.toString('hex')}`, { 'X-Scope-OrgID': 'rate-jaeger' });
    assert.equal(missing.status, 404, 'nothing of the refused batch is stored');
    await waitFor('rate_limited spans of rate-jaeger',
      async () => (await discarded(srv, 'rate-jaeger', 'rate_limited')) === before + 2);
  });

  test('max_traces_per_user: new traces past the cap are dropped silently and counted', async () => {
    const ids = Array.from({ length: 8 }, () => crypto.randomBytes(16));
    for (const traceId of ids) {
      const r = await postOtlp(srv, 'live', request({ traceId, spans: 2 }));
      assert.equal(r.status, 200, 'a dropped trace still answers success, as Tempo does');
    }
    const found = [];
    for (const id of ids) found.push((await spanCount(srv, 'live', id.toString('hex'))).n);
    assert.deepEqual(found, [2, 2, 2, 2, 2, 0, 0, 0]);
    // A live trace still takes spans; the other tenant is unaffected.
    assert.equal((await postOtlp(srv, 'live', request({ traceId: ids[0], spans: 1 }))).status, 200);
    assert.equal((await spanCount(srv, 'live', ids[0].toString('hex'))).n, 3);
    assert.equal((await postOtlp(srv, 'other', request({ spans: 1 }))).status, 200);
    assert.equal(await discarded(srv, 'live', 'live_traces_exceeded'), 6);
    const m = await srv.metrics();
    assert.equal(metricSum(m, 'tempo_ingester_live_traces', { tenant: 'live' }), 5);
  });

  test('max_bytes_per_trace: what fit is kept and the v2 read says PARTIAL', async () => {
    const traceId = crypto.randomBytes(16);
    const hex = traceId.toString('hex');
    for (let i = 0; i < 10; ++i) {
      assert.equal((await postOtlp(srv, 'big', request({ traceId, pad: 900 }))).status, 200);
    }
    const { n, body } = await spanCount(srv, 'big', hex);
    assert.ok(n >= 1 && n < 10, `kept ${n} of 10 spans`);
    assert.equal(body.status, 'PARTIAL');
    assert.equal(body.message, 'Trace exceeds maximum size of 4000 bytes, a partial trace is returned');
    const proto = await srv.get(`/api/v2/traces/${hex}`, { 'X-Scope-OrgID': 'big', Accept: 'application/protobuf' });
    assert.equal(proto.status, 200);
    const msg = decodeProto('tempopb.TraceByIDResponse', proto.body);
    assert.equal(msg.status, 'PARTIAL');
    assert.match(msg.message, /maximum size of 4000 bytes/);
    assert.equal(await discarded(srv, 'big', 'trace_too_large'), 10 - n);
    // A small trace of the same tenant is complete: no status.
    const small = crypto.randomBytes(16);
    await postOtlp(srv, 'big', request({ traceId: small }));
    const complete = await spanCount(srv, 'big', small.toString('hex'));
    assert.equal(complete.n, 1);
    assert.equal(complete.body.status, undefined);
  });

  test('max_attribute_bytes truncates attribute values', async () => {
    const traceId = crypto.randomBytes(16);
    assert.equal((await postOtlp(srv, 'attrs', request({ traceId, value: 'abcdefghijklmnopqrstuvwxyz' }))).status, 200);
    const { body } = await spanCount(srv, 'attrs', traceId.toString('hex'));
    const span = body.trace.resourceSpans[0].scopeSpans[0].spans[0];
    const pad = span.attributes.find((a) => a.key === 'pad');
    assert.equal(pad.value.stringValue, 'abcdefghij');
    // Keys are cut too, the resource's included (as Tempo's distributor does).
    const keys = body.trace.resourceSpans[0].resource.attributes.map((a) => a.key);
    assert.deepEqual(keys, ['service.na']);
    const m = await srv.metrics();
    assert.equal(metricSum(m, 'tempo_distributor_attributes_truncated_total', { tenant: 'attrs' }), 2);
  });

  test('GET /api/overrides shows each tenant its effective limits', async () => {
    const res = await srv.get('/api/overrides', { 'X-Scope-OrgID': 'rate-http' });
    assert.equal(res.status, 200, res.text);
    const j = JSON.parse(res.text);
    assert.equal(j.tenant, 'rate-http');
    assert.equal(j.limits.ingestion.rate_limit_bytes, RATE);
    assert.equal(j.limits.ingestion.burst_size_bytes, BURST);
    // Merged onto the defaults: what the entry does not set is the default.
    assert.equal(j.limits.ingestion.max_traces_per_user, 10000);
    const other = JSON.parse((await srv.get('/api/overrides', { 'X-Scope-OrgID': 'other' })).text);
    assert.equal(other.limits.ingestion.rate_limit_bytes, 50000000);
    assert.equal((await srv.get('/api/overrides')).status, 401, 'no tenant, no answer');
  });
});

// --- the memory bound ------------------------------------------------------

function peakRssKb(pid) {
  const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(text.match(/^VmHWM:\s+(\d+) kB/m)[1]);
}

describe('memory bound under 100 KiB traces', () => {
  const BOUND = 16 << 20;        // ingester.max_unflushed_bytes
  const PER_TENANT = 10 << 20;   // ingester.max_unflushed_bytes_per_tenant
  let srv;
  before(async () => {
    srv = new Andante({
      traceIdlePeriod: '1s', flushCheckPeriod: '1s', maxBlockDuration: '5m',
      maxBlockBytes: 1 << 30,
      extraYaml: `multitenancy_enabled: true
overrides:
  defaults:
    ingestion: {rate_limit_bytes: 1000000000, burst_size_bytes: 1000000000, max_traces_per_user: 0}
    global: {max_bytes_per_trace: 0}
`,
    });
    await srv.init();
    // The bound goes under the harness's ingester section.
    const cfg = fs.readFileSync(srv.configPath, 'utf8').replace('ingester:\n',
      `ingester:\n  max_unflushed_bytes: ${BOUND}\n  max_unflushed_bytes_per_tenant: ${PER_TENANT}\n`);
    assert.match(cfg, /max_unflushed_bytes_per_tenant/);
    fs.writeFileSync(srv.configPath, cfg);
    await srv.start();
  });
  after(async () => { await srv?.cleanup(); });

  test('pushes back with 429 instead of growing; RSS stays within bound + 64 MB', async () => {
    const TRACES = 300;  // 2 tenants x 300 x 100 KiB = ~60 MB offered, ~4x the bound
    const rssBaseKb = peakRssKb(srv.child.pid);
    let pushedBack = 0;
    const stored = { a: [], b: [] };
    async function tenant(name) {
      for (let i = 0; i < TRACES; ++i) {
        const traceId = crypto.randomBytes(16);
        // 100 KiB in 10 spans of ~10 KiB.
        // Incompressible padding, like real attribute data.
        const body = request({ traceId, spans: 10, value: crypto.randomBytes(7680).toString('base64') });
        for (;;) {
          const r = await postOtlp(srv, name, body);
          if (r.status === 200) break;
          assert.equal(r.status, 429, `status ${r.status}`);
          const st = decodeProto('google.rpc.Status', r.body);
          assert.match(st.message, /^MEMORY_LIMIT_EXCEEDED: /);
          ++pushedBack;
          await new Promise((res) => setTimeout(res, 100));
        }
        stored[name].push(traceId.toString('hex'));
      }
    }
    await Promise.all([tenant('a'), tenant('b')]);
    const peakKb = peakRssKb(srv.child.pid);
    assert.ok(pushedBack > 0, 'the bound was reached and pushed back');
    const m = await srv.metrics();
    assert.ok(metricSum(m, 'andante_ingester_unflushed_bytes') <= BOUND);
    assert.ok(metricSum(m, 'tempo_discarded_spans_total', { reason: 'memory_limit_exceeded' }) >= pushedBack * 10);
    console.log(`memory bound: base RSS ${rssBaseKb} kB, peak ${peakKb} kB, bound ${BOUND >> 10} kB, ${pushedBack} pushes retried`);
    assert.ok(peakKb <= (BOUND >> 10) + 64 * 1024,
      `peak RSS ${peakKb} kB exceeds the bound (${BOUND >> 10} kB) + 64 MB`);
    // Nothing acknowledged was lost: a sample of each tenant's traces reads back whole.
    for (const name of ['a', 'b']) {
      for (const hex of [stored[name][0], stored[name][TRACES >> 1], stored[name][TRACES - 1]]) {
        const { n } = await spanCount(srv, name, hex);
        assert.equal(n, 10, `${name} ${hex}`);
      }
    }
  });
});
