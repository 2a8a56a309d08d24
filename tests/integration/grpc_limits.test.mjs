// Limits of the gRPC receivers against a hostile client (issue 14, items 2
// and 9), on the real server over real sockets:
//   - a gzip bomb (compressed by @grpc/grpc-js, or a 4 MiB message framed by
//     hand over node:http2) to OTLP Export and Jaeger PostSpans is stopped
//     at the receive limit while inflating: RESOURCE_EXHAUSTED with
//     grpc-go's message, quickly, and the server's peak RSS (VmHWM in
//     /proc/<pid>/status, reset before each bomb) grows by at most 32 MB;
//   - a message with the compressed flag and no grpc-encoding is refused as
//     grpc-go refuses it; a corrupt gzip message too;
//   - ordinary gzip and deflate exports still work;
//   - attribute values nested 100 levels deep (key-value lists and arrays)
//     are accepted through OTLP/gRPC protobuf and OTLP/HTTP JSON and read
//     back intact, while absurd nesting is refused with a clear message.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http2 from 'node:http2';
import zlib from 'node:zlib';

import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';

import { Andante } from './harness.mjs';
import {
  encodeProto, exportOk, makeExporter, makeResource, newSpanId, newTraceId,
  readableSpan, hrTime,
} from './otlp.mjs';
import { jaegerGrpcClient, postSpans } from './legacy_clients.mjs';
import { assertTraceStored, getTraceV2Json, getTraceV2Proto } from './tempo_api.mjs';

const EXPORT = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';
const POST_SPANS = '/jaeger.api_v2.CollectorService/PostSpans';
const MAX_RECV = 4 << 20;  // the default max_recv_msg_size_mib (4)
const TOO_LARGE = `grpc: received message after decompression larger than max ${MAX_RECV}`;
const RSS_BOUND_KB = 32 * 1024;

// protobufjs (the test's encoder and decoder of OTLP) stops at 100 nested
// messages by default; these tests nest deeper on purpose.
protobuf.util.recursionLimit = 10000;
protobuf.Reader.recursionLimit = 10000;

// --- /proc --------------------------------------------------------------

function procStatusKb(pid, field) {
  const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = text.match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'));
  assert.ok(m, `${field} in /proc/${pid}/status`);
  return Number(m[1]);
}

// Resets the process's peak RSS (VmHWM) to its current RSS (proc(5),
// /proc/<pid>/clear_refs "5"), so the next reading is the peak since now.
function resetPeakRss(pid) {
  fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

// Runs `fn` and returns {result, ms, rssBeforeKb, peakKb}: the server's RSS
// just before and its peak RSS while `fn` ran.
async function measured(srv, fn) {
  const pid = srv.child.pid;
  resetPeakRss(pid);
  const rssBeforeKb = procStatusKb(pid, 'VmRSS');
  const t0 = Date.now();
  const result = await fn();
  const ms = Date.now() - t0;
  const peakKb = procStatusKb(pid, 'VmHWM');
  return { result, ms, rssBeforeKb, peakKb };
}

// --- gzip bombs ---------------------------------------------------------

// A single-member gzip stream of at most `maxBytes` that inflates to about
// 1000x its size in zeros. One raw deflate run of 64 MiB of zeros, ended by
// a sync flush (byte-aligned, not final), decodes the same wherever it
// starts in a run of zeros, so copies of it back to back form one deflate
// stream; an empty final block ends it. The trailer's CRC is not computed
// (every decoder reaches it only after inflating everything).
let bombCache = null;
function gzipBomb(maxBytes = MAX_RECV) {
  if (bombCache?.maxBytes === maxBytes) return bombCache;
  const chunk = zlib.deflateRawSync(Buffer.alloc(64 << 20),
    { level: 9, finishFlush: zlib.constants.Z_SYNC_FLUSH });
  const header = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x02, 0xff]);
  const finalBlock = Buffer.from([0x03, 0x00]);
  const copies = Math.floor((maxBytes - header.length - finalBlock.length - 8) / chunk.length);
  const inflated = copies * (64 << 20);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(0, 0);
  trailer.writeUInt32LE(inflated % 2 ** 32, 4);
  const bytes = Buffer.concat([header, ...Array(copies).fill(chunk), finalBlock, trailer]);
  bombCache = { maxBytes, bytes, inflated };
  return bombCache;
}

