// Bad input gets a clear 4xx, and nothing else is lost: malformed protobuf,
// bad JSON, wrong ID lengths, oversized bodies, a gzip bomb, wrong media type
// and method — each answered as the OTel collector's OTLP receiver (which
// Tempo embeds) answers it, while good pushes in between and after succeed.
import assert from 'node:assert/strict';
import http from 'node:http';
import zlib from 'node:zlib';
import { after, before, describe, test } from 'node:test';

import * as grpc from '@grpc/grpc-js';

import { Andante } from './harness.mjs';
import {
  EXPORTERS, ExportResultCode, decodeProto, encodeProto, exportOk, exportSpans, makeExporter,
  newSpanId, newTraceId, randomHex, readableSpan, makeResource, hrTime, SpanKind,
} from './otlp.mjs';
import { getTraceV2Json, countSpans, assertTraceStored } from './tempo_api.mjs';

// POST with node:http (not fetch) so that a response sent before the whole
// body was read (as for an oversized body) is still seen.
function rawRequest(url, { method = 'POST', headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: { ...headers, ...(body ? { 'Content-Length': body.length } : {}) } });
    let settled = false;
    req.setTimeout(30000, () => req.destroy(new Error('timeout')));
    req.on('response', (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        settled = true;
        const buf = Buffer.concat(chunks);
        resolve({ status: res.statusCode, contentType: res.headers['content-type'] ?? '', body: buf, text: buf.toString('utf8') });
      });
      res.on('error', (err) => { if (!settled) { settled = true; reject(err); } });
    });
    req.on('error', (err) => {
      if (!settled) {
        settled = true;
        reject(new Error(`${method} ${url}: connection failed before a response (${err.code ?? err.message})`));
      }
    });
    // One write, as the OTel HTTP exporters do; an early response (the
    // server rejecting an oversized body) is still read.
    req.end(body);
  });
}

function otlpJson({ traceId = newTraceId(), spanId = newSpanId(), name = 'good', parentSpanId } = {}) {
  const now = BigInt(Date.now()) * 1000000n;
  return {
    resourceSpans: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'raw-json' } }] },
      scopeSpans: [{
        scope: { name: 'raw' },
        spans: [{
          traceId, spanId, ...(parentSpanId !== undefined ? { parentSpanId } : {}), name, kind: 2,
          startTimeUnixNano: String(now - 1000000n), endTimeUnixNano: String(now),
          attributes: [{ key: 'k', value: { stringValue: 'v' } }],
        }],
      }],
    }],
  };
}

// Decodes an OTLP HTTP error body (google.rpc.Status in the request's
// encoding) into {code, message}.
function rpcStatus(res) {
  if (res.contentType.startsWith('application/json')) {
    const j = JSON.parse(res.text);
    return { code: j.code, message: j.message ?? '' };
  }
  if (res.contentType.startsWith('application/x-protobuf')) {
    const s = decodeProto('google.rpc.Status', res.body);
    return { code: s.code ?? 0, message: s.message ?? '' };
  }
  return { code: undefined, message: res.text };
}

