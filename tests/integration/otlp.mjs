// OTLP side of the integration tests: the real OpenTelemetry JS exporters,
// spans to send, and the comparison of what was sent with what the Tempo API
// returns (JSON or protobuf) span by span.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';

import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as HttpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as HttpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { ExportResultCode, TraceState } from '@opentelemetry/core';
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import protobuf from 'protobufjs';

export { SpanKind, SpanStatusCode, ExportResultCode };

// --- exporters -----------------------------------------------------------

export const EXPORTERS = ['grpc', 'http-json', 'http-proto'];

export function makeExporter(kind, srv, { compression = 'none', timeoutMillis = 10000, headers } = {}) {
  switch (kind) {
    case 'grpc':
      return new GrpcExporter({ url: srv.otlpGrpcUrl, compression, timeoutMillis });
    case 'http-json':
      return new HttpJsonExporter({ url: srv.otlpHttpUrl, compression, timeoutMillis, headers });
    case 'http-proto':
      return new HttpProtoExporter({ url: srv.otlpHttpUrl, compression, timeoutMillis, headers });
    default:
      throw new Error(`unknown exporter ${kind}`);
  }
}

// exporter.export() as a promise of the ExportResult ({code, error}).
export function exportSpans(exporter, spans) {
  return new Promise((resolve) => exporter.export(spans, resolve));
}

// Exports and asserts the exporter reported success (the server acked).
export async function exportOk(exporter, spans, what = 'export') {
  const res = await exportSpans(exporter, spans);
  if (res.code !== ExportResultCode.SUCCESS) {
    throw new Error(`${what}: exporter reported failure: ${res.error?.message ?? JSON.stringify(res)}`);
  }
}

// A SpanExporter that forwards to a real exporter and keeps what was
// exported and every result, so SDK-created spans can be compared later.
export class RecordingExporter {
  constructor(inner) {
    this.inner = inner;
    this.spans = [];
    this.results = [];
  }
  export(spans, cb) {
    this.inner.export(spans, (res) => {
      this.results.push(res);
      if (res.code === ExportResultCode.SUCCESS) this.spans.push(...spans);
      cb(res);
    });
  }
  shutdown() { return this.inner.shutdown(); }
  forceFlush() { return this.inner.forceFlush?.() ?? Promise.resolve(); }
}

// --- ids and times -----------------------------------------------------------

export const randomHex = (bytes) => crypto.randomBytes(bytes).toString('hex');
export const newTraceId = () => randomHex(16);
export const newSpanId = () => randomHex(8);

// HrTime [seconds, nanos] `offsetNs` nanoseconds after `baseMs`.
export function hrTime(baseMs, offsetNs = 0) {
  const ns = BigInt(baseMs) * 1000000n + BigInt(offsetNs);
  return [Number(ns / 1000000000n), Number(ns % 1000000000n)];
}

export const hrToNs = (hr) => (BigInt(hr[0]) * 1000000000n + BigInt(hr[1])).toString();

// --- spans built by hand (every field the OTLP model has) -------------------

// end - start of two HrTimes, as an HrTime (the SDK's span.duration).
export function hrDiff(end, start) {
  let s = end[0] - start[0];
  let ns = end[1] - start[1];
  if (ns < 0) { s -= 1; ns += 1e9; }
  return [s, ns];
}

// A ReadableSpan as the SDK hands it to exporters.
export function readableSpan(f) {
  const traceFlags = f.traceFlags ?? 1;
  return {
    name: f.name,
    kind: f.kind ?? SpanKind.INTERNAL,
    spanContext: () => ({
      traceId: f.traceId,
      spanId: f.spanId,
      traceFlags,
      traceState: f.traceState ? new TraceState(f.traceState) : undefined,
    }),
    parentSpanContext: f.parentSpanId
      ? { traceId: f.traceId, spanId: f.parentSpanId, traceFlags, isRemote: f.parentIsRemote ?? false }
      : undefined,
    startTime: f.start,
    endTime: f.end,
    duration: hrDiff(f.end, f.start),
    ended: true,
    status: f.status ?? { code: SpanStatusCode.UNSET },
    attributes: f.attributes ?? {},
    links: f.links ?? [],
    events: f.events ?? [],
    resource: f.resource,
    instrumentationScope: f.scope ?? { name: 'andante-it', version: '1.0.0' },
    droppedAttributesCount: f.droppedAttributesCount ?? 0,
    droppedEventsCount: f.droppedEventsCount ?? 0,
    droppedLinksCount: f.droppedLinksCount ?? 0,
  };
}