// --- raw gRPC over node:http2 --------------------------------------------

// The 5-byte gRPC message prefix (compressed flag, big-endian length) and
// the message.
function grpcFrame(payload, compressed) {
  const prefix = Buffer.alloc(5);
  prefix.writeUInt8(compressed ? 1 : 0, 0);
  prefix.writeUInt32BE(payload.length, 1);
  return Buffer.concat([prefix, payload]);
}

// One unary call, framed by hand. Resolves to {status, message} from the
// trailers (or a trailers-only response).
function rawGrpcCall(port, path, frame, headers = {}) {
  return new Promise((resolve, reject) => {
    const client = http2.connect(`http://127.0.0.1:${port}`);
    client.on('error', reject);
    const req = client.request({
      ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers', ...headers,
    });
    let status = null;
    let message = '';
    const take = (h) => {
      if (h['grpc-status'] !== undefined) {
        status = Number(h['grpc-status']);
        message = decodeURIComponent(h['grpc-message'] ?? '');
      }
    };
    req.setTimeout(60000, () => req.close(http2.constants.NGHTTP2_CANCEL));
    req.on('response', take);
    req.on('trailers', take);
    req.on('data', () => {});
    req.on('close', () => {
      client.close();
      if (status === null) reject(new Error(`${path}: no grpc-status (rst code ${req.rstCode})`));
      else resolve({ status, message });
    });
    req.on('error', () => {});
    req.end(frame);
  });
}

// A unary call through @grpc/grpc-js with `payload` as the request message,
// compressed by grpc-js per `algorithm` (0 none, 1 deflate, 2 gzip).
function grpcJsCall(port, path, payload, algorithm) {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(),
    { 'grpc.default_compression_algorithm': algorithm });
  return new Promise((resolve) => {
    client.makeUnaryRequest(path, (b) => b, (b) => b, payload, { deadline: Date.now() + 60000 },
      (err) => { client.close(); resolve(err); });
  });
}

// --- OTLP requests with nested attribute values ---------------------------

// An AnyValue nesting `depth` key-value lists (or arrays) around a string.
function nestedValue(depth, kind, leaf) {
  let v = { stringValue: leaf };
  for (let i = depth - 1; i >= 0; --i) {
    v = kind === 'kvlist'
      ? { kvlistValue: { values: [{ key: `level${i}`, value: v }] } }
      : { arrayValue: { values: [v] } };
  }
  return v;
}

// The depth of `v` (an AnyValue in protobufjs or OTLP JSON shape) down to its
// string leaf, and the leaf; fails if the shape differs from nestedValue's.
function unnest(v, kind) {
  let depth = 0;
  while (v && !('stringValue' in v)) {
    if (kind === 'kvlist') {
      assert.equal(v.kvlistValue?.values?.length, 1, `kvlist at level ${depth}`);
      assert.equal(v.kvlistValue.values[0].key, `level${depth}`);
      v = v.kvlistValue.values[0].value;
    } else {
      assert.equal(v.arrayValue?.values?.length, 1, `array at level ${depth}`);
      v = v.arrayValue.values[0];
    }
    depth += 1;
  }
  assert.ok(v, `string leaf below level ${depth}`);
  return { depth, leaf: v.stringValue };
}

// A one-span request whose span (and, unless `event` is false, one event)
// carry `attrValue`.
function nestedRequest(traceId, spanId, attrValue, service, { event = true } = {}) {
  const nowNs = BigInt(Date.now()) * 1000000n;
  return {
    resourceSpans: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
      scopeSpans: [{
        scope: { name: 'grpc-limits' },
        spans: [{
          traceId, spanId, name: 'nested', kind: 2,
          startTimeUnixNano: String(nowNs - 1000000n), endTimeUnixNano: String(nowNs),
          attributes: [{ key: 'deep', value: attrValue }],
          events: event
            ? [{ timeUnixNano: String(nowNs - 500000n), name: 'ev', attributes: [{ key: 'deep', value: attrValue }] }]
            : [],
        }],
      }],
    }],
  };
}

