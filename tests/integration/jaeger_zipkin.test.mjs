// Jaeger and Zipkin receivers end to end: real clients push (the npm Zipkin
// and Jaeger exporters, jaeger-client over UDP, Apache Thrift compact over
// UDP, a gRPC client on our collector.proto, protobufjs on our zipkin.proto),
// then every trace is read back by ID and compared field by field with what
// the collector's translators produce: names, services, parents, kinds,
// times and durations, typed attributes, events, links and error status.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { Andante, metricSum, waitFor } from './harness.mjs';
import {
  closeTracer, encodeEmitBatch, followsFrom, encodeZipkinProto, grpc, jaegerClientTracer, jaegerGrpcClient, postRawSpans,
  jaegerHttpExporter, postSpans, sendUdp, thriftRefType, thriftTagType, zipkinExporter,
} from './legacy_clients.mjs';
import {
  SpanKind, SpanStatusCode, exportSpans, hrTime, makeResource, newSpanId, newTraceId, readableSpan, spansFromTempo,
} from './otlp.mjs';
import { getTraceV2Json } from './tempo_api.mjs';

// The stored spans of `traceId`, once there are `n` of them.
async function storedSpans(srv, traceId, n, { headers } = {}) {
  let spans = [];
  await waitFor(`trace ${traceId} to have ${n} spans`, async () => {
    const res = await srv.get(`/api/v2/traces/${traceId}`, headers ?? {});
    if (res.status !== 200) throw new Error(`status ${res.status}`);
    spans = spansFromTempo(JSON.parse(res.text).trace?.resourceSpans);
    if (spans.length >= n) return true;
    throw new Error(`has ${spans.length} of ${n} spans`);
  }, { timeoutMs: 10000 });
  assert.equal(spans.length, n, `trace ${traceId}: exactly ${n} spans`);
  return new Map(spans.map((s) => [s.name, s]));
}

const attr = (span, key) => span.attributes.find(([k]) => k === key)?.[1];
const service = (span) => attr({ attributes: span.resource }, 'service.name')?.s;
const usToNs = (us) => (BigInt(us) * 1000n).toString();
const hrToUs = (hr) => BigInt(hr[0]) * 1000000n + BigInt(Math.round(hr[1] / 1000));
const padId = (hex) => hex.padStart(32, '0');

function assertExportOk(res, what) {
  assert.equal(res.code, 0, `${what}: exporter reported failure: ${res.error?.message}`);
}

// One small trace, the way an OpenTelemetry SDK hands spans to an exporter:
// SERVER root with an error status and an event, a CLIENT child, an INTERNAL
// grandchild and a PRODUCER span.
function sdkSpans(tag) {
  const traceId = newTraceId();
  const baseMs = Date.now() - 4000;
  const resource = makeResource(`svc-${tag}`, { 'host.name': `host-${tag}` });
  const ids = [newSpanId(), newSpanId(), newSpanId(), newSpanId()];
  const spans = [
    readableSpan({
      traceId, spanId: ids[0], name: 'GET /cart', kind: SpanKind.SERVER, resource,
      start: hrTime(baseMs, 0), end: hrTime(baseMs, 250_000_000),
      attributes: { 'http.method': 'GET', 'http.status_code': 503, 'retry': true, 'ratio': 0.25, 'user': 'ü-42' },
      events: [{ name: 'cache.miss', time: hrTime(baseMs, 5_000_000), attributes: { 'cache.key': 'cart:42' } }],
      status: { code: SpanStatusCode.ERROR, message: 'backend down' },
    }),
    readableSpan({
      traceId, spanId: ids[1], parentSpanId: ids[0], name: 'cart.load', kind: SpanKind.CLIENT, resource,
      start: hrTime(baseMs, 10_000_000), end: hrTime(baseMs, 200_000_000),
      attributes: { 'rpc.system': 'grpc', 'peer.port': 8080 },
      status: { code: SpanStatusCode.OK },
    }),
    readableSpan({
      traceId, spanId: ids[2], parentSpanId: ids[1], name: 'decode', kind: SpanKind.INTERNAL, resource,
      start: hrTime(baseMs, 20_000_000), end: hrTime(baseMs, 21_500_000),
    }),
    readableSpan({
      traceId, spanId: ids[3], parentSpanId: ids[0], name: 'publish', kind: SpanKind.PRODUCER, resource,
      start: hrTime(baseMs, 30_000_000), end: hrTime(baseMs, 31_000_000),
      attributes: { 'messaging.system': 'kafka' },
    }),
  ];
  return { traceId, ids, spans, service: `svc-${tag}` };
}

