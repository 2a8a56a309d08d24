// Reading traces back through Tempo's trace-by-ID API in all four shapes
// (v1/v2 × JSON/protobuf) and comparing them with what was sent.
import assert from 'node:assert/strict';

import { waitFor } from './harness.mjs';
import { assertSameSpans, decodeProto } from './otlp.mjs';

// GET /api/v2/traces/<id> as JSON -> {res, body, resourceSpans}.
export async function getTraceV2Json(srv, traceId, query = '') {
  const res = await srv.get(`/api/v2/traces/${traceId}${query}`);
  assert.equal(res.status, 200, `GET /api/v2/traces/${traceId}${query}: ${res.status} ${res.text}`);
  assert.match(res.contentType, /^application\/json/, 'v2 JSON content type');
  const body = JSON.parse(res.text);
  assert.ok(body && typeof body.trace === 'object', `v2 body has a "trace" object: ${res.text.slice(0, 200)}`);
  return { res, body, resourceSpans: body.trace.resourceSpans ?? [] };
}

// GET /api/traces/<id> as JSON (v1 "batches"). Returns null on 404.
export async function getTraceV1Json(srv, traceId, query = '') {
  const res = await srv.get(`/api/traces/${traceId}${query}`);
  if (res.status === 404) return null;
  assert.equal(res.status, 200, `GET /api/traces/${traceId}${query}: ${res.status} ${res.text}`);
  assert.match(res.contentType, /^application\/json/, 'v1 JSON content type');
  const body = JSON.parse(res.text);
  assert.ok(Array.isArray(body.batches), `v1 body has "batches": ${res.text.slice(0, 200)}`);
  assert.ok(!('resourceSpans' in body), 'v1 body renames resourceSpans to batches');
  return { res, body, resourceSpans: body.batches };
}

export async function getTraceV2Proto(srv, traceId) {
  const res = await srv.get(`/api/v2/traces/${traceId}`, { Accept: 'application/protobuf' });
  assert.equal(res.status, 200, `GET /api/v2/traces/${traceId} (protobuf): ${res.status} ${res.text}`);
  assert.equal(res.contentType, 'application/protobuf', 'v2 protobuf content type');
  const msg = decodeProto('tempopb.TraceByIDResponse', res.body);
  return { res, msg, resourceSpans: msg.trace?.resourceSpans ?? [] };
}

export async function getTraceV1Proto(srv, traceId) {
  const res = await srv.get(`/api/traces/${traceId}`, { Accept: 'application/protobuf' });
  assert.equal(res.status, 200, `GET /api/traces/${traceId} (protobuf): ${res.status} ${res.text}`);
  assert.equal(res.contentType, 'application/protobuf', 'v1 protobuf content type');
  const msg = decodeProto('tempopb.Trace', res.body);
  return { res, msg, resourceSpans: msg.resourceSpans ?? [] };
}

const countSpans = (resourceSpans) =>
  (resourceSpans ?? []).reduce((n, rs) => n + (rs.scopeSpans ?? []).reduce((m, ss) => m + (ss.spans ?? []).length, 0), 0);

// Waits (briefly) until the trace has all `sent` spans, then compares the
// v2 JSON, v1 JSON, v2 protobuf and v1 protobuf responses with `sent`.
export async function assertTraceStored(srv, traceId, sent, { timeoutMs = 5000, shapes = ['v2', 'v1', 'v2-proto', 'v1-proto'] } = {}) {
  await waitFor(`trace ${traceId} to have ${sent.length} spans`, async () => {
    const { resourceSpans } = await getTraceV2Json(srv, traceId);
    const n = countSpans(resourceSpans);
    if (n >= sent.length) return true;
    throw new Error(`has ${n} of ${sent.length} spans`);
  }, { timeoutMs });
  for (const shape of shapes) {
    const get = { 'v2': getTraceV2Json, 'v1': getTraceV1Json, 'v2-proto': getTraceV2Proto, 'v1-proto': getTraceV1Proto }[shape];
    const r = await get(srv, traceId);
    assert.ok(r, `${shape}: trace ${traceId} not found`);
    if (shape === 'v2') {
      assert.ok(r.body.status === undefined || r.body.status === 'COMPLETE', `v2 status of a complete trace: ${r.body.status}`);
    }
    assertSameSpans(r.resourceSpans, sent, `${shape} ${traceId}`);
  }
}

// Groups ReadableSpans by trace ID.
export function byTrace(spans) {
  const m = new Map();
  for (const s of spans) {
    const id = s.spanContext().traceId;
    if (!m.has(id)) m.set(id, []);
    m.get(id).push(s);
  }
  return m;
}

export { countSpans };
