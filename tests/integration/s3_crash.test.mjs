// Crashes against a real S3 endpoint (s3rver behind the SigV4-verifying
// proxy of s3_endpoint.mjs): the server is SIGKILLed while it uploads a
// block and while it compacts (ANDANTE_TEST_CRASH_POINT, a test hook:
// lib/util/crash_point.h; the points are listed in docs/compaction.md),
// restarted on the same WAL and bucket, and then
//   - every acknowledged span is found exactly once, by trace ID and by
//     search, right after the restart and again once compaction has run;
//   - what the crash left is cleaned up: no multipart upload left open in
//     s3rver (read from s3rver's own directory, not through the server), no
//     block directory without meta.json in the bucket.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { metricSum, waitFor } from './harness.mjs';
import { BUCKET, S3Andante, openUploads, startS3Endpoint } from './s3_endpoint.mjs';

const SPANS = 3;
const PART = 5 << 20;  // the S3 minimum part size, configured as part_size

const randomHex = (bytes) => crypto.randomBytes(bytes).toString('hex');

// `traces` traces of SPANS spans each; `payload` random base64 characters
// per span (6 random bits each: zstd keeps ~3/4) make a block large enough
// for multipart.
function otlpJson({ traces, payload = 0, service }) {
  const ids = [];
  const spans = [];
  const startMs = Date.now() - 2000;
  for (let t = 0; t < traces; t++) {
    const traceId = randomHex(16);
    ids.push(traceId);
    for (let s = 0; s < SPANS; s++) {
      const start = BigInt(startMs) * 1000000n + BigInt(s * 1000);
      const span = {
        traceId, spanId: randomHex(8), name: `op${s}`, kind: 2,
        startTimeUnixNano: start.toString(), endTimeUnixNano: (start + 1000000n).toString(),
      };
      if (payload > 0) {
        const text = crypto.randomBytes(payload * 3 / 4).toString('base64');
        span.attributes = [{ key: 'payload', value: { stringValue: text } }];
      }
      spans.push(span);
    }
  }
  const body = JSON.stringify({
    resourceSpans: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
      scopeSpans: [{ scope: { name: 's3-crash' }, spans }],
    }],
  });
  return { body, ids };
}

async function push(srv, body) {
  const res = await fetch(srv.otlpHttpUrl, {
    method: 'POST', body, headers: { 'content-type': 'application/json' }, signal: AbortSignal.timeout(60000),
  });
  return res.status;
}

// Every acknowledged trace has exactly its SPANS distinct spans by ID, and
// search for the service lists each exactly once and nothing else.
async function assertAckedOnce(srv, acked, service, what) {
  const bad = [];
  for (const id of acked) {
    const res = await srv.get(`/api/v2/traces/${id}`);
    if (res.status !== 200) {
      bad.push(`${id}: HTTP ${res.status}`);
      continue;
    }
    const ids = [];
    for (const rs of JSON.parse(res.text).trace?.resourceSpans ?? []) {
      for (const ss of rs.scopeSpans ?? []) for (const s of ss.spans ?? []) ids.push(s.spanId);
    }
    if (ids.length !== SPANS || new Set(ids).size !== SPANS) {
      bad.push(`${id}: ${ids.length} spans, ${new Set(ids).size} distinct`);
    }
  }
  assert.deepEqual(bad, [], `${what}: ${bad.length} of ${acked.length} acknowledged traces wrong by ID`);
  const q = encodeURIComponent(`{ resource.service.name = "${service}" }`);
  const res = await srv.get(`/api/search?q=${q}&limit=100000`);
  assert.equal(res.status, 200, res.text);
  const found = JSON.parse(res.text).traces.map((t) => t.traceID.padStart(32, '0'));
  assert.deepEqual(found.slice().sort(), acked.slice().sort(), `${what}: search lists each acknowledged trace once`);
}

// Block directories under the server's prefix and tenant, with whether each
// has meta.json, read from s3rver's directory (keys are paths there).
function blockDirs(s3dir, prefix) {
  const root = path.join(s3dir, BUCKET, prefix, 'single-tenant');
  if (!fs.existsSync(root)) return [];
  return fs.readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && /^[0-9a-f-]{36}$/.test(d.name))
    .map((d) => ({ id: d.name, complete: fs.existsSync(path.join(root, d.name, 'meta.json._S3rver_object')) }));
}