function assertTimes(got, sent, { eventPrecisionMs = false } = {}) {
  const startUs = hrToUs(sent.startTime);
  const endUs = startUs + hrToUs(sent.duration);
  assert.equal(got.startTimeUnixNano, usToNs(startUs), `${sent.name}: start`);
  assert.equal(got.endTimeUnixNano, usToNs(endUs), `${sent.name}: end (start + duration)`);
  assert.equal(got.events.length, sent.events.length, `${sent.name}: events`);
  for (const [i, e] of sent.events.entries()) {
    assert.equal(got.events[i].name, e.name, `${sent.name}: event name`);
    const ns = BigInt(got.events[i].timeUnixNano);
    const want = BigInt(hrToUs(e.time)) * 1000n;
    const slack = eventPrecisionMs ? 1_000_000n : 0n;
    assert.ok(ns >= want - slack && ns <= want + slack, `${sent.name}: event time ${ns} vs ${want}`);
  }
}

const KIND = {
  [SpanKind.SERVER]: 'SPAN_KIND_SERVER', [SpanKind.CLIENT]: 'SPAN_KIND_CLIENT',
  [SpanKind.PRODUCER]: 'SPAN_KIND_PRODUCER', [SpanKind.CONSUMER]: 'SPAN_KIND_CONSUMER',
  // Neither exporter sends a kind for INTERNAL spans.
  [SpanKind.INTERNAL]: 'SPAN_KIND_UNSPECIFIED',
};