function protoRequest(obj) {
  // ExportTraceServiceRequest is wire-identical to TracesData.
  const withBytes = structuredClone(obj);
  for (const rs of withBytes.resourceSpans) {
    for (const ss of rs.scopeSpans) {
      for (const s of ss.spans) {
        s.traceId = Buffer.from(s.traceId, 'hex');
        s.spanId = Buffer.from(s.spanId, 'hex');
      }
    }
  }
  return encodeProto('opentelemetry.proto.trace.v1.TracesData', withBytes);
}

// Reads the trace back (JSON and protobuf) and checks the span's and its
// event's attribute nest `depth` levels down to `leaf`.
async function assertNestedStored(srv, traceId, depth, kind, leaf) {
  const { res, resourceSpans } = await getTraceV2Json(srv, traceId);
  const jsonSpan = resourceSpans?.[0]?.scopeSpans?.[0]?.spans?.[0];
  assert.ok(jsonSpan, `trace ${traceId} has its span: ${res.text.slice(0, 300)}`);
  assert.deepEqual(unnest(jsonSpan.attributes[0].value, kind), { depth, leaf }, 'span attribute (JSON)');
  assert.deepEqual(unnest(jsonSpan.events[0].attributes[0].value, kind), { depth, leaf }, 'event attribute (JSON)');
  const proto = await getTraceV2Proto(srv, traceId);
  const protoSpan = proto.resourceSpans[0].scopeSpans[0].spans[0];
  assert.deepEqual(unnest(protoSpan.attributes[0].value, kind), { depth, leaf }, 'span attribute (protobuf)');
}