export function makeResource(service, extra = {}) {
  return resourceFromAttributes({ [ATTR_SERVICE_NAME]: service, ...extra });
}

// One trace of `n` spans in a chain under one SERVER root (for bulk tests).
export function simpleTrace({ traceId = newTraceId(), spans = 3, resource, baseMs = Date.now() - 2000, name = 'op' } = {}) {
  resource = resource ?? makeResource('bulk-svc');
  const out = [];
  let parent;
  for (let i = 0; i < spans; i++) {
    const spanId = newSpanId();
    out.push(readableSpan({
      traceId, spanId, parentSpanId: parent, resource,
      name: `${name}-${i}`,
      kind: i === 0 ? SpanKind.SERVER : SpanKind.INTERNAL,
      start: hrTime(baseMs, i * 1000),
      end: hrTime(baseMs, 500000000 - i * 1000),
      attributes: { 'span.index': i, 'http.method': 'GET' },
    }));
    parent = spanId;
  }
  return out;
}

// A trace that uses every part of the model: two resources and two scopes,
// nested parents four deep, all span kinds, attributes of every AnyValue type
// (string, bool, int incl. negative and 2^53-1, double, arrays, kvlist, bytes),
// events with attributes, links (to this trace and another, with trace state
// and attributes), error and OK statuses, trace state, dropped counts.
export function richTrace({ traceId = newTraceId(), baseMs = Date.now() - 5000, tag = 'rich' } = {}) {
  const frontend = makeResource(`frontend-${tag}`, { 'deployment.environment': 'it', 'host.cpu.count': 2, 'process.pid': 4242 });
  const cart = makeResource(`cart-${tag}`, { 'k8s.pod.uid': randomHex(8), 'cloud.available': true });
  const http = { name: '@andante/http', version: '2.3.4' };
  const db = { name: '@andante/db', version: '' };
  const ids = Array.from({ length: 7 }, newSpanId);
  const otherTrace = newTraceId();
  const spans = [
    readableSpan({
      traceId, spanId: ids[0], name: 'GET /checkout', kind: SpanKind.SERVER, resource: frontend, scope: http,
      start: hrTime(baseMs, 0), end: hrTime(baseMs, 611000123),
      traceState: 'vendor=abc,other=x-1',
      attributes: {
        'http.method': 'GET',
        'http.status_code': 500,
        'http.url': 'https://shop.example/checkout?id=7&x=%20y',
        'unicode.value': 'grüße – 日本語 ✓',
        'empty.string': '',
        'bool.true': true,
        'bool.false': false,
        'int.zero': 0,
        'int.negative': -42,
        'int.max_safe': Number.MAX_SAFE_INTEGER,
        'double.pi': 3.141592653589793,
        'double.negative': -0.25,
        'array.strings': ['a', 'b', ''],
        'array.ints': [1, -2, 3],
        'array.doubles': [1.5, -2.25],
        'array.bools': [true, false],
        'array.mixed': ['x', 7, 2.5, true],
        'kvlist': { inner: 'v', count: 3, nested: { deep: false } },
        'bytes': Uint8Array.from([0, 1, 2, 0xfe, 0xff]),
      },
      droppedAttributesCount: 2,
      events: [
        { name: 'request.received', time: hrTime(baseMs, 1000), attributes: { 'net.peer.port': 55123, ok: true } },
        { name: 'exception', time: hrTime(baseMs, 610000000),
          attributes: { 'exception.type': 'TimeoutError', 'exception.message': 'deadline exceeded', 'exception.stacktrace': 'at a\nat b' } },
        { name: 'bare-event', time: hrTime(baseMs, 610000001) },
      ],
      droppedEventsCount: 1,
      status: { code: SpanStatusCode.ERROR, message: 'upstream timeout' },
    }),
    readableSpan({
      traceId, spanId: ids[1], parentSpanId: ids[0], name: 'cart.get', kind: SpanKind.CLIENT, resource: frontend, scope: http,
      start: hrTime(baseMs, 10000001), end: hrTime(baseMs, 200000002),
      attributes: { 'rpc.system': 'grpc', 'rpc.grpc.status_code': 0, 'net.peer.name': 'cart' },
      status: { code: SpanStatusCode.OK },
    }),
    readableSpan({
      traceId, spanId: ids[2], parentSpanId: ids[1], name: 'Cart/Get', kind: SpanKind.SERVER, resource: cart, scope: http,
      start: hrTime(baseMs, 20000000), end: hrTime(baseMs, 190000000), parentIsRemote: true,
      attributes: { 'rpc.method': 'Get', 'user.id': 'u-123' },
    }),
    readableSpan({
      traceId, spanId: ids[3], parentSpanId: ids[2], name: 'SELECT cart', kind: SpanKind.CLIENT, resource: cart, scope: db,
      start: hrTime(baseMs, 30000000), end: hrTime(baseMs, 180000000),
      attributes: { 'db.system': 'postgresql', 'db.statement': 'SELECT * FROM cart WHERE id = $1', 'db.rows': 12 },
      status: { code: SpanStatusCode.ERROR, message: '' },
    }),
    readableSpan({
      traceId, spanId: ids[4], parentSpanId: ids[3], name: 'pool.acquire', kind: SpanKind.INTERNAL, resource: cart, scope: db,
      start: hrTime(baseMs, 30000001), end: hrTime(baseMs, 30500000),
    }),
    readableSpan({
      traceId, spanId: ids[5], parentSpanId: ids[0], name: 'orders publish', kind: SpanKind.PRODUCER, resource: frontend, scope: http,
      start: hrTime(baseMs, 300000000), end: hrTime(baseMs, 300100000),
      attributes: { 'messaging.system': 'kafka', 'messaging.destination.name': 'orders' },
      links: [
        { context: { traceId: otherTrace, spanId: newSpanId(), traceFlags: 1, traceState: new TraceState('k=v') },
          attributes: { 'link.kind': 'batch', 'link.index': 1 } },
        { context: { traceId, spanId: ids[1], traceFlags: 1 } },
      ],
      droppedLinksCount: 3,
    }),
    readableSpan({
      traceId, spanId: ids[6], parentSpanId: ids[5], name: 'orders process', kind: SpanKind.CONSUMER, resource: cart, scope: http,
      start: hrTime(baseMs, 400000000), end: hrTime(baseMs, 600000000),
      attributes: { 'messaging.operation': 'process' },
      links: [{ context: { traceId, spanId: ids[5], traceFlags: 1 }, attributes: { 'messaging.batch': true }, droppedAttributesCount: 1 }],
    }),
  ];
  return { traceId, spans };
}

