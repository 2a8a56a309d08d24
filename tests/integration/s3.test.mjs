// The S3 backend against a real S3 endpoint: s3rver (npm) on loopback, with a
// bucket created at start, configured like the seeds' Garage deployment
// (custom endpoint and region, path style, plain HTTP, keys from
// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY).
//
// s3rver 3.7 checks that the access key exists but does not verify SigV4
// signatures itself ("Signature version 4 calculation is unimplemented" in
// its authentication middleware), so the test puts a small verifying proxy in
// front of it: every request's signature is recomputed with the `aws4` npm
// package (an independent SigV4 implementation) and its payload hash checked
// against the body; a mismatch is answered 403 SignatureDoesNotMatch as S3
// answers it, and only verified requests reach s3rver. The proxy can also
// answer every Nth request 503 SlowDown, to exercise the client's retries
// over real sockets.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import aws4 from 'aws4';

import { ANDANTE_BIN, metricSum, waitFor } from './harness.mjs';
import { ACCESS_KEY, BUCKET, REGION, S3Andante, SECRET_KEY, sha256, startS3Endpoint } from './s3_endpoint.mjs';
import { exportOk, makeExporter, makeResource, simpleTrace } from './otlp.mjs';
import { assertTraceStored, countSpans, getTraceV2Json } from './tempo_api.mjs';

// One S3 request signed by aws4 (not by Andante), for checking the proxy.
function signedRequest(port, { method = 'GET', key = '', body = '', secret = SECRET_KEY, tamper } = {}) {
  const opts = aws4.sign({
    service: 's3', region: REGION, method, host: `127.0.0.1:${port}`, path: `/${BUCKET}/${key}`,
    body, headers: { 'x-amz-content-sha256': sha256(body) },
  }, { accessKeyId: ACCESS_KEY, secretAccessKey: secret });
  const sent = tamper ? tamper(body) : body;
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: opts.path, headers: opts.headers }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, body: text }));
    });
    req.on('error', reject);
    req.end(sent);
  });
}

