// Each real OpenTelemetry JS exporter (OTLP gRPC, OTLP/HTTP JSON, OTLP/HTTP
// protobuf; with and without gzip) pushes traces to andante; every trace is
// read back through /api/v2/traces and /api/traces, as JSON and protobuf, and
// compared span by span with what the exporter sent.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { Andante } from './harness.mjs';
import {
  EXPORTERS, exportOk, makeExporter, makeResource, newTraceId, richTrace, sdkTrace, simpleTrace,
} from './otlp.mjs';
import { assertTraceStored, byTrace } from './tempo_api.mjs';

describe('OTLP exporters → trace by ID', () => {
  let srv;
  before(async () => { srv = await Andante.start(); });
  after(async () => { await srv?.cleanup(); });

  for (const kind of EXPORTERS) {
    for (const compression of ['none', 'gzip']) {
      test(`${kind} exporter (compression ${compression}): rich trace round-trips span by span`, async () => {
        const exporter = makeExporter(kind, srv, { compression });
        try {
          const { traceId, spans } = richTrace({ tag: `${kind}-${compression}` });
          await exportOk(exporter, spans, `${kind} export`);
          await assertTraceStored(srv, traceId, spans);
        } finally {
          await exporter.shutdown();
        }
      });
    }

    test(`${kind} exporter via BasicTracerProvider + SimpleSpanProcessor`, async () => {
      const exporter = makeExporter(kind, srv);
      try {
        const { traceId, spans } = await sdkTrace(exporter, { service: `sdk-${kind}` });
        await assertTraceStored(srv, traceId, spans);
      } finally {
        await exporter.shutdown();
      }
    });

    test(`${kind} exporter: one request with spans of many traces is split by trace ID`, async () => {
      const exporter = makeExporter(kind, srv);
      try {
        const resource = makeResource(`multi-${kind}`);
        const traces = Array.from({ length: 20 }, (_, i) => simpleTrace({ resource, spans: 1 + (i % 4), name: `t${i}` }));
        // Interleave the traces' spans in one export.
        const all = [];
        for (let i = 0; i < 4; i++) for (const t of traces) if (t[i]) all.push(t[i]);
        await exportOk(exporter, all, `${kind} multi-trace export`);
        for (const [traceId, spans] of byTrace(all)) {
          await assertTraceStored(srv, traceId, spans, { shapes: ['v2', 'v1-proto'] });
        }
      } finally {
        await exporter.shutdown();
      }
    });
  }

  test('spans of one trace pushed by different exporters in several requests are combined', async () => {
    const { traceId, spans } = richTrace({ tag: 'split' });
    const parts = [spans.slice(0, 2), spans.slice(2, 5), spans.slice(5)];
    for (const [i, kind] of EXPORTERS.entries()) {
      const exporter = makeExporter(kind, srv);
      try {
        await exportOk(exporter, parts[i], `${kind} part ${i}`);
      } finally {
        await exporter.shutdown();
      }
    }
    await assertTraceStored(srv, traceId, spans);
  });

  test('a span pushed twice is returned once', async () => {
    const { traceId, spans } = richTrace({ tag: 'dup' });
    const exporter = makeExporter('http-proto', srv);
    try {
      await exportOk(exporter, spans, 'first push');
      await exportOk(exporter, spans.slice(0, 3), 'duplicate push');
    } finally {
      await exporter.shutdown();
    }
    await assertTraceStored(srv, traceId, spans);
  });

  test('a 64-bit trace ID (high half zero) is found by its 16-hex-char form', async () => {
    const low = newTraceId().slice(16);
    const traceId = '0'.repeat(16) + low;
    const spans = simpleTrace({ traceId, spans: 2, name: 'short-id' });
    const exporter = makeExporter('grpc', srv);
    try {
      await exportOk(exporter, spans, 'grpc export');
    } finally {
      await exporter.shutdown();
    }
    await assertTraceStored(srv, traceId, spans, { shapes: ['v2'] });
    for (const id of [low, low.toUpperCase(), low.replace(/^0+/, '')]) {
      const res = await srv.get(`/api/v2/traces/${id}`);
      assert.equal(res.status, 200, `GET /api/v2/traces/${id}: ${res.text}`);
      const n = (JSON.parse(res.text).trace.resourceSpans ?? []).length;
      assert.ok(n > 0, `trace ${traceId} found by ${id}`);
    }
  });
});