// Spans created through the SDK's tracer (BasicTracerProvider +
// SimpleSpanProcessor), the way an instrumented app makes them. Returns the
// ReadableSpans the exporter saw.
export async function sdkTrace(exporter, { service = 'sdk-svc', baseMs = Date.now() - 3000 } = {}) {
  const recorder = new RecordingExporter(exporter);
  const provider = new BasicTracerProvider({
    resource: makeResource(service, { 'service.version': '9.9.9' }),
    spanProcessors: [new SimpleSpanProcessor(recorder)],
  });
  const tracer = provider.getTracer('andante-it-sdk', '0.0.1');
  const root = tracer.startSpan('HTTP POST /orders', {
    kind: SpanKind.SERVER,
    startTime: hrTime(baseMs, 0),
    attributes: { 'http.request.method': 'POST', 'http.response.status_code': 201, 'retry': false, 'ratio': 0.75, 'tags': ['a', 'b'] },
  });
  const rootCtx = trace.setSpan(context.active(), root);
  const child = tracer.startSpan('validate', { kind: SpanKind.INTERNAL, startTime: hrTime(baseMs, 1000000) }, rootCtx);
  child.addEvent('validated', { fields: 3 }, hrTime(baseMs, 1500000));
  child.end(hrTime(baseMs, 2000000));
  const childCtx = trace.setSpan(rootCtx, child);
  const grandchild = tracer.startSpan('INSERT orders', {
    kind: SpanKind.CLIENT, startTime: hrTime(baseMs, 2500000),
    links: [{ context: child.spanContext(), attributes: { reason: 'follows' } }],
  }, childCtx);
  grandchild.setAttribute('db.system', 'sqlite');
  grandchild.recordException(Object.assign(new Error('constraint failed'), { name: 'SqliteError' }), hrTime(baseMs, 3000000));
  grandchild.setStatus({ code: SpanStatusCode.ERROR, message: 'constraint failed' });
  grandchild.end(hrTime(baseMs, 4000000));
  root.setStatus({ code: SpanStatusCode.OK });
  root.end(hrTime(baseMs, 5000000));
  await provider.forceFlush();
  for (const r of recorder.results) {
    if (r.code !== ExportResultCode.SUCCESS) throw new Error(`SDK export failed: ${r.error?.message}`);
  }
  assert.equal(recorder.spans.length, 3, 'SDK exported 3 spans');
  return { traceId: root.spanContext().traceId, spans: recorder.spans };
}