describe('gRPC receiver limits', () => {
  let srv;
  before(async () => { srv = await Andante.start({ jaeger: true }); });
  after(async () => { await srv?.cleanup(); });

  // The server still takes an ordinary push after an attack.
  async function goodPush(what) {
    const exporter = makeExporter('grpc', srv, { compression: 'gzip' });
    const traceId = newTraceId();
    const span = readableSpan({
      traceId, spanId: newSpanId(), name: `after-${what}`, resource: makeResource('grpc-limits'),
      start: hrTime(Date.now() - 1000), end: hrTime(Date.now()),
    });
    try {
      await exportOk(exporter, [span], `push after ${what}`);
    } finally {
      await exporter.shutdown();
    }
    await assertTraceStored(srv, traceId, [span], { shapes: ['v2'] });
  }

  for (const [name, route, port] of [
    ['OTLP Export', EXPORT, () => srv.otlpGrpcPort],
    ['Jaeger PostSpans', POST_SPANS, () => srv.jaegerGrpcPort],
  ]) {
    test(`${name}: a 4 MiB gzip bomb (4 GiB inflated) is refused at the limit, fast and in bounded memory`, async (t) => {
      const bomb = gzipBomb();
      assert.ok(bomb.bytes.length <= MAX_RECV && bomb.bytes.length > MAX_RECV - (1 << 17),
        `bomb is just under 4 MiB: ${bomb.bytes.length}`);
      assert.ok(bomb.inflated >= 4 * 2 ** 30 - (128 << 20), `bomb inflates to ~4 GiB: ${bomb.inflated}`);
      const frame = grpcFrame(bomb.bytes, true);
      const m = await measured(srv, () => rawGrpcCall(port(), route, frame, { 'grpc-encoding': 'gzip' }));
      t.diagnostic(`${bomb.bytes.length} bytes -> ${m.ms} ms, peak RSS +${m.peakKb - m.rssBeforeKb} kB`);
      assert.ok(m.peakKb - m.rssBeforeKb <= RSS_BOUND_KB,
        `peak RSS grew by ${m.peakKb - m.rssBeforeKb} kB (RSS before ${m.rssBeforeKb} kB, peak ${m.peakKb} kB)`);
      assert.ok(m.ms < 3000, `answered in ${m.ms} ms`);
      assert.equal(m.result.status, grpc.status.RESOURCE_EXHAUSTED, `status: ${JSON.stringify(m.result)}`);
      assert.equal(m.result.message, TOO_LARGE);
      await goodPush(`${name} 4 MiB bomb`);
    });

    test(`${name}: a gzip bomb compressed by @grpc/grpc-js (64 MiB in ~64 KiB) is refused in bounded memory`, async (t) => {
      const m = await measured(srv, () => grpcJsCall(port(), route, Buffer.alloc(64 << 20), 2));
      t.diagnostic(`${m.ms} ms, peak RSS +${m.peakKb - m.rssBeforeKb} kB`);
      assert.ok(m.peakKb - m.rssBeforeKb <= RSS_BOUND_KB,
        `peak RSS grew by ${m.peakKb - m.rssBeforeKb} kB (RSS before ${m.rssBeforeKb} kB, peak ${m.peakKb} kB)`);
      assert.equal(m.result?.code, grpc.status.RESOURCE_EXHAUSTED, `status: ${m.result?.message}`);
      assert.equal(m.result.details, TOO_LARGE);
    });

    test(`${name}: the compressed flag without grpc-encoding is refused as grpc-go refuses it`, async () => {
      const payload = zlib.gzipSync(Buffer.from('not really'));
      for (const headers of [{}, { 'grpc-encoding': 'identity' }]) {
        const r = await rawGrpcCall(port(), route, grpcFrame(payload, true), headers);
        assert.equal(r.status, grpc.status.INTERNAL, `${JSON.stringify(headers)}: ${JSON.stringify(r)}`);
        assert.equal(r.message, 'grpc: compressed flag set with identity or empty encoding');
      }
    });

    test(`${name}: a corrupt gzip message is refused with the decompressor's reason`, async () => {
      const truncated = zlib.gzipSync(Buffer.alloc(10000, 'a')).subarray(0, 20);
      const r = await rawGrpcCall(port(), route, grpcFrame(truncated, true), { 'grpc-encoding': 'gzip' });
      assert.equal(r.status, grpc.status.INTERNAL, JSON.stringify(r));
      assert.match(r.message, /^grpc: failed to decompress the received message: gzip: /);
    });
  }

  test('OTLP Export: gzip and deflate compressed requests within the limit are stored', async () => {
    for (const [algorithm, name] of [[2, 'gzip'], [1, 'deflate']]) {
      const traceId = newTraceId();
      const body = protoRequest(nestedRequest(traceId, newSpanId(), { stringValue: name }, `compressed-${name}`));
      const err = await grpcJsCall(srv.otlpGrpcPort, EXPORT, body, algorithm);
      assert.equal(err, null, `${name}: ${err?.message}`);
      const { resourceSpans } = await getTraceV2Json(srv, traceId);
      assert.equal(resourceSpans[0]?.scopeSpans[0]?.spans[0]?.attributes[0]?.value?.stringValue, name);
    }
    // The OpenTelemetry exporter's own gzip path.
    await goodPush('gzip exporter');
  });

  test('Jaeger PostSpans: gzip and deflate compressed batches within the limit are stored', async () => {
    for (const [algorithm, name] of [[2, 'gzip'], [1, 'deflate']]) {
      const traceId = newTraceId();
      const client = jaegerGrpcClient(srv, { 'grpc.default_compression_algorithm': algorithm });
      try {
        const now = Date.now() - 1000;
        const { err } = await postSpans(client, {
          process: { service_name: `jaeger-${name}`, tags: [] },
          spans: [{
            trace_id: Buffer.from(traceId, 'hex'), span_id: Buffer.from(newSpanId(), 'hex'),
            operation_name: `compressed-${name}`,
            start_time: { seconds: String(Math.floor(now / 1000)), nanos: 0 },
            duration: { seconds: '0', nanos: 1000000 },
            tags: [{ key: 'pad', v_type: 'STRING', v_str: 'p'.repeat(50000) }],
          }],
        });
        assert.equal(err, null, `${name}: ${err?.message}`);
      } finally {
        client.close();
      }
      const { resourceSpans } = await getTraceV2Json(srv, traceId);
      assert.equal(resourceSpans[0]?.scopeSpans[0]?.spans[0]?.name, `compressed-${name}`);
    }
  });

  test('OTLP Export: the receive limit applies to the decompressed size (just under passes, just over fails)', async () => {
    // A request padded with one large attribute, compressing to a few KiB.
    const make = (padBytes) => {
      const traceId = newTraceId();
      const req = nestedRequest(traceId, newSpanId(), { stringValue: 'x'.repeat(padBytes) }, 'limit',
        { event: false });
      return { traceId, body: protoRequest(req) };
    };
    const under = make(MAX_RECV - 4096);
    assert.ok(under.body.length <= MAX_RECV, `under: ${under.body.length}`);
    let err = await grpcJsCall(srv.otlpGrpcPort, EXPORT, under.body, 2);
    assert.equal(err, null, `just under the limit: ${err?.message}`);
    const over = make(MAX_RECV);
    assert.ok(over.body.length > MAX_RECV, `over: ${over.body.length}`);
    err = await grpcJsCall(srv.otlpGrpcPort, EXPORT, over.body, 2);
    assert.equal(err?.code, grpc.status.RESOURCE_EXHAUSTED, `just over the limit: ${err?.message}`);
    assert.equal(err.details, TOO_LARGE);
  });

  for (const kind of ['kvlist', 'array']) {
    test(`OTLP/gRPC protobuf: attribute values nested 100 levels (${kind}) are accepted and read back`, async () => {
      for (const depth of [32, 100]) {
        const traceId = newTraceId();
        const leaf = `${kind}-${depth}`;
        const body = protoRequest(nestedRequest(traceId, newSpanId(), nestedValue(depth, kind, leaf), 'nested-proto'));
        const err = await grpcJsCall(srv.otlpGrpcPort, EXPORT, body, 0);
        assert.equal(err, null, `nesting ${depth}: ${err?.message}`);
        await assertNestedStored(srv, traceId, depth, kind, leaf);
      }
    });

    test(`OTLP/HTTP JSON: attribute values nested 100 levels (${kind}) are accepted and read back`, async () => {
      for (const depth of [14, 100]) {
        const traceId = newTraceId();
        const leaf = `${kind}-json-${depth}`;
        const body = JSON.stringify(nestedRequest(traceId, newSpanId(), nestedValue(depth, kind, leaf), 'nested-json'));
        const res = await fetch(srv.otlpHttpUrl, {
          method: 'POST', headers: { 'content-type': 'application/json' }, body,
        });
        assert.equal(res.status, 200, `nesting ${depth}: ${await res.text()}`);
        await assertNestedStored(srv, traceId, depth, kind, leaf);
      }
    });
  }

  test('absurd nesting is refused with a message naming the limit, and the server keeps serving', async () => {
    const deep = nestedValue(200, 'kvlist', 'too deep');
    const body = protoRequest(nestedRequest(newTraceId(), newSpanId(), deep, 'too-deep'));
    const err = await grpcJsCall(srv.otlpGrpcPort, EXPORT, body, 0);
    assert.equal(err?.code, grpc.status.INTERNAL, `protobuf: ${err?.message}`);
    assert.equal(err.details, 'grpc: error unmarshalling request: proto: cannot parse invalid ' +
      'wire-format data: messages nested deeper than 320 levels');

    const res = await fetch(srv.otlpHttpUrl, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify(nestedRequest(newTraceId(), newSpanId(), deep, 'too-deep')),
    });
    const text = await res.text();
    assert.equal(res.status, 400, text);
    assert.match(text, /JSON nesting deeper than 420 levels/);
    await goodPush('absurd nesting');
  });
});