describe('bad input on the OTLP receivers', () => {
  let srv;
  const good = [];  // trace IDs of good pushes that must be found at the end

  before(async () => { srv = await Andante.start({ maxRequestBodySize: 1048576 }); });
  after(async () => { await srv?.cleanup(); });

  async function goodPush(label) {
    const traceId = newTraceId();
    const res = await rawRequest(srv.otlpHttpUrl, {
      headers: { 'Content-Type': 'application/json' },
      body: Buffer.from(JSON.stringify(otlpJson({ traceId, name: `good-after-${label}` }))),
    });
    assert.equal(res.status, 200, `good push after ${label}: ${res.status} ${res.text}\n${srv.logTail()}`);
    assert.match(res.contentType, /^application\/json/, 'success response has the request media type');
    const body = JSON.parse(res.text);
    assert.ok(!body.partialSuccess?.rejectedSpans, `nothing rejected: ${res.text}`);
    const { resourceSpans } = await getTraceV2Json(srv, traceId);
    assert.equal(countSpans(resourceSpans), 1, `good push after ${label} is found`);
    good.push(traceId);
  }

  // Each case: the request, the expected status, and a check of the message.
  const cases = [
    {
      name: 'malformed protobuf',
      req: { headers: { 'Content-Type': 'application/x-protobuf' },
        body: Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x12, 0x34]) },
      status: 400,
      check: (res) => {
        assert.match(res.contentType, /^application\/x-protobuf/, 'error encoded like the request');
        const st = rpcStatus(res);
        assert.equal(st.code, 3, 'google.rpc.Status code InvalidArgument (3)');
        assert.ok(st.message.length > 0, 'error message present');
      },
    },
    {
      name: 'truncated protobuf',
      req: () => {
        const whole = encodeProto('opentelemetry.proto.trace.v1.TracesData', {
          resourceSpans: [{ scopeSpans: [{ spans: [{
            traceId: Buffer.from(newTraceId(), 'hex'), spanId: Buffer.from(newSpanId(), 'hex'), name: 'cut-short',
          }] }] }],
        });
        return { headers: { 'Content-Type': 'application/x-protobuf' }, body: whole.subarray(0, whole.length - 5) };
      },
      status: 400,
      check: (res) => assert.ok(rpcStatus(res).message.length > 0, 'error message present'),
    },
    {
      name: 'bad JSON',
      req: { headers: { 'Content-Type': 'application/json' }, body: Buffer.from('{"resourceSpans":[{"scopeSpans":[{"spans":[{') },
      status: 400,
      check: (res) => {
        assert.match(res.contentType, /^application\/json/, 'error encoded like the request');
        const st = rpcStatus(res);
        assert.equal(st.code, 3, `code InvalidArgument: ${res.text}`);
        assert.ok(st.message.length > 0, 'error message present');
      },
    },
    {
      name: 'JSON span with a 30-hex-char traceId',
      req: { headers: { 'Content-Type': 'application/json' },
        body: Buffer.from(JSON.stringify(otlpJson({ traceId: randomHex(15) }))) },
      status: 400,
      check: (res) => assert.match(rpcStatus(res).message, /length|trace ?ids?|128 bit/i, `message names the trace ID problem: ${res.text}`),
    },
    {
      name: 'JSON span with a non-hex traceId',
      req: { headers: { 'Content-Type': 'application/json' },
        body: Buffer.from(JSON.stringify(otlpJson({ traceId: 'zz' + randomHex(15) }))) },
      status: 400,
      check: (res) => assert.ok(rpcStatus(res).message.length > 0, res.text),
    },
    {
      name: 'JSON span with an empty span id',
      req: { headers: { 'Content-Type': 'application/json' }, body: Buffer.from(JSON.stringify(otlpJson({ spanId: '' }))) },
      status: 400,
      check: (res) => assert.match(rpcStatus(res).message, /span ids must be 64 bit and not all zero, received 0 bits/, res.text),
    },
    {
      name: 'JSON span with an all-zero span id',
      req: { headers: { 'Content-Type': 'application/json' }, body: Buffer.from(JSON.stringify(otlpJson({ spanId: '0'.repeat(16) }))) },
      status: 400,
      check: (res) => assert.match(rpcStatus(res).message, /span ids must be 64 bit and not all zero/, res.text),
    },
    {
      name: 'protobuf span with a 12-byte trace id',
      req: () => ({ headers: { 'Content-Type': 'application/x-protobuf' },
        body: encodeProto('opentelemetry.proto.trace.v1.TracesData', {
          resourceSpans: [{ scopeSpans: [{ spans: [{
            traceId: Buffer.from(randomHex(12), 'hex'), spanId: Buffer.from(newSpanId(), 'hex'), name: 'short',
            startTimeUnixNano: String(BigInt(Date.now()) * 1000000n), endTimeUnixNano: String(BigInt(Date.now()) * 1000000n),
          }] }] }],
        }) }),
      status: 400,
      check: (res) => assert.match(rpcStatus(res).message, /trace ids must be 128 bit, received 96 bits/, res.text),
    },
    {
      name: 'oversized body (> max_request_body_size)',
      req: () => {
        const big = otlpJson();
        big.resourceSpans[0].scopeSpans[0].spans[0].attributes.push({ key: 'pad', value: { stringValue: 'x'.repeat(2 * 1048576) } });
        return { headers: { 'Content-Type': 'application/json' }, body: Buffer.from(JSON.stringify(big)) };
      },
      status: [400, 413],
      check: (res) => assert.match(rpcStatus(res).message, /too large|limit|exceed|size/i, `message names the size problem: ${res.text}`),
    },
    {
      name: 'gzip bomb (100 MiB of zeros)',
      req: () => ({ headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'gzip' },
        body: zlib.gzipSync(Buffer.alloc(100 * 1048576), { level: 9 }) }),
      status: [400, 413],
      check: (res) => assert.match(rpcStatus(res).message, /too large|limit|exceed|size|decompress/i, `message names the size problem: ${res.text}`),
    },
    {
      name: 'corrupt gzip stream',
      req: { headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' },
        body: Buffer.concat([zlib.gzipSync(Buffer.from(JSON.stringify(otlpJson()))).subarray(0, 20), Buffer.from('garbage')]) },
      status: 400,
      check: (res) => assert.ok(rpcStatus(res).message.length > 0, res.text),
    },
    {
      name: 'unsupported Content-Encoding',
      req: { headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'br' }, body: Buffer.from(JSON.stringify(otlpJson())) },
      status: 400,
      check: (res) => assert.match(rpcStatus(res).message, /unsupported Content-Encoding: br/, res.text),
    },
    {
      name: 'Content-Type application/protobuf',
      req: { headers: { 'Content-Type': 'application/protobuf' }, body: Buffer.from([0x0a, 0x00]) },
      status: 415,
      check: (res) => {
        assert.equal(res.text.trim(), '415 unsupported media type, supported: [application/json, application/x-protobuf]');
      },
    },
    {
      name: 'Content-Type text/plain',
      req: { headers: { 'Content-Type': 'text/plain' }, body: Buffer.from('hello') },
      status: 415,
      check: (res) => assert.match(res.text, /unsupported media type/),
    },
    {
      name: 'GET /v1/traces',
      req: { method: 'GET' },
      status: 405,
      check: (res) => assert.equal(res.text.trim(), '405 method not allowed, supported: [POST]'),
    },
  ];

  test('a good push succeeds before any bad input', async () => { await goodPush('start'); });

  for (const c of cases) {
    test(`${c.name} → ${[].concat(c.status).join('/')}, then a good push still works`, async () => {
      const req = typeof c.req === 'function' ? c.req() : c.req;
      const res = await rawRequest(srv.otlpHttpUrl, req);
      const want = [].concat(c.status);
      assert.ok(want.includes(res.status), `${c.name}: status ${res.status} (want ${want.join(' or ')}), body: ${res.text.slice(0, 300)}`);
      c.check(res);
      await goodPush(c.name);
    });
  }

  test('gRPC exporter: spans with a 15-byte trace ID are rejected with InvalidArgument', async () => {
    const exporter = makeExporter('grpc', srv, { timeoutMillis: 3000 });
    try {
      const traceId = randomHex(15);
      const res = await exportSpans(exporter, [readableSpan({
        traceId, spanId: newSpanId(), name: 'bad', kind: SpanKind.SERVER, resource: makeResource('bad-grpc'),
        start: hrTime(Date.now() - 1000), end: hrTime(Date.now()),
      })]);
      assert.equal(res.code, ExportResultCode.FAILED, 'export fails');
      assert.match(String(res.error?.message), /trace ids must be 128 bit, received 120 bits/, `error: ${res.error?.message}`);
      if (res.error?.code !== undefined) assert.equal(res.error.code, 3, 'gRPC status InvalidArgument');
    } finally {
      await exporter.shutdown();
    }
    await goodPush('grpc bad trace id');
  });

  test('gRPC: bytes that are not an ExportTraceServiceRequest are refused with protobuf\'s reason', async () => {
    // resource_spans { scope_spans { spans { name: "a\xffb" } } }: invalid UTF-8.
    const span = Buffer.from([0x2a, 0x03, 0x61, 0xff, 0x62]);
    const scope = Buffer.concat([Buffer.from([0x12, span.length]), span]);
    const resource = Buffer.concat([Buffer.from([0x12, scope.length]), scope]);
    const request = Buffer.concat([Buffer.from([0x0a, resource.length]), resource]);
    const client = new grpc.Client(`127.0.0.1:${srv.otlpGrpcPort}`, grpc.credentials.createInsecure());
    try {
      const err = await new Promise((resolve) => client.makeUnaryRequest(
        '/opentelemetry.proto.collector.trace.v1.TraceService/Export', (b) => b, (b) => b, request,
        { deadline: Date.now() + 10000 }, (e) => resolve(e)));
      assert.equal(err?.code, grpc.status.INTERNAL, `status: ${err?.message}`);
      // The whole reason reaches the client (a trailing space in protobuf's
      // message once made gRPC drop the trailer, leaving details empty).
      assert.match(err.details, /^grpc: error unmarshalling request: .*invalid UTF-8 data.*bytes\.$/);
    } finally {
      client.close();
    }
    await goodPush('grpc malformed bytes');
  });

  test('gRPC exporter: a message over the 4 MiB default receive limit fails with ResourceExhausted', async () => {
    const exporter = makeExporter('grpc', srv, { timeoutMillis: 3000 });
    try {
      const res = await exportSpans(exporter, [readableSpan({
        traceId: newTraceId(), spanId: newSpanId(), name: 'too-big-grpc', resource: makeResource('big-grpc'),
        start: hrTime(Date.now() - 1000), end: hrTime(Date.now()),
        attributes: { pad: 'x'.repeat(5 * 1048576) },
      })]);
      assert.equal(res.code, ExportResultCode.FAILED, 'export fails');
      if (res.error?.code !== undefined) assert.equal(res.error.code, 8, `gRPC status RESOURCE_EXHAUSTED: ${res.error?.message}`);
    } finally {
      await exporter.shutdown();
    }
    await goodPush('grpc oversized message');
  });

  test('HTTP exporters: a bad span id fails the export with a 400 naming the problem', async () => {
    for (const kind of ['http-json', 'http-proto']) {
      const exporter = makeExporter(kind, srv, { timeoutMillis: 3000 });
      try {
        const res = await exportSpans(exporter, [readableSpan({
          traceId: newTraceId(), spanId: '0'.repeat(16), name: 'zero-span-id', resource: makeResource('bad-http'),
          start: hrTime(Date.now() - 1000), end: hrTime(Date.now()),
        })]);
        assert.equal(res.code, ExportResultCode.FAILED, `${kind}: export fails`);
        if (res.error?.code !== undefined) assert.equal(res.error.code, 400, `${kind}: HTTP status`);
        assert.match(String(res.error?.data ?? res.error?.message), /span ids must be 64 bit and not all zero/,
          `${kind}: the response names the problem: ${res.error?.data}`);
      } finally {
        await exporter.shutdown();
      }
    }
    await goodPush('http bad span id');
  });

  test('HTTP exporters: an oversized batch fails with the 4xx (not a broken connection and retries)', async () => {
    for (const kind of ['http-json', 'http-proto']) {
      const exporter = makeExporter(kind, srv, { timeoutMillis: 5000 });
      try {
        const t0 = Date.now();
        const res = await exportSpans(exporter, [readableSpan({
          traceId: newTraceId(), spanId: newSpanId(), name: 'too-big', resource: makeResource('big'),
          start: hrTime(Date.now() - 1000), end: hrTime(Date.now()),
          attributes: { pad: 'x'.repeat(2 * 1048576) },
        })]);
        assert.equal(res.code, ExportResultCode.FAILED, `${kind}: export fails`);
        assert.ok([400, 413].includes(res.error?.code),
          `${kind}: the exporter saw HTTP 400/413, not a transport error (got ${res.error?.code}: ${res.error?.message}; ` +
          'a server that closes the connection without draining the unread body makes the client see EPIPE/ECONNRESET)');
        assert.ok(Date.now() - t0 < 4000, `${kind}: failed at once (non-retryable), took ${Date.now() - t0} ms`);
      } finally {
        await exporter.shutdown();
      }
    }
    await goodPush('oversized exporter batch');
  });

  test('every good push is found at the end, and every exporter still works', async () => {
    for (const traceId of good) {
      const { resourceSpans } = await getTraceV2Json(srv, traceId);
      assert.equal(countSpans(resourceSpans), 1, `good trace ${traceId} still found`);
    }
    for (const kind of EXPORTERS) {
      const exporter = makeExporter(kind, srv);
      try {
        const traceId = newTraceId();
        const spans = [readableSpan({ traceId, spanId: newSpanId(), name: `final-${kind}`, resource: makeResource('final'),
          start: hrTime(Date.now() - 1000), end: hrTime(Date.now()) })];
        await exportOk(exporter, spans, kind);
        await assertTraceStored(srv, traceId, spans, { shapes: ['v2'] });
      } finally {
        await exporter.shutdown();
      }
    }
  });
});