// --- the model both sides are normalised to ------------------------------

export const KIND_NAMES = ['SPAN_KIND_UNSPECIFIED', 'SPAN_KIND_INTERNAL', 'SPAN_KIND_SERVER',
  'SPAN_KIND_CLIENT', 'SPAN_KIND_PRODUCER', 'SPAN_KIND_CONSUMER'];
export const STATUS_NAMES = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'];

// JS attribute value (as handed to the exporter) -> normalised value.
function valueFromJs(v) {
  if (typeof v === 'string') return { s: v };
  if (typeof v === 'boolean') return { b: v };
  if (typeof v === 'number') return Number.isInteger(v) ? { i: String(v) } : { d: v };
  if (v instanceof Uint8Array) return { bytes: Buffer.from(v).toString('hex') };
  if (Array.isArray(v)) return { a: v.map(valueFromJs) };
  if (v && typeof v === 'object') return { kv: Object.entries(v).map(([k, x]) => [k, valueFromJs(x)]) };
  return {};
}

const sortAttrs = (list) => list.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
const attrsFromJs = (obj) => sortAttrs(Object.entries(obj ?? {}).map(([k, v]) => [k, valueFromJs(v)]));

// What the server should return for a ReadableSpan.
export function expectedSpan(rs) {
  const ctx = rs.spanContext();
  return {
    traceId: ctx.traceId.toLowerCase(),
    spanId: ctx.spanId.toLowerCase(),
    parentSpanId: rs.parentSpanContext?.spanId?.toLowerCase() ?? '',
    traceState: ctx.traceState?.serialize() ?? '',
    name: rs.name,
    kind: KIND_NAMES[rs.kind + 1],
    startTimeUnixNano: hrToNs(rs.startTime),
    endTimeUnixNano: hrToNs(rs.endTime),
    attributes: attrsFromJs(rs.attributes),
    droppedAttributesCount: rs.droppedAttributesCount ?? 0,
    events: rs.events.map((e) => ({
      name: e.name,
      timeUnixNano: hrToNs(e.time),
      attributes: attrsFromJs(e.attributes),
      droppedAttributesCount: e.droppedAttributesCount ?? 0,
    })),
    droppedEventsCount: rs.droppedEventsCount ?? 0,
    links: rs.links.map((l) => ({
      traceId: l.context.traceId.toLowerCase(),
      spanId: l.context.spanId.toLowerCase(),
      traceState: l.context.traceState?.serialize() ?? '',
      attributes: attrsFromJs(l.attributes),
      droppedAttributesCount: l.droppedAttributesCount ?? 0,
    })),
    droppedLinksCount: rs.droppedLinksCount ?? 0,
    status: { code: STATUS_NAMES[rs.status.code], message: rs.status.message ?? '' },
    resource: attrsFromJs(rs.resource.attributes),
    scope: { name: rs.instrumentationScope.name, version: rs.instrumentationScope.version ?? '' },
  };
}

const b64ToHex = (s) => (s ? Buffer.from(s, 'base64').toString('hex') : '');

function enumName(v, names, field) {
  if (v === undefined || v === null) return names[0];
  if (typeof v === 'string') return v;
  // Tempo emits enum names; an integer is a compatibility bug worth naming.
  return `<number ${v} instead of ${names[v] ?? '?'}> in ${field}`;
}

function int64Str(v, field) {
  if (v === undefined || v === null) return '0';
  if (typeof v === 'string') return v;
  return `<JSON number ${v} instead of a string> in ${field}`;
}