describe('SIGKILL while uploading to S3 and while compacting: every acknowledged span once, leftovers cleaned up', () => {
  let endpoint;
  let s3dir;
  let proxy;
  let n = 0;

  before(async () => {
    endpoint = await startS3Endpoint();
    ({ dir: s3dir, proxy } = endpoint);
  });

  after(async () => {
    await endpoint?.close();
  });

  // [point, step, big, leaves]: step 'flush' crashes in POST /flush's
  // upload; 'compact' in a compaction of the flushed blocks (or the retention
  // after it); big blocks (over one part) go up as multipart uploads.
  // `leaves`: what the crash must have left in the bucket ('upload': an open
  // multipart upload; 'incomplete': a block directory without meta.json).
  const points = [
    ['s3.after_part', 'flush', true, 'upload'],
    ['s3.before_complete', 'flush', true, 'upload'],
    ['block.after_data', 'flush', false, 'incomplete'],
    ['block.before_meta', 'flush', false, 'incomplete'],
    ['block.after_meta', 'flush', false, null],
    ['compaction.s3.after_part', 'compact', true, 'upload'],
    ['compaction.block.after_data', 'compact', false, 'incomplete'],
    ['compaction.block.before_meta', 'compact', false, 'incomplete'],
    ['compaction.after_outputs', 'compact', false, null],
    ['compaction.after_mark', 'compact', false, null],
    ['retention.delete.after_meta', 'compact', false, 'incomplete'],
  ];

  for (const [point, step, big, leaves] of points) {
    test(point, async () => {
      const prefix = `crash-${++n}`;
      const service = `s3-crash-${n}`;
      const srv = new S3Andante({
        s3Port: proxy.port, s3Prefix: prefix,
        // Blocks are cut and flushed only by POST /flush.
        traceIdlePeriod: '1h', maxBlockDuration: '1h', flushCheckPeriod: '1h',
        maxRequestBodySize: 8 << 20,
        s3Extra: `      part_size: ${PART}\n`,
        storageExtra: '    blocklist_poll: 1s\n',
        extraYaml: `compactor:
  compaction:
    compaction_cycle: 1s
    compacted_block_retention: 2s
    incomplete_block_timeout: 3s
    block_retention: 100000h
`,
      });
      const acked = [];
      try {
        await srv.start({ crashPoint: point });
        // Two blocks for 'compact' (a compaction needs two inputs), one for
        // 'flush'; a big one holds 10.8 MB of span payload (~8 MB stored,
        // over one 5 MiB part).
        for (let block = 0; block < (step === 'compact' ? 2 : 1); block++) {
          for (let i = 0; i < (big ? 6 : 2); i++) {
            const t = big ? otlpJson({ traces: 6, payload: 100000, service }) : otlpJson({ traces: 5, service });
            assert.equal(await push(srv, t.body), 200, 'push acknowledged');
            acked.push(...t.ids);
          }
          await srv.post('/flush?wait=true').catch(() => {});  // the flush crash kills it
          if (step === 'flush') break;
        }
        const exit = await Promise.race([srv.exit, new Promise((resolve) => setTimeout(() => resolve(null), 30000))]);
        assert.ok(exit, `the server did not reach ${point} within 30 s`);
        assert.equal(exit.signal, 'SIGKILL', `the server died at ${point}`);
        const openUploadsOf = () => openUploads(s3dir).filter((u) => u.key.startsWith(`${prefix}/`));
        const incompleteBlocks = () => blockDirs(s3dir, prefix).filter((b) => !b.complete);
        if (leaves === 'upload') assert.ok(openUploadsOf().length > 0, 'the crash left an open multipart upload');
        if (leaves === 'incomplete') assert.ok(incompleteBlocks().length > 0, 'the crash left a block without meta.json');

        await srv.start();
        await assertAckedOnce(srv, acked, service, 'after the crash');
        // Leftovers go: retention aborts the killed writer's multipart
        // uploads and deletes blocks without meta.json once older than
        // incomplete_block_timeout; compaction merges what was duplicated.
        await waitFor('leftovers cleaned up', () => openUploadsOf().length === 0 && incompleteBlocks().length === 0,
          { timeoutMs: 30000, intervalMs: 500 });
        const m = await srv.metrics();
        assert.equal(metricSum(m, 'andante_blocks_damaged_total') ?? 0, 0, 'no damaged block read');
        if (leaves === 'upload') {
          assert.ok((metricSum(m, 'andante_backend_aborted_uploads_total') ?? 0) >= 1, 'the aborted upload is counted');
        }
        await assertAckedOnce(srv, acked, service, 'after the cleanup');
        // And from the bucket alone: an empty WAL, a fresh start.
        await srv.stop();
        fs.rmSync(srv.walDir, { recursive: true, force: true });
        fs.mkdirSync(srv.walDir);
        await srv.start();
        await assertAckedOnce(srv, acked, service, 'from the bucket alone');
      } finally {
        await srv.cleanup();
      }
    });
  }
});
