// Clean shutdown: SIGTERM flushes and exits 0 within a few seconds; the data
// is found after a restart. Also: a bad config is an error naming the key.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { ANDANTE_BIN, Andante } from './harness.mjs';
import { EXPORTERS, exportOk, makeExporter, richTrace } from './otlp.mjs';
import { assertTraceStored } from './tempo_api.mjs';

describe('SIGTERM', () => {
  let srv;
  const sent = new Map();

  before(async () => {
    // Nothing moves by itself: whatever is in blocks after SIGTERM was
    // flushed by the shutdown.
    srv = await Andante.start({ traceIdlePeriod: '5m', maxBlockDuration: '30m' });
  });
  after(async () => { await srv?.cleanup(); });

  test('exits 0 within 10 s, blocks are flushed, and every trace is found after restart', async () => {
    for (const kind of EXPORTERS) {
      const exporter = makeExporter(kind, srv);
      try {
        for (let i = 0; i < 3; i++) {
          const { traceId, spans } = richTrace({ tag: `term-${kind}-${i}` });
          await exportOk(exporter, spans, kind);
          sent.set(traceId, spans);
        }
      } finally {
        await exporter.shutdown();
      }
    }
    const res = await srv.stop({ signal: 'SIGTERM', timeoutMs: 10000 });
    assert.equal(res.killed, false, `still running 10 s after SIGTERM\n${srv.logTail()}`);
    assert.equal(res.code, 0, `exit status after SIGTERM: ${JSON.stringify(res)}\n${srv.logTail()}`);
    assert.ok(srv.completeBlocks().length > 0, 'shutdown flushed a complete block (blocks/single-tenant/<id>/meta.json)');
    await srv.start();
    for (const [traceId, spans] of sent) await assertTraceStored(srv, traceId, spans);
  });

  test('SIGINT also exits 0', async () => {
    const res = await srv.stop({ signal: 'SIGINT', timeoutMs: 10000 });
    assert.equal(res.killed, false, 'still running 10 s after SIGINT');
    assert.equal(res.code, 0, `exit status after SIGINT: ${JSON.stringify(res)}`);
    await srv.start();
    const [traceId, spans] = sent.entries().next().value;
    await assertTraceStored(srv, traceId, spans, { shapes: ['v2'] });
  });
});

describe('configuration errors', () => {
  test('an unknown key is an error naming the key', () => {
    const dir = fs.mkdtempSync(path.join(fs.realpathSync(process.env.TMPDIR ?? '/tmp'), 'andante-cfg-'));
    try {
      const cfg = path.join(dir, 'tempo.yaml');
      fs.writeFileSync(cfg, `server:\n  http_listen_port: 0\ningester:\n  no_such_key: 1\n`);
      const r = spawnSync(ANDANTE_BIN, [`-config.file=${cfg}`], { cwd: dir, timeout: 10000, encoding: 'utf8' });
      assert.notEqual(r.status, 0, `exit status ${r.status}`);
      assert.match(r.stdout + r.stderr, /no_such_key/, 'the message names the unknown key');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a missing config file is an error naming the file', () => {
    const r = spawnSync(ANDANTE_BIN, ['-config.file=/nonexistent/tempo.yaml'], { timeout: 10000, encoding: 'utf8' });
    assert.notEqual(r.status, 0);
    assert.match(r.stdout + r.stderr, /\/nonexistent\/tempo\.yaml/);
  });
});
