// Acked means durable: push, wait for each ack, kill -9, restart on the same
// directories; every acknowledged trace is found with all its spans.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { Andante } from './harness.mjs';
import { ExportResultCode, exportOk, exportSpans, makeExporter, makeResource, simpleTrace } from './otlp.mjs';
import { assertTraceStored, getTraceV2Json, countSpans } from './tempo_api.mjs';

describe('crash recovery (SIGKILL)', () => {
  let srv;
  const acked = new Map();  // traceId -> spans

  before(async () => {
    // Short periods so that, when the server is killed, data sits in every
    // state at once: live traces, head block, cut blocks, flushed blocks.
    srv = await Andante.start({ traceIdlePeriod: '1s', flushCheckPeriod: '200ms', maxBlockDuration: '2s' });
  });
  after(async () => { await srv?.cleanup(); });

  async function assertAllAcked(what) {
    let missing = [];
    for (const [traceId, spans] of acked) {
      const { resourceSpans } = await getTraceV2Json(srv, traceId);
      const n = countSpans(resourceSpans);
      if (n !== spans.length) missing.push(`${traceId}: ${n}/${spans.length} spans`);
    }
    assert.deepEqual(missing, [], `${what}: acknowledged traces lost or incomplete (${missing.length} of ${acked.size})`);
  }

  test('sequential acked pushes survive kill -9', async () => {
    const resource = makeResource('crash-svc');
    const kinds = ['grpc', 'http-proto', 'http-json'];
    const exporters = kinds.map((k) => makeExporter(k, srv));
    try {
      for (let i = 0; i < 60; i++) {
        const spans = simpleTrace({ resource, spans: 1 + (i % 5), name: `seq${i}` });
        await exportOk(exporters[i % 3], spans, `push ${i} via ${kinds[i % 3]}`);
        acked.set(spans[0].spanContext().traceId, spans);
        if (i === 30) await sleep(2500);  // let some traces go idle and a block be cut
      }
    } finally {
      for (const e of exporters) await e.shutdown();
    }
    const k = await srv.kill();
    assert.equal(k.signal, 'SIGKILL');
    await srv.start();
    await assertAllAcked('after the first kill');
    // One trace compared field by field, to be sure replay is lossless.
    const [traceId, spans] = acked.entries().next().value;
    await assertTraceStored(srv, traceId, spans, { shapes: ['v2', 'v1'] });
  });

  test('concurrent pushes: kill -9 mid-stream loses no acknowledged trace', async () => {
    const resource = makeResource('crash-concurrent');
    const exporters = ['grpc', 'http-proto', 'http-json'].map((k) => makeExporter(k, srv, { timeoutMillis: 2000 }));
    let stop = false;
    let sentOk = 0;
    const worker = async (exporter, w) => {
      for (let i = 0; !stop; i++) {
        const spans = simpleTrace({ resource, spans: 2 + (i % 3), name: `w${w}-${i}` });
        const res = await exportSpans(exporter, spans);
        if (res.code === ExportResultCode.SUCCESS) {
          acked.set(spans[0].spanContext().traceId, spans);
          sentOk++;
        }
      }
    };
    const workers = exporters.flatMap((e, i) => [worker(e, 2 * i), worker(e, 2 * i + 1)]);
    const t0 = Date.now();
    while (sentOk < 150 && Date.now() - t0 < 20000) await sleep(50);
    await sleep(300);
    await srv.kill();  // pushes are in flight right now
    stop = true;
    await Promise.all(workers);
    for (const e of exporters) await e.shutdown().catch(() => {});
    assert.ok(sentOk >= 50, `at least 50 pushes were acked before the kill (got ${sentOk})`);
    await srv.start();
    await assertAllAcked('after the mid-stream kill');
  });

  test('a second crash right after recovery loses nothing either', async () => {
    const exporter = makeExporter('http-proto', srv);
    try {
      for (let i = 0; i < 10; i++) {
        const spans = simpleTrace({ spans: 3, name: `again${i}` });
        await exportOk(exporter, spans, `push ${i}`);
        acked.set(spans[0].spanContext().traceId, spans);
      }
    } finally {
      await exporter.shutdown();
    }
    await srv.kill();
    await srv.start();
    await srv.kill();  // crash again before anything else happens
    await srv.start();
    await assertAllAcked('after two back-to-back kills');
  });
});
