// POST /flush moves everything into complete blocks; the traces are still
// found, also by a fresh process with the WAL gone (so they come from blocks).
// /metrics counts what was received.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';

import { Andante, metricSum, waitFor } from './harness.mjs';
import { EXPORTERS, exportOk, makeExporter, richTrace, sdkTrace } from './otlp.mjs';
import { assertTraceStored } from './tempo_api.mjs';

describe('flush to blocks and metrics', () => {
  let srv;
  const sent = new Map();  // traceId -> spans
  let spanCount = 0;

  before(async () => {
    // Long idle period and block duration: nothing moves by itself, only
    // /flush moves the data.
    srv = await Andante.start({ traceIdlePeriod: '5m', maxBlockDuration: '30m', flushCheckPeriod: '1s' });
    for (const kind of EXPORTERS) {
      const exporter = makeExporter(kind, srv);
      try {
        for (let i = 0; i < 3; i++) {
          const { traceId, spans } = richTrace({ tag: `flush-${kind}-${i}` });
          await exportOk(exporter, spans, `${kind} export`);
          sent.set(traceId, spans);
          spanCount += spans.length;
        }
        const { traceId, spans } = await sdkTrace(exporter, { service: `flush-sdk-${kind}` });
        sent.set(traceId, spans);
        spanCount += spans.length;
      } finally {
        await exporter.shutdown();
      }
    }
  });
  after(async () => { await srv?.cleanup(); });

  test('/metrics counts received spans and bytes per tenant', async () => {
    const m = await srv.metrics();
    assert.equal(metricSum(m, 'tempo_distributor_spans_received_total'), spanCount,
      'tempo_distributor_spans_received_total = spans pushed');
    assert.equal(metricSum(m, 'tempo_distributor_spans_received_total', { tenant: 'single-tenant' }), spanCount,
      'spans received carry tenant="single-tenant"');
    const bytes = metricSum(m, 'tempo_distributor_bytes_received_total', { tenant: 'single-tenant' });
    assert.ok(bytes > 0, `tempo_distributor_bytes_received_total{tenant="single-tenant"} > 0 (got ${bytes})`);
  });

  test('traces are found before the flush', async () => {
    for (const [traceId, spans] of sent) await assertTraceStored(srv, traceId, spans, { shapes: ['v2', 'v1'] });
  });

  test('POST /flush returns 204 and blocks are written', async () => {
    const before = (await srv.metrics());
    const flushedBefore = metricSum(before, 'tempo_ingester_blocks_flushed_total') ?? 0;
    const res = await srv.post('/flush');
    assert.equal(res.status, 204, `/flush: ${res.status} ${res.text}`);
    assert.equal(res.body.length, 0, '/flush has an empty body');
    await waitFor('a complete block (blocks/single-tenant/<id>/meta.json)', () => srv.completeBlocks().length > 0,
      { timeoutMs: 20000 });
    await waitFor('tempo_ingester_blocks_flushed_total to increase', async () =>
      (metricSum(await srv.metrics(), 'tempo_ingester_blocks_flushed_total') ?? 0) > flushedBefore,
    { timeoutMs: 20000 });
  });

  test('POST /flush?wait=true answers once the data is in complete blocks', async () => {
    const exporter = makeExporter(EXPORTERS[0], srv);
    try {
      const { traceId, spans } = richTrace({ tag: 'flush-wait' });
      await exportOk(exporter, spans, 'export before /flush?wait=true');
      sent.set(traceId, spans);
    } finally {
      await exporter.shutdown();
    }
    const before = metricSum(await srv.metrics(), 'tempo_ingester_blocks_flushed_total') ?? 0;
    const res = await srv.post('/flush?wait=true');
    assert.equal(res.status, 204, `/flush?wait=true: ${res.status} ${res.text}`);
    // No waiting: the answer came after the block was committed.
    const m = await srv.metrics();
    assert.ok((metricSum(m, 'tempo_ingester_blocks_flushed_total') ?? 0) > before,
      'a block was flushed by the time /flush?wait=true answered');
    assert.equal(metricSum(m, 'andante_pending_block_bytes'), 0, 'nothing left to build');
    assert.equal(metricSum(m, 'tempo_ingester_live_traces'), 0, 'nothing live');
  });

  test('traces are found after the flush, span by span', async () => {
    for (const [traceId, spans] of sent) await assertTraceStored(srv, traceId, spans);
  });

  test('after a clean restart with the WAL removed, every trace is found in blocks', async () => {
    const stop = await srv.stop();
    assert.equal(stop.code, 0, `exit status after SIGTERM: ${JSON.stringify(stop)}`);
    fs.rmSync(srv.walDir, { recursive: true, force: true });
    await srv.start();
    for (const [traceId, spans] of sent) await assertTraceStored(srv, traceId, spans);
    // A fresh process has received nothing yet.
    const m = await srv.metrics();
    assert.equal(metricSum(m, 'tempo_distributor_spans_received_total') ?? 0, 0, 'counters restart at 0');
  });
});