describe('Jaeger and Zipkin receivers → trace by ID', () => {
  let srv;
  before(async () => {
    srv = await Andante.start({ jaeger: true, zipkin: true, jaegerYaml: 'max_packet_size: 8192' });
  });
  after(async () => { await srv?.cleanup(); });

  test('@opentelemetry/exporter-zipkin (JSON v2): spans read back as the zipkin translator makes them', async () => {
    const { traceId, ids, spans, service: svc } = sdkSpans('zipkin');
    const exporter = zipkinExporter(srv);
    try {
      assertExportOk(await exportSpans(exporter, spans), 'zipkin export');
    } finally {
      await exporter.shutdown();
    }
    const got = await storedSpans(srv, traceId, spans.length);
    for (const sent of spans) {
      const g = got.get(sent.name);
      assert.ok(g, `span ${sent.name} stored`);
      assert.equal(g.traceId, traceId);
      assert.equal(g.spanId, sent.spanContext().spanId);
      assert.equal(g.parentSpanId, sent.parentSpanContext?.spanId ?? '');
      assert.equal(g.kind, KIND[sent.kind], `${sent.name}: kind`);
      assert.equal(service(g), svc, `${sent.name}: service.name`);
      assertTimes(g, sent);
      // Zipkin tags are strings: every attribute comes back as its String().
      for (const [k, v] of Object.entries(sent.attributes)) {
        assert.deepEqual(attr(g, k), { s: String(v) }, `${sent.name}: tag ${k}`);
      }
      // host.name is a resource convention: back on the resource.
      assert.deepEqual(attr({ attributes: g.resource }, 'host.name'), { s: 'host-zipkin' });
      assert.equal(attr(g, 'host.name'), undefined, 'host.name is not left on the span');
    }
    // The JS exporter writes otel.status_code as "ERROR"/"OK", which the
    // collector's translator does not map to a code (it knows STATUS_CODE_*
    // and Ok/Error) but still consumes; the "error" tag sets the status.
    for (const g of got.values()) assert.equal(attr(g, 'otel.status_code'), undefined);
    assert.equal(got.get('GET /cart').status.code, 'STATUS_CODE_ERROR');
    // The description travels in the "error" tag, which is not "true", so
    // it stays as an attribute.
    assert.deepEqual(attr(got.get('GET /cart'), 'error'), { s: 'backend down' });
    assert.equal(got.get('cart.load').status.code, 'STATUS_CODE_UNSET');
    assert.equal(got.get('decode').status.code, 'STATUS_CODE_UNSET');
    assert.equal(got.get('cart.load').parentSpanId, ids[0]);
  });

  test('@opentelemetry/exporter-jaeger (Thrift over HTTP): typed tags, status, events', async () => {
    const { traceId, spans, service: svc } = sdkSpans('jaeger-http');
    const exporter = jaegerHttpExporter(srv);
    try {
      assertExportOk(await exportSpans(exporter, spans), 'jaeger export');
    } finally {
      await exporter.shutdown();
    }
    const got = await storedSpans(srv, traceId, spans.length);
    for (const sent of spans) {
      const g = got.get(sent.name);
      assert.ok(g, `span ${sent.name} stored`);
      assert.equal(g.parentSpanId, sent.parentSpanContext?.spanId ?? '', `${sent.name}: parent`);
      assert.equal(g.kind, KIND[sent.kind], `${sent.name}: kind`);
      assert.equal(service(g), svc, `${sent.name}: service.name from the process`);
      assertTimes(g, sent, { eventPrecisionMs: true });
      // jaeger-client's Thrift tags: numbers travel as DOUBLE, bools as BOOL.
      for (const [k, v] of Object.entries(sent.attributes)) {
        const want = typeof v === 'number' ? { d: v } : typeof v === 'boolean' ? { b: v } : { s: String(v) };
        assert.deepEqual(attr(g, k), want, `${sent.name}: tag ${k}`);
      }
      for (const k of ['span.kind', 'otel.status_code', 'otel.status_description']) {
        assert.equal(attr(g, k), undefined, `${sent.name}: ${k} is consumed by the translator`);
      }
    }
    const root = got.get('GET /cart');
    assert.deepEqual(root.status, { code: 'STATUS_CODE_ERROR', message: 'backend down' });
    assert.equal(attr(root, 'error'), undefined, 'bool error=true is consumed');
    assert.deepEqual(root.events[0].attributes, [['cache.key', { s: 'cart:42' }]], 'event fields without "event"');
    assert.equal(got.get('cart.load').status.code, 'STATUS_CODE_OK');
  });

  test('jaeger-client over UDP (agent, Thrift binary): 64-bit IDs, process tags, logs, references', async () => {
    const tracer = jaegerClientTracer(srv, 'jaeger-client-svc');
    const root = tracer.startSpan('checkout', { tags: { 'span.kind': 'server', 'http.status_code': 200, 'cached': false } });
    const child = tracer.startSpan('charge', { childOf: root.context(), tags: { 'span.kind': 'client', 'error': true, 'amount': 12.5 } });
    child.log({ event: 'retry', attempt: 2 });
    await new Promise((r) => setTimeout(r, 5));
    child.finish();
    const follower = tracer.startSpan('audit', { references: [followsFrom(root.context())] });
    follower.finish();
    root.finish();
    await closeTracer(tracer);

    const traceId = root.context().traceIdStr;
    assert.equal(traceId.length <= 16, true, `jaeger-client made a 64-bit trace ID (${traceId})`);
    // Querying the 16-hex ID finds it (left-padded), and the stored ID is
    // 128-bit with leading zeros.
    const got = await storedSpans(srv, traceId, 3);
    const r = got.get('checkout');
    const c = got.get('charge');
    const f = got.get('audit');
    assert.equal(r.traceId, padId(traceId));
    assert.equal(r.kind, 'SPAN_KIND_SERVER');
    assert.equal(c.kind, 'SPAN_KIND_CLIENT');
    assert.equal(c.parentSpanId, r.spanId);
    assert.equal(f.parentSpanId, r.spanId, 'FOLLOWS_FROM reference becomes the parent');
    assert.equal(f.links.length, 1, 'the FOLLOWS_FROM reference is also a link');
    assert.deepEqual(f.links[0].attributes, [['opentracing.ref_type', { s: 'follows_from' }]]);
    assert.deepEqual(c.status, { code: 'STATUS_CODE_ERROR', message: '' });
    assert.deepEqual(attr(c, 'amount'), { d: 12.5 });
    assert.deepEqual(attr(r, 'cached'), { b: false });
    assert.equal(r.status.code, 'STATUS_CODE_UNSET', 'http.status_code 200 on a server span');
    assert.equal(c.events.length, 1);
    assert.equal(c.events[0].name, 'retry');
    assert.deepEqual(c.events[0].attributes, [['attempt', { d: 2 }]]);
    assert.equal(service(r), 'jaeger-client-svc');
    const res = Object.fromEntries(r.resource);
    assert.ok(res['host.name']?.s, 'hostname process tag renamed to host.name');
    assert.equal(res.hostname, undefined);
    assert.match(res['opencensus.exporterversion']?.s ?? '', /^Jaeger-Node-/, 'jaeger.version → opencensus.exporterversion');
    assert.ok(BigInt(c.endTimeUnixNano) > BigInt(c.startTimeUnixNano), 'duration kept');
  });

  test('Apache Thrift compact over UDP (agent 6831 protocol): every tag type and a 128-bit ID', async () => {
    const hi = BigInt('0x' + newSpanId());
    const lo = BigInt('0x' + newSpanId());
    const traceId = hi.toString(16).padStart(16, '0') + lo.toString(16).padStart(16, '0');
    const rootId = BigInt('0x' + newSpanId());
    const childId = BigInt('0x' + newSpanId());
    const startUs = BigInt(Date.now() - 3000) * 1000n;
    const T = (name) => thriftTagType(name);
    const datagram = encodeEmitBatch({
      process: { serviceName: 'compact-svc', tags: [{ key: 'hostname', vType: T('STRING'), vStr: 'box-1' }] },
      spans: [
        {
          traceIdHigh: hi, traceIdLow: lo, spanId: rootId, operationName: 'root', startTime: startUs, duration: 5000n,
          tags: [
            { key: 'span.kind', vType: T('STRING'), vStr: 'consumer' },
            { key: 's', vType: T('STRING'), vStr: 'text' },
            { key: 'd', vType: T('DOUBLE'), vDouble: 1.5 },
            { key: 'b', vType: T('BOOL'), vBool: true },
            { key: 'l', vType: T('LONG'), vLong: -7n },
            { key: 'bin', vType: T('BINARY'), vBinary: Buffer.from([1, 2, 255]) },
          ],
          logs: [{ timestamp: startUs + 10n, fields: [{ key: 'event', vType: T('STRING'), vStr: 'got' }, { key: 'n', vType: T('LONG'), vLong: 3n }] }],
        },
        {
          traceIdHigh: hi, traceIdLow: lo, spanId: childId, operationName: 'child', startTime: startUs + 100n, duration: 1000n,
          references: [{ refType: thriftRefType('CHILD_OF'), traceIdHigh: hi, traceIdLow: lo, spanId: rootId }],
          tags: [{ key: 'http.status_code', vType: T('LONG'), vLong: 404n }, { key: 'span.kind', vType: T('STRING'), vStr: 'client' }],
        },
      ],
    }, 'compact');
    await sendUdp(srv.jaegerCompactPort, datagram);
    const got = await storedSpans(srv, traceId, 2);
    const r = got.get('root');
    const c = got.get('child');
    assert.equal(r.traceId, traceId);
    assert.equal(r.spanId, rootId.toString(16).padStart(16, '0'));
    assert.equal(r.kind, 'SPAN_KIND_CONSUMER');
    assert.equal(r.startTimeUnixNano, usToNs(startUs));
    assert.equal(r.endTimeUnixNano, usToNs(startUs + 5000n));
    assert.deepEqual(Object.fromEntries(r.attributes), {
      s: { s: 'text' }, d: { d: 1.5 }, b: { b: true }, l: { i: '-7' }, bin: { bytes: '0102ff' },
    });
    assert.deepEqual(r.events, [{ name: 'got', timeUnixNano: usToNs(startUs + 10n), attributes: [['n', { i: '3' }]], droppedAttributesCount: 0 }]);
    assert.equal(c.parentSpanId, r.spanId, 'CHILD_OF reference is the parent');
    assert.equal(c.links.length, 0, 'the parent reference is not repeated as a link');
    assert.deepEqual(c.status, { code: 'STATUS_CODE_ERROR', message: '' }, '404 on a client span is an error');
    assert.deepEqual(Object.fromEntries(r.resource), { 'service.name': { s: 'compact-svc' }, 'host.name': { s: 'box-1' } });
  });

  test('Jaeger gRPC PostSpans: per-span process, scope tags, trace state, links to other traces', async () => {
    const traceId = newTraceId();
    const other = newTraceId();
    const ids = [newSpanId(), newSpanId(), newSpanId()];
    const b = (hex) => Buffer.from(hex, 'hex');
    const now = Date.now() - 2000;
    const ts = (ms, extraNs = 0) => ({ seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1e6 + extraNs });
    const client = jaegerGrpcClient(srv);
    try {
      const { err } = await postSpans(client, {
        process: { service_name: 'grpc-svc', tags: [{ key: 'jaeger.version', v_type: 'STRING', v_str: 'Go-2.30.0' }] },
        spans: [
          {
            trace_id: b(traceId), span_id: b(ids[0]), operation_name: 'grpc-root',
            start_time: ts(now, 123), duration: { seconds: '0', nanos: 2_000_000 },
            tags: [
              { key: 'span.kind', v_type: 'STRING', v_str: 'server' },
              { key: 'i', v_type: 'INT64', v_int64: '9007199254740993' },
              { key: 'f', v_type: 'FLOAT64', v_float64: 2.5 },
              { key: 'w3c.tracestate', v_type: 'STRING', v_str: 'k=v' },
              { key: 'otel.scope.name', v_type: 'STRING', v_str: 'my.lib' },
              { key: 'otel.scope.version', v_type: 'STRING', v_str: '1.2' },
              { key: 'otel.status_code', v_type: 'STRING', v_str: 'ERROR' },
              { key: 'otel.status_description', v_type: 'STRING', v_str: 'boom' },
            ],
            references: [{ trace_id: b(other), span_id: b(ids[2]), ref_type: 'FOLLOWS_FROM' }],
          },
          {
            trace_id: b(traceId), span_id: b(ids[1]), operation_name: 'grpc-child',
            start_time: ts(now + 1), duration: { seconds: '0', nanos: 500_000 },
            references: [{ trace_id: b(traceId), span_id: b(ids[0]), ref_type: 'CHILD_OF' }],
            process: { service_name: 'other-svc', tags: [] },
          },
        ],
      });
      assert.equal(err, null, `PostSpans: ${err?.message}`);
      const got = await storedSpans(srv, traceId, 2);
      if (process.env.DEBUG_IT) console.log(JSON.stringify([...got.values()], null, 1));
      const r = got.get('grpc-root');
      const c = got.get('grpc-child');
      assert.equal(r.kind, 'SPAN_KIND_SERVER');
      assert.equal(r.traceState, 'k=v');
      assert.deepEqual(r.scope, { name: 'my.lib', version: '1.2' });
      assert.deepEqual(r.status, { code: 'STATUS_CODE_ERROR', message: 'boom' });
      assert.deepEqual(Object.fromEntries(r.attributes), { i: { i: '9007199254740993' }, f: { d: 2.5 } });
      assert.equal(r.startTimeUnixNano, (BigInt(now) * 1000000n + 123n).toString());
      assert.equal(r.endTimeUnixNano, (BigInt(now) * 1000000n + 123n + 2000000n).toString());
      assert.equal(r.parentSpanId, '', 'a reference to another trace is not a parent');
      assert.deepEqual(r.links.map((l) => [l.traceId, l.spanId]), [[other, ids[2]]]);
      assert.equal(service(r), 'grpc-svc');
      assert.deepEqual(attr({ attributes: r.resource }, 'opencensus.exporterversion'), { s: 'Jaeger-Go-2.30.0' });
      assert.equal(service(c), 'other-svc', 'per-span process override');
      assert.equal(c.parentSpanId, ids[0]);

      // A span ID of 5 bytes is refused with INVALID_ARGUMENT, and the next
      // good batch still lands.
      const bad = await postSpans(client, {
        process: { service_name: 'grpc-svc' },
        spans: [{ trace_id: b(newTraceId()), span_id: Buffer.from([1, 2, 3, 4, 5]), operation_name: 'bad' }],
      });
      assert.equal(bad.err?.code, grpc.status.INVALID_ARGUMENT, `bad span id: ${bad.err?.message}`);
      assert.match(bad.err.details, /span/i);

      // Bytes that are not a PostSpansRequest (a truncated batch; invalid
      // UTF-8 in operation_name) are refused with protobuf's reason.
      for (const raw of [Buffer.from([0x0a, 0x05, 0x0a, 0x10]),
        Buffer.from([0x0a, 0x07, 0x0a, 0x05, 0x1a, 0x03, 0x61, 0xff, 0x62])]) {
        const refused = await postRawSpans(srv, raw);
        assert.equal(refused.err?.code, grpc.status.INVALID_ARGUMENT, `raw ${raw.toString('hex')}: ${refused.err?.message}`);
        assert.match(refused.err.details, /cannot parse PostSpansRequest/, refused.err.message);
      }
    } finally {
      client.close();
    }
  });

  test('Zipkin protobuf: endpoints become net.*/peer.* attributes, shared server span keeps the client ID', async () => {
    const traceId = newTraceId();
    const clientId = newSpanId();
    const rootId = newSpanId();
    const b = (hex) => Buffer.from(hex, 'hex');
    const nowUs = (Date.now() - 1000) * 1000;
    const body = encodeZipkinProto([
      {
        trace_id: b(traceId), id: b(rootId), kind: 'SERVER', name: 'zroot', timestamp: nowUs, duration: 3000,
        local_endpoint: { service_name: 'zp-front', ipv4: Buffer.from([10, 0, 0, 1]), port: 8080 },
        tags: { 'http.path': '/x', 'error': 'true' },
        annotations: [{ timestamp: nowUs + 5, value: 'wr' }],
      },
      {
        trace_id: b(traceId), parent_id: b(rootId), id: b(clientId), kind: 'CLIENT', name: 'zcall', timestamp: nowUs + 10, duration: 1000,
        local_endpoint: { service_name: 'zp-front' },
        remote_endpoint: { service_name: 'zp-back', ipv4: Buffer.from([192, 168, 1, 9]), port: 9000 },
      },
      {
        trace_id: b(traceId), parent_id: b(rootId), id: b(clientId), kind: 'SERVER', name: 'zserve', timestamp: nowUs + 20, duration: 500,
        shared: true, local_endpoint: { service_name: 'zp-back', ipv6: Buffer.from('20010db8000000000000000000000001', 'hex') },
      },
    ]);
    const res = await fetch(srv.zipkinUrl, { method: 'POST', body, headers: { 'Content-Type': 'application/x-protobuf' } });
    assert.equal(res.status, 202, await res.text());
    const got = await storedSpans(srv, traceId, 3);
    const r = got.get('zroot');
    const c = got.get('zcall');
    const s = got.get('zserve');
    assert.deepEqual(r.status.code, 'STATUS_CODE_ERROR');
    assert.equal(attr(r, 'error'), undefined, 'error="true" is consumed');
    assert.deepEqual(attr(r, 'net.host.ip'), { s: '10.0.0.1' });
    assert.deepEqual(attr(r, 'net.host.port'), { i: '8080' });
    assert.deepEqual(r.events.map((e) => [e.name, e.timeUnixNano]), [['wr', usToNs(nowUs + 5)]]);
    assert.deepEqual(attr(c, 'peer.service'), { s: 'zp-back' });
    assert.deepEqual(attr(c, 'net.peer.ip'), { s: '192.168.1.9' });
    assert.deepEqual(attr(c, 'net.peer.port'), { i: '9000' });
    assert.equal(c.kind, 'SPAN_KIND_CLIENT');
    assert.equal(s.kind, 'SPAN_KIND_SERVER');
    assert.equal(s.spanId, c.spanId, 'shared span keeps the client span ID; (span ID, kind) keeps both');
    assert.deepEqual(attr(s, 'net.host.ip'), { s: '2001:db8::1' });
    assert.equal(service(s), 'zp-back');
    assert.equal(service(c), 'zp-front');
  });

  test('Zipkin JSON v2 with a 64-bit trace ID, gzip, and /api/v1/spans JSON', async () => {
    const traceId = newSpanId();  // 16 hex: 64-bit
    const id = newSpanId();
    const nowUs = (Date.now() - 1000) * 1000;
    const { gzipSync } = await import('node:zlib');
    const v2 = JSON.stringify([{ traceId, id, name: 'z64', kind: 'CONSUMER', timestamp: nowUs, duration: 77,
      localEndpoint: { serviceName: 'z64-svc' }, tags: { n: '200' } }]);
    let res = await fetch(srv.zipkinUrl, { method: 'POST', body: gzipSync(v2),
      headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' } });
    assert.equal(res.status, 202, await res.text());
    let got = await storedSpans(srv, traceId, 1);
    const g = got.get('z64');
    assert.equal(g.traceId, padId(traceId));
    assert.equal(g.kind, 'SPAN_KIND_CONSUMER');
    assert.deepEqual(attr(g, 'n'), { s: '200' }, 'string tags stay strings');
    assert.equal(g.endTimeUnixNano, usToNs(nowUs + 77));

    const v1Trace = newSpanId();
    const v1 = JSON.stringify([{ traceId: v1Trace, id: v1Trace, name: 'v1op', timestamp: nowUs, duration: 50,
      annotations: [{ timestamp: nowUs, value: 'sr', endpoint: { serviceName: 'v1-svc', ipv4: '127.0.0.1' } },
        { timestamp: nowUs + 50, value: 'ss', endpoint: { serviceName: 'v1-svc', ipv4: '127.0.0.1' } }],
      binaryAnnotations: [{ key: 'http.path', value: '/v1', endpoint: { serviceName: 'v1-svc' } }] }]);
    res = await fetch(`http://127.0.0.1:${srv.zipkinPort}/api/v1/spans`, { method: 'POST', body: v1, headers: { 'Content-Type': 'application/json' } });
    assert.equal(res.status, 202, await res.text());
    got = await storedSpans(srv, v1Trace, 1);
    const v = got.get('v1op');
    assert.equal(v.kind, 'SPAN_KIND_SERVER', 'sr/ss → SERVER');
    assert.equal(service(v), 'v1-svc');
    assert.deepEqual(attr(v, 'http.path'), { s: '/v1' });
  });

  test('hostile input: clear 4xx or a counted drop, and the receivers keep serving', async () => {
    // Jaeger Thrift HTTP.
    const post = (body, headers, url = srv.jaegerHttpUrl, method = 'POST') =>
      fetch(url, { method, body, headers }).then(async (r) => ({ status: r.status, text: await r.text() }));
    let r = await post('x', { 'Content-Type': 'text/plain' });
    assert.equal(r.status, 400);
    assert.match(r.text, /^Unsupported content type: text\/plain/);
    r = await post(Buffer.from([0x0c, 0x00, 0x01, 0xff, 0xff]), { 'Content-Type': 'application/x-thrift' });
    assert.equal(r.status, 400);
    assert.match(r.text, /^Unable to process request body: /);
    r = await post(undefined, {}, srv.jaegerHttpUrl, 'GET');
    assert.equal(r.status, 405);
    r = await post('x', { 'Content-Type': 'application/x-thrift' }, `http://127.0.0.1:${srv.jaegerHttpPort}/nope`);
    assert.equal(r.status, 404);

    // Zipkin.
    r = await post('[{"traceId":', { 'Content-Type': 'application/json' }, srv.zipkinUrl);
    assert.equal(r.status, 400);
    assert.ok(r.text.trim().length > 0, 'the 400 names the problem');
    r = await post(JSON.stringify([{ traceId: newTraceId(), id: '0000000000000000', name: 'zero' }]),
      { 'Content-Type': 'application/json' }, srv.zipkinUrl);
    assert.equal(r.status, 400, 'zero span ID');
    r = await post(encodeZipkinProto([{ trace_id: Buffer.alloc(8, 1), id: Buffer.alloc(8, 2), name: 'short' }]),
      { 'Content-Type': 'application/x-protobuf' }, srv.zipkinUrl);
    assert.equal(r.status, 400, 'zipkin proto wants 16-byte trace IDs');
    assert.match(r.text, /TraceID|trace/i);

    // UDP: garbage, a Zipkin batch on the agent port and an oversized
    // datagram are dropped and counted.
    const dropped = async (reason, transport) =>
      metricSum(await srv.metrics(), 'andante_receiver_udp_datagrams_dropped_total', { reason, transport });
    const before = {
      malformed: await dropped('malformed', 'udp_thrift_compact'),
      tooLarge: await dropped('too_large', 'udp_thrift_binary'),
    };
    await sendUdp(srv.jaegerCompactPort, Buffer.from('definitely not thrift'));
    await sendUdp(srv.jaegerBinaryPort, Buffer.alloc(9000, 0x41));
    await waitFor('drops counted', async () => {
      if (await dropped('malformed', 'udp_thrift_compact') >= before.malformed + 1 &&
          await dropped('too_large', 'udp_thrift_binary') >= before.tooLarge + 1) return true;
      throw new Error('not yet');
    });

    // Everything still works afterwards.
    const { traceId, spans } = sdkSpans('after-bad');
    for (const exporter of [zipkinExporter(srv), jaegerHttpExporter(srv)]) {
      try {
        assertExportOk(await exportSpans(exporter, spans), 'export after bad input');
      } finally {
        await exporter.shutdown();
      }
    }
    await storedSpans(srv, traceId, spans.length);
  });

  test('/metrics counts accepted and refused spans per receiver and transport', async () => {
    const m = await srv.metrics();
    const accepted = (receiver, transport) => metricSum(m, 'tempo_receiver_accepted_spans', { receiver, transport });
    assert.ok(accepted('zipkin', 'http') >= 8, `zipkin/http accepted ${accepted('zipkin', 'http')}`);
    assert.ok(accepted('jaeger', 'collector_http') >= 8);
    assert.ok(accepted('jaeger', 'udp_thrift_binary') >= 3);
    assert.ok(accepted('jaeger', 'udp_thrift_compact') >= 2);
    assert.ok(accepted('jaeger', 'grpc') >= 2);
    assert.ok(metricSum(m, 'tempo_receiver_refused_spans', { receiver: 'jaeger', transport: 'grpc' }) >= 1,
      'the bad gRPC batch was refused');
  });
});

describe('receivers listen only where configured', () => {
  test('an OTLP-only config opens no Jaeger or Zipkin port; a Zipkin-only one opens 9411 but not Jaeger', async () => {
    const net = await import('node:net');
    const canConnect = (port) => new Promise((resolve) => {
      const s = net.connect({ port, host: '127.0.0.1' });
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    const otlpOnly = await Andante.start();
    try {
      for (const p of [otlpOnly.jaegerGrpcPort, otlpOnly.jaegerHttpPort, otlpOnly.zipkinPort]) {
        assert.equal(await canConnect(p), false, `port ${p} must not be open`);
      }
    } finally {
      await otlpOnly.cleanup();
    }
    const zipkinOnly = await Andante.start({ zipkin: true });
    try {
      assert.equal(await canConnect(zipkinOnly.zipkinPort), true);
      assert.equal(await canConnect(zipkinOnly.jaegerGrpcPort), false);
      assert.equal(await canConnect(zipkinOnly.jaegerHttpPort), false);
    } finally {
      await zipkinOnly.cleanup();
    }
  });

  test('multitenancy: Jaeger HTTP and Zipkin need X-Scope-OrgID and store under it', async () => {
    const mt = await Andante.start({ jaeger: true, zipkin: true, extraYaml: 'multitenancy_enabled: true\n' });
    try {
      const traceId = newTraceId();
      const body = JSON.stringify([{ traceId, id: newSpanId(), name: 'mt', timestamp: Date.now() * 1000, duration: 5,
        localEndpoint: { serviceName: 'mt-svc' } }]);
      let res = await fetch(mt.zipkinUrl, { method: 'POST', body, headers: { 'Content-Type': 'application/json' } });
      assert.equal(res.status, 500, 'no org id is retryable');
      assert.match(await res.text(), /no org id/);
      res = await fetch(mt.zipkinUrl, { method: 'POST', body, headers: { 'Content-Type': 'application/json', 'X-Scope-OrgID': 'team-z' } });
      assert.equal(res.status, 202);
      await storedSpans(mt, traceId, 1, { headers: { 'X-Scope-OrgID': 'team-z' } });
      const other = await mt.get(`/api/traces/${traceId}`, { 'X-Scope-OrgID': 'team-y' });
      assert.equal(other.status, 404, 'another tenant does not see it');

      const { spans } = sdkSpans('mt-jaeger');
      res = await fetch(mt.jaegerHttpUrl, { method: 'POST', body: Buffer.from([0x0f, 0x00, 0x00]), headers: { 'Content-Type': 'application/x-thrift' } });
      assert.equal(res.status, 400, 'decode errors come before the tenant check');
      const exporter = jaegerHttpExporter(mt);
      try {
        const r = await exportSpans(exporter, spans);
        assert.notEqual(r.code, 0, 'jaeger export without org id fails');
      } finally {
        await exporter.shutdown();
      }
    } finally {
      await mt.cleanup();
    }
  });
});