// proto3-JSON AnyValue (Tempo's API) -> normalised value.
function valueFromTempo(v) {
  if (!v || typeof v !== 'object') return {};
  if ('stringValue' in v) return { s: v.stringValue };
  if ('boolValue' in v) return { b: v.boolValue };
  if ('intValue' in v) return { i: int64Str(v.intValue, 'intValue') };
  if ('doubleValue' in v) return { d: Number(v.doubleValue) };
  if ('bytesValue' in v) return { bytes: b64ToHex(v.bytesValue) };
  if ('arrayValue' in v) return { a: (v.arrayValue?.values ?? []).map(valueFromTempo) };
  if ('kvlistValue' in v) return { kv: (v.kvlistValue?.values ?? []).map((kv) => [kv.key, valueFromTempo(kv.value)]) };
  // proto3 JSON omits defaults: {"stringValue":""}, {"intValue":"0"},
  // {"boolValue":false} may arrive as {} from some encoders; Tempo keeps them.
  return {};
}

const attrsFromTempo = (list) => sortAttrs((list ?? []).map((kv) => [kv.key, valueFromTempo(kv.value)]));

// Tempo API ResourceSpans[] (JSON, or protobuf decoded to the same shape) ->
// normalised spans in response order.
export function spansFromTempo(resourceSpans) {
  const out = [];
  for (const rs of resourceSpans ?? []) {
    const resource = attrsFromTempo(rs.resource?.attributes);
    const scopes = rs.scopeSpans ?? [];
    if (rs.instrumentationLibrarySpans) {
      throw new Error('response uses instrumentationLibrarySpans; Tempo 2.x emits scopeSpans');
    }
    for (const ss of scopes) {
      const scope = { name: ss.scope?.name ?? '', version: ss.scope?.version ?? '' };
      for (const s of ss.spans ?? []) {
        out.push({
          traceId: b64ToHex(s.traceId),
          spanId: b64ToHex(s.spanId),
          parentSpanId: b64ToHex(s.parentSpanId),
          traceState: s.traceState ?? '',
          name: s.name ?? '',
          kind: enumName(s.kind, KIND_NAMES, 'kind'),
          startTimeUnixNano: int64Str(s.startTimeUnixNano, 'startTimeUnixNano'),
          endTimeUnixNano: int64Str(s.endTimeUnixNano, 'endTimeUnixNano'),
          attributes: attrsFromTempo(s.attributes),
          droppedAttributesCount: s.droppedAttributesCount ?? 0,
          events: (s.events ?? []).map((e) => ({
            name: e.name ?? '',
            timeUnixNano: int64Str(e.timeUnixNano, 'event.timeUnixNano'),
            attributes: attrsFromTempo(e.attributes),
            droppedAttributesCount: e.droppedAttributesCount ?? 0,
          })),
          droppedEventsCount: s.droppedEventsCount ?? 0,
          links: (s.links ?? []).map((l) => ({
            traceId: b64ToHex(l.traceId),
            spanId: b64ToHex(l.spanId),
            traceState: l.traceState ?? '',
            attributes: attrsFromTempo(l.attributes),
            droppedAttributesCount: l.droppedAttributesCount ?? 0,
          })),
          droppedLinksCount: s.droppedLinksCount ?? 0,
          status: {
            code: enumName(s.status?.code, STATUS_NAMES, 'status.code'),
            message: s.status?.message ?? '',
          },
          resource,
          scope,
          _flags: s.flags,
        });
      }
    }
  }
  return out;
}

// Asserts `actualResourceSpans` holds exactly the spans `sent` (ReadableSpans),
// span by span. `where` names the response in failure messages.
export function assertSameSpans(actualResourceSpans, sent, where) {
  const actual = spansFromTempo(actualResourceSpans);
  const byId = new Map();
  for (const s of actual) {
    assert.ok(!byId.has(s.spanId), `${where}: span ${s.spanId} returned twice (spans must be deduplicated)`);
    byId.set(s.spanId, s);
  }
  const expected = sent.map(expectedSpan);
  assert.equal(actual.length, expected.length,
    `${where}: expected ${expected.length} spans, got ${actual.length} (${actual.map((s) => s.name).join(', ')})`);
  for (const exp of expected) {
    const got = byId.get(exp.spanId);
    assert.ok(got, `${where}: span ${exp.spanId} (${exp.name}) missing`);
    const { _flags, ...rest } = got;
    assert.deepStrictEqual(rest, exp, `${where}: span ${exp.spanId} (${exp.name}) differs`);
  }
}

// --- protobuf decoding of Tempo API responses ------------------------------