function runBinary(bin, args, env) {
  return new Promise((resolve) => {
    const child = spawn(bin, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.on('exit', (code, signal) => resolve({ code, signal, out }));
    child.on('error', (err) => resolve({ code: null, signal: null, out: String(err) }));
  });
}

const CONFORMANCE_BIN = process.env.ANDANTE_S3_CONFORMANCE_BIN ??
  (ANDANTE_BIN && path.resolve(path.dirname(ANDANTE_BIN), '..', 'tests', 's3', 's3_conformance_test'));

// Spans of a trace as GET /api/v2/traces/<id> returns them; 0 on 404.
async function spansOf(srv, traceId) {
  const res = await srv.get(`/api/v2/traces/${traceId}`);
  if (res.status === 404) return 0;
  assert.equal(res.status, 200, `GET /api/v2/traces/${traceId}: ${res.status} ${res.text}`);
  return countSpans(JSON.parse(res.text).trace?.resourceSpans ?? []);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Two instances sharing a bucket (under `prefix`), polling every
// POLL_SECONDS and compacting every few seconds; each owns part of the work.
const POLL_SECONDS = 2;
function sharedInstance(s3Port, prefix, id) {
  return new S3Andante({
    s3Port, s3Prefix: prefix, traceIdlePeriod: '1s', flushCheckPeriod: '500ms',
    storageExtra: `    blocklist_poll: ${POLL_SECONDS}s\n`,
    extraYaml: `compactor:
  compaction:
    compaction_cycle: 2s
    compacted_block_retention: 10s
  ring:
    instance_id: ${id}
    instance_ring: "a,b"
`,
  });
}

describe('S3 backend against s3rver', () => {
  let endpoint;
  let s3dir;
  let proxy;

  before(async () => {
    endpoint = await startS3Endpoint({ serviceEndpoint: 'localhost' });
    ({ dir: s3dir, proxy } = endpoint);
  });

  after(async () => {
    await endpoint?.close();
  });

  test('the endpoint checks signatures: wrong secret and tampered body refused', async () => {
    const ok = await signedRequest(proxy.port, { method: 'PUT', key: 'probe/ok', body: 'hello' });
    assert.equal(ok.status, 200, ok.body);
    const bad = await signedRequest(proxy.port, { method: 'PUT', key: 'probe/bad', body: 'hello', secret: 'wrong' });
    assert.equal(bad.status, 403);
    assert.match(bad.body, /SignatureDoesNotMatch/);
    const tampered = await signedRequest(proxy.port, { method: 'PUT', key: 'probe/t', body: 'hello', tamper: () => 'HELLO' });
    assert.equal(tampered.status, 400);
    assert.match(tampered.body, /XAmzContentSHA256Mismatch/);
    const get = await signedRequest(proxy.port, { key: 'probe/ok' });
    assert.equal(get.status, 200);
    assert.equal(get.body, 'hello');
    assert.equal((await signedRequest(proxy.port, { key: 'probe/bad' })).status, 404, 'the refused PUT never reached s3rver');
  });

  test('Backend conformance suite passes against s3rver, with 503 SlowDown on every 7th request', async () => {
    assert.ok(CONFORMANCE_BIN && fs.existsSync(CONFORMANCE_BIN),
      `conformance binary ${CONFORMANCE_BIN} missing: meson compile -C build tests/s3/s3_conformance_test`);
    const before = { ...proxy.stats, refused: { ...proxy.stats.refused } };
    proxy.stats.failEvery = 7;
    // OverwriteIsAtomic is left out here only: s3rver rewrites an object's
    // file in place (fs.createWriteStream on the object path), so a reader
    // racing an overwrite can see a torn object there, which S3 never shows.
    const run = await runBinary(CONFORMANCE_BIN, ['--gtest_filter=S3*:*/s3:-*OverwriteIsAtomic*'], {
      ANDANTE_S3_ENDPOINT: `127.0.0.1:${proxy.port}`, ANDANTE_S3_BUCKET: BUCKET, ANDANTE_S3_REGION: REGION,
      ANDANTE_S3_VERIFIES_SIGNATURES: '1', ANDANTE_S3_LIST_WITH_DELIMITER: '0',
    });
    proxy.stats.failEvery = 0;
    assert.equal(run.code, 0, `conformance run failed:\n${run.out.slice(-6000)}`);
    assert.match(run.out, /\[ {2}PASSED {2}\] \d+ tests?\./);
    assert.doesNotMatch(run.out, /FAILED|SKIPPED/);
    const injected = proxy.stats.injected - before.injected;
    assert.ok(injected >= 10, `expected injected 503s to be retried, saw ${injected}`);
    // Only the deliberate wrong-secret test is refused.
    const refused = (proxy.stats.refused.SignatureDoesNotMatch ?? 0) - (before.refused.SignatureDoesNotMatch ?? 0);
    assert.equal(refused, 1, JSON.stringify(proxy.stats.refused));
    // Create + complete for the round trip, create for the abandoned upload.
    assert.ok((proxy.stats.byMethod.POST ?? 0) >= 3, `multipart uploads created and completed: ${JSON.stringify(proxy.stats.byMethod)}`);
  });

  test('virtual-host addressing (<bucket>.s3.localhost) works the same', async () => {
    const hostsBefore = proxy.stats.hosts.size;
    const run = await runBinary(CONFORMANCE_BIN, ['--gtest_filter=*WriteThenRead*:*ReadRange*:*List*:*Delete*:*Multipart*'], {
      ANDANTE_S3_ENDPOINT: `s3.localhost:${proxy.port}`, ANDANTE_S3_BUCKET: BUCKET, ANDANTE_S3_REGION: REGION,
      ANDANTE_S3_VIRTUAL_HOST: '1', ANDANTE_S3_LIST_WITH_DELIMITER: '0',
    });
    assert.equal(run.code, 0, `virtual-host run failed:\n${run.out.slice(-6000)}`);
    assert.ok(proxy.stats.hosts.has(`${BUCKET}.s3.localhost:${proxy.port}`),
      `requests were addressed to the bucket's host: ${[...proxy.stats.hosts]}`);
    assert.ok(proxy.stats.hosts.size > hostsBefore);
  });

  test('responses slower than the request timeout are abandoned and retried', async () => {
    const before = proxy.stats.delayed;
    proxy.stats.delayEvery = 4;
    proxy.stats.delayMs = 3000;
    const t0 = Date.now();
    const run = await runBinary(CONFORMANCE_BIN, ['--gtest_filter=*WriteThenRead*:*ReadRange*:*Delete*/s3'], {
      ANDANTE_S3_ENDPOINT: `127.0.0.1:${proxy.port}`, ANDANTE_S3_BUCKET: BUCKET, ANDANTE_S3_REGION: REGION,
      ANDANTE_S3_LIST_WITH_DELIMITER: '0', ANDANTE_S3_REQUEST_TIMEOUT_MS: '400',
    });
    proxy.stats.delayEvery = 0;
    assert.equal(run.code, 0, `slow-response run failed:\n${run.out.slice(-6000)}`);
    const delayed = proxy.stats.delayed - before;
    assert.ok(delayed >= 3, `responses delayed: ${delayed}`);
    // Each slow response cost one timeout (0.4 s), not its full 3 s.
    assert.ok(Date.now() - t0 < delayed * 3000, `took ${Date.now() - t0} ms for ${delayed} slow responses`);
  });

  test('delimiter listings (V2 and V1) where s3rver answers them completely', async () => {
    // Every "directory" here holds objects directly, which s3rver's
    // delimiter listing needs; the default listing mode is then checked
    // end to end, common prefixes included.
    for (const v1 of ['0', '1']) {
      const run = await runBinary(CONFORMANCE_BIN, ['--gtest_filter=*ListingMixesObjectsAndDirectories*'], {
        ANDANTE_S3_ENDPOINT: `127.0.0.1:${proxy.port}`, ANDANTE_S3_BUCKET: BUCKET, ANDANTE_S3_REGION: REGION,
        ANDANTE_S3_LIST_V1: v1, ANDANTE_S3_LIST_WITH_DELIMITER: '1',
      });
      assert.equal(run.code, 0, `delimiter listing (V1=${v1}) failed:\n${run.out.slice(-6000)}`);
      assert.match(run.out, /\[ {7}OK \] S3OnlyTest\.ListingMixesObjectsAndDirectories/);
    }
  });

  test('ListObjects V1 lists the same', async () => {
    const run = await runBinary(CONFORMANCE_BIN, ['--gtest_filter=*List*:*Delete*'], {
      ANDANTE_S3_ENDPOINT: `127.0.0.1:${proxy.port}`, ANDANTE_S3_BUCKET: BUCKET, ANDANTE_S3_REGION: REGION,
      ANDANTE_S3_LIST_V1: '1', ANDANTE_S3_LIST_WITH_DELIMITER: '0',
    });
    assert.equal(run.code, 0, `V1 listing run failed:\n${run.out.slice(-6000)}`);
    assert.match(run.out, /ListingMixesObjectsAndDirectories/);
  });

  test('Andante on the bucket: push, flush, restart with an empty WAL, every trace found from the bucket alone', async () => {
    const srv = new S3Andante({ s3Port: proxy.port, traceIdlePeriod: '1s', flushCheckPeriod: '500ms' });
    try {
      await srv.start();
      const requestsBefore = proxy.stats.verified;
      const acked = new Map();
      const resource = makeResource('s3-svc');
      const exporter = makeExporter('http-proto', srv);
      try {
        for (let i = 0; i < 40; i++) {
          const spans = simpleTrace({ resource, spans: 1 + (i % 4), name: `s3-${i}` });
          await exportOk(exporter, spans, `push ${i}`);
          acked.set(spans[0].spanContext().traceId, spans);
        }
      } finally {
        await exporter.shutdown();
      }
      const flush = await srv.post('/flush?wait=true');
      assert.ok(flush.status === 204 || flush.status === 200, `POST /flush: ${flush.status}`);
      // The block's objects went up as PUTs (and a multipart POST if large),
      // each timed under Tempo's metric name.
      const m1 = await srv.metrics();
      const puts = metricSum(m1, 'tempodb_backend_request_duration_seconds_count', { operation: 'PUT', status_code: '200' });
      assert.ok(puts >= 4, `PUT requests counted: ${puts}`);
      assert.ok(metricSum(m1, 'andante_backend_bytes_total', { direction: 'sent' }) > 0);
      const stopped = await srv.stop();
      assert.equal(stopped.code, 0, `andante stopped with ${JSON.stringify(stopped)}`);
      assert.ok(proxy.stats.verified - requestsBefore > 0, 'the server wrote to the bucket');
      assert.equal(fs.existsSync(srv.blocksDir), false, 'no local block directory with the s3 backend');

      // The blocks are in the bucket, under the tenant.
      const listing = await signedRequest(proxy.port, { key: '?list-type=2&prefix=single-tenant%2F' });
      assert.equal(listing.status, 200, listing.body);
      assert.match(listing.body, /<Key>single-tenant\/[^<]+\/meta\.json<\/Key>/);

      // Nothing local survives: the WAL is emptied before the restart.
      fs.rmSync(srv.walDir, { recursive: true, force: true });
      fs.mkdirSync(srv.walDir);
      await srv.start();
      const getsAtStart = metricSum(await srv.metrics(), 'tempodb_backend_request_duration_seconds_count', { operation: 'GET' }) ?? 0;
      const missing = [];
      const latencies = [];
      for (const [traceId, spans] of acked) {
        const t0 = process.hrtime.bigint();
        const { resourceSpans } = await getTraceV2Json(srv, traceId);
        latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
        if (countSpans(resourceSpans) !== spans.length) missing.push(traceId);
      }
      assert.deepEqual(missing, [], `traces not found from the bucket: ${missing.length} of ${acked.size}`);
      const m2 = await srv.metrics();
      const gets = metricSum(m2, 'tempodb_backend_request_duration_seconds_count', { operation: 'GET' });
      assert.ok(gets > 0, `GET requests counted after the restart: ${gets}`);
      const getsPerLookup = (gets - getsAtStart) / acked.size;
      const [traceId, spans] = acked.entries().next().value;
      await assertTraceStored(srv, traceId, spans, { shapes: ['v2', 'v1'] });
      latencies.sort((a, b) => a - b);
      const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))].toFixed(1);
      console.log(`# trace by ID from s3rver after restart (${latencies.length} lookups): ` +
        `p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, ${getsPerLookup.toFixed(2)} backend GETs per lookup`);
    } finally {
      await srv.cleanup();
    }
  });


  test('two instances on one bucket find each other\'s traces after one poll, and compaction by both loses and duplicates nothing', async () => {
    const a = sharedInstance(proxy.port, 'shared-1', 'a');
    const b = sharedInstance(proxy.port, 'shared-1', 'b');
    const expected = new Map();  // traceId -> spans
    const ackedBy = new Map();   // traceId -> instance that acknowledged it
    const misses = [];
    let reading = true;
    try {
      await a.start();
      await b.start();
      const resource = makeResource('shared-svc');
      const push = async (srv, round) => {
        const exporter = makeExporter('http-proto', srv);
        try {
          for (let i = 0; i < 10; i++) {
            const spans = simpleTrace({ resource, spans: 1 + (i % 3), name: `r${round}-${i}` });
            await exportOk(exporter, spans, `push ${round}/${i}`);
            const id = spans[0].spanContext().traceId;
            expected.set(id, spans.length);
            ackedBy.set(id, srv);
          }
        } finally {
          await exporter.shutdown();
        }
        const flush = await srv.post('/flush?wait=true');
        assert.ok(flush.status === 204 || flush.status === 200, `POST /flush: ${flush.status}`);
      };
      // Reads its own writes in a loop through flushes, polls and
      // compactions: every acknowledged trace, complete, every time.
      const reader = (async () => {
        while (reading) {
          for (const [id, spans] of [...expected]) {
            const got = await spansOf(ackedBy.get(id), id);
            if (got !== spans) misses.push(`${id}: ${got} of ${spans}`);
          }
          await sleep(50);
        }
      })();

      await push(a, 0);
      await push(b, 0);
      // One poll later each finds the other's traces.
      await sleep((2 * POLL_SECONDS + 1) * 1000);
      for (const srv of [a, b]) {
        const wrong = [];
        for (const [id, spans] of expected) {
          const got = await spansOf(srv, id);
          if (got !== spans) wrong.push(`${id}: ${got} of ${spans}`);
        }
        assert.deepEqual(wrong, [], `${srv === a ? 'a' : 'b'} after one poll`);
      }

      // More blocks from both, then wait until the compactors have merged
      // some and both instances have polled the result.
      for (let round = 1; round <= 3; round++) {
        await push(a, round);
        await push(b, round);
      }
      const compacted = async () => {
        let n = 0;
        for (const srv of [a, b]) n += metricSum(await srv.metrics(), 'tempodb_compaction_blocks_total') ?? 0;
        return n;
      };
      await waitFor('blocks compacted', async () => (await compacted()) >= 4, { timeoutMs: 30000, intervalMs: 500 });
      await sleep((2 * POLL_SECONDS + 1) * 1000);
      reading = false;
      await reader;
      assert.deepEqual(misses.slice(0, 10), [], `reads of acknowledged traces that missed spans: ${misses.length}`);

      // Every trace, from either instance, with exactly its spans (none
      // lost, none duplicated), now read from compacted blocks.
      for (const srv of [a, b]) {
        const wrong = [];
        for (const [id, spans] of expected) {
          const got = await spansOf(srv, id);
          if (got !== spans) wrong.push(`${id}: ${got} of ${spans}`);
        }
        assert.deepEqual(wrong, [], `${srv === a ? 'a' : 'b'} after compaction`);
      }
      const ma = await a.metrics();
      const mb = await b.metrics();
      const written = (metricSum(ma, 'tempodb_compaction_objects_written_total') ?? 0) +
        (metricSum(mb, 'tempodb_compaction_objects_written_total') ?? 0);
      assert.ok(written > 0, `objects written by compaction: ${written}`);
      const lengths = [ma, mb].map((m) => metricSum(m, 'tempodb_blocklist_length', { tenant: 'single-tenant' }));
      // 8 flushed blocks merged: both instances read fewer than were flushed.
      for (const n of lengths) assert.ok(n > 0 && n < 8, `blocklist length after compaction: ${lengths}`);
      assert.ok(metricSum(ma, 'andante_blocklist_polls_total') >= 2);
    } finally {
      reading = false;
      await a.cleanup();
      await b.cleanup();
    }
  });

  test('s3rver stopped mid-ingest and restarted: pushes keep being acknowledged, every acknowledged trace reaches the bucket', async () => {
    const srv = new S3Andante({
      s3Port: proxy.port, s3Prefix: 'outage-1', traceIdlePeriod: '1s', flushCheckPeriod: '500ms', maxBlockDuration: '2s',
    });
    const acked = new Map();
    const resource = makeResource('outage-svc');
    const pushSome = async (round, n) => {
      const exporter = makeExporter('http-proto', srv);
      try {
        for (let i = 0; i < n; i++) {
          const spans = simpleTrace({ resource, spans: 1 + (i % 3), name: `o${round}-${i}` });
          await exportOk(exporter, spans, `push ${round}/${i}`);
          acked.set(spans[0].spanContext().traceId, spans.length);
        }
      } finally {
        await exporter.shutdown();
      }
    };
    try {
      await srv.start();
      await pushSome(0, 10);
      await waitFor('first block uploaded', async () =>
        (metricSum(await srv.metrics(), 'tempo_ingester_blocks_flushed_total') ?? 0) >= 1, { timeoutMs: 20000 });

      // The object store goes away mid-ingest.
      await endpoint.stop();
      await pushSome(1, 20);
      const ready = await srv.get('/ready');
      assert.equal(ready.status, 200, 'still ready without the bucket');
      await waitFor('a block waiting for the bucket', async () =>
        (metricSum(await srv.metrics(), 'andante_pending_block_bytes') ?? 0) > 0, { timeoutMs: 20000 });
      await pushSome(2, 10);

      // It comes back on the same port and directory.
      await endpoint.restart();
      await waitFor('pending blocks uploaded', async () => {
        const m = await srv.metrics();
        return (metricSum(m, 'andante_pending_block_bytes') ?? 1) === 0 &&
          (metricSum(m, 'andante_wal_bytes_on_disk') ?? 1) === 0;
      }, { timeoutMs: 60000, intervalMs: 500 });

      // Every acknowledged trace is in the bucket: found with an empty WAL.
      await srv.kill();
      fs.rmSync(srv.walDir, { recursive: true, force: true });
      fs.mkdirSync(srv.walDir);
      await srv.start();
      const missing = [];
      for (const [id, spans] of acked) {
        if (await spansOf(srv, id) !== spans) missing.push(id);
      }
      assert.deepEqual(missing, [], `acknowledged traces missing from the bucket: ${missing.length} of ${acked.size}`);
    } finally {
      await endpoint.restart();
      await srv.cleanup();
    }
  });

  test('wrong credentials stop the server at startup with a clear error', async () => {
    const srv = new S3Andante({ s3Port: proxy.port });
    const saved = process.env.AWS_SECRET_ACCESS_KEY;
    process.env.AWS_SECRET_ACCESS_KEY = 'not-the-secret';
    try {
      await assert.rejects(srv.start({ readyTimeoutMs: 10000 }), /exited before it was ready/);
      const log = fs.readFileSync(srv.logFile, 'utf8');
      assert.match(log, /SignatureDoesNotMatch/);
      assert.doesNotMatch(log, /not-the-secret/);
    } finally {
      process.env.AWS_SECRET_ACCESS_KEY = saved;
      await srv.cleanup();
    }
  });
});