const PROTO = `
syntax = "proto3";
package opentelemetry.proto.common.v1;
message AnyValue {
  oneof value {
    string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4;
    ArrayValue array_value = 5; KeyValueList kvlist_value = 6; bytes bytes_value = 7;
  }
}
message ArrayValue { repeated AnyValue values = 1; }
message KeyValueList { repeated KeyValue values = 1; }
message KeyValue { string key = 1; AnyValue value = 2; }
message InstrumentationScope { string name = 1; string version = 2; repeated KeyValue attributes = 3; uint32 dropped_attributes_count = 4; }
`;
const PROTO_RESOURCE = `
syntax = "proto3";
package opentelemetry.proto.resource.v1;
message Resource { repeated opentelemetry.proto.common.v1.KeyValue attributes = 1; uint32 dropped_attributes_count = 2; }
`;
const PROTO_TRACE = `
syntax = "proto3";
package opentelemetry.proto.trace.v1;
message TracesData { repeated ResourceSpans resource_spans = 1; }
message ResourceSpans { opentelemetry.proto.resource.v1.Resource resource = 1; repeated ScopeSpans scope_spans = 2; string schema_url = 3; }
message ScopeSpans { opentelemetry.proto.common.v1.InstrumentationScope scope = 1; repeated Span spans = 2; string schema_url = 3; }
message Span {
  bytes trace_id = 1; bytes span_id = 2; string trace_state = 3; bytes parent_span_id = 4; string name = 5;
  enum SpanKind { SPAN_KIND_UNSPECIFIED = 0; SPAN_KIND_INTERNAL = 1; SPAN_KIND_SERVER = 2; SPAN_KIND_CLIENT = 3; SPAN_KIND_PRODUCER = 4; SPAN_KIND_CONSUMER = 5; }
  SpanKind kind = 6; fixed64 start_time_unix_nano = 7; fixed64 end_time_unix_nano = 8;
  repeated opentelemetry.proto.common.v1.KeyValue attributes = 9; uint32 dropped_attributes_count = 10;
  message Event { fixed64 time_unix_nano = 1; string name = 2; repeated opentelemetry.proto.common.v1.KeyValue attributes = 3; uint32 dropped_attributes_count = 4; }
  repeated Event events = 11; uint32 dropped_events_count = 12;
  message Link { bytes trace_id = 1; bytes span_id = 2; string trace_state = 3; repeated opentelemetry.proto.common.v1.KeyValue attributes = 4; uint32 dropped_attributes_count = 5; fixed32 flags = 6; }
  repeated Link links = 13; uint32 dropped_links_count = 14;
  Status status = 15; fixed32 flags = 16;
}
message Status { string message = 2; enum StatusCode { STATUS_CODE_UNSET = 0; STATUS_CODE_OK = 1; STATUS_CODE_ERROR = 2; } StatusCode code = 3; }
`;
const PROTO_TEMPO = `
syntax = "proto3";
package tempopb;
message Trace { repeated opentelemetry.proto.trace.v1.ResourceSpans resourceSpans = 1; }
enum PartialStatus { COMPLETE = 0; PARTIAL = 1; }
message TraceByIDMetrics { uint64 inspectedBytes = 1; }
message TraceByIDResponse { Trace trace = 1; TraceByIDMetrics metrics = 2; PartialStatus status = 3; string message = 4; }
`;
const PROTO_RPC = `
syntax = "proto3";
package google.rpc;
message Any { string type_url = 1; bytes value = 2; }
message Status { int32 code = 1; string message = 2; repeated Any details = 3; }
`;

let root;
function protoRoot() {
  if (!root) {
    root = new protobuf.Root();
    for (const src of [PROTO, PROTO_RESOURCE, PROTO_TRACE, PROTO_TEMPO, PROTO_RPC]) {
      protobuf.parse(src, root, { keepCase: false });
    }
    root.resolveAll();
  }
  return root;
}

const TO_OBJECT = { longs: String, enums: String, bytes: String, defaults: false };

export function decodeProto(typeName, buf) {
  const type = protoRoot().lookupType(typeName);
  return type.toObject(type.decode(buf), TO_OBJECT);
}

export function encodeProto(typeName, obj) {
  const type = protoRoot().lookupType(typeName);
  return Buffer.from(type.encode(type.fromObject(obj)).finish());
}
