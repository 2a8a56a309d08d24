// Issue 14, the store's part: what a damaged disk, a hostile read and a few
// heavy pushes must not do to the server. Real server, real data directory:
// bytes are flipped, files truncated and removed between restarts.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { Andante, metricSum } from './harness.mjs';

const newTraceId = () => crypto.randomBytes(16).toString('hex');
const newSpanId = () => crypto.randomBytes(8).toString('hex');

// An OTLP/JSON request body: one resource, `traces` traces of `spans` spans
// each, starting at `startMs` (ms since the epoch). Returns {body, ids}.
function otlpJson({ traces = 1, spans = 2, startMs = Date.now() - 2000, service = 'hardening', attrBytes = 0 } = {}) {
  const ids = [];
  const out = [];
  for (let t = 0; t < traces; t++) {
    const traceId = newTraceId();
    ids.push(traceId);
    for (let s = 0; s < spans; s++) {
      const start = BigInt(startMs) * 1000000n + BigInt(s * 1000);
      const span = {
        traceId, spanId: newSpanId(), name: `op${s}`, kind: 2,
        startTimeUnixNano: start.toString(), endTimeUnixNano: (start + 1000000n).toString(),
      };
      if (attrBytes > 0) span.attributes = [{ key: 'payload', value: { stringValue: 'x'.repeat(attrBytes) } }];
      out.push(span);
    }
  }
  const body = JSON.stringify({
    resourceSpans: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
      scopeSpans: [{ scope: { name: 'hardening' }, spans: out }],
    }],
  });
  return { body, ids };
}

async function push(srv, body, headers = {}) {
  const res = await fetch(srv.otlpHttpUrl, {
    method: 'POST', body, headers: { 'content-type': 'application/json', ...headers },
    signal: AbortSignal.timeout(60000),
  });
  const text = await res.text();
  return { status: res.status, text };
}

async function pushOk(srv, body, headers = {}) {
  const res = await push(srv, body, headers);
  assert.equal(res.status, 200, `push: ${res.status} ${res.text}`);
}

// Spans the v2 API returns for `traceId` (0 when not found).
async function spanCount(srv, traceId, headers = {}, query = '') {
  const res = await srv.get(`/api/v2/traces/${traceId}${query}`, headers);
  assert.equal(res.status, 200, `GET v2 ${traceId}${query}: ${res.status} ${res.text}`);
  const body = JSON.parse(res.text);
  let n = 0;
  for (const rs of body.trace?.resourceSpans ?? []) {
    for (const ss of rs.scopeSpans ?? []) n += (ss.spans ?? []).length;
  }
  return n;
}

// How many of `ids` are found with `spans` spans each; asserts none fails.
async function countFound(srv, ids, spans) {
  let found = 0;
  for (const id of ids) {
    const n = await spanCount(srv, id);
    if (n === spans) found++;
    else assert.equal(n, 0, `${id}: ${n} spans, expected ${spans} or none`);
  }
  return found;
}

async function assert404(srv, traceId) {
  const res = await srv.get(`/api/traces/${traceId}`);
  assert.equal(res.status, 404, `unknown trace: ${res.status} ${res.text}`);
}

function flipByte(file, offset) {
  const buf = fs.readFileSync(file);
  buf[offset] ^= 0x40;
  fs.writeFileSync(file, buf);
}

describe('a damaged block never takes other data down', () => {
  let srv;
  let a = [];  // traces in block A (the one damaged)
  let b = [];  // traces in block B (healthy)
  let blockA;
  let blockB;
  let bloomA;  // bloom-0 of block A before the first test damaged it
  const tenantDir = () => path.join(srv.blocksDir, 'single-tenant');
  const damaged = async () => metricSum(await srv.metrics(), 'andante_blocks_damaged_total');

  before(async () => {
    srv = await Andante.start({ traceIdlePeriod: '1h', maxBlockDuration: '1h' });
    const first = otlpJson({ traces: 200, spans: 2 });
    await pushOk(srv, first.body);
    a = first.ids;
    assert.equal((await srv.post('/flush?wait=true')).status, 204);
    [blockA] = srv.completeBlocks();
    const second = otlpJson({ traces: 200, spans: 2 });
    await pushOk(srv, second.body);
    b = second.ids;
    assert.equal((await srv.post('/flush?wait=true')).status, 204);
    blockB = srv.completeBlocks().find((id) => id !== blockA);
    assert.ok(blockA && blockB, 'two blocks');
    await srv.stop();
  });
  after(async () => { await srv?.cleanup(); });

  test('one flipped byte in bloom-0: every trace, live data and 404s still answer', async () => {
    bloomA = fs.readFileSync(path.join(tenantDir(), blockA, 'bloom-0'));
    flipByte(path.join(tenantDir(), blockA, 'bloom-0'), 20);
    await srv.start();
    const live = otlpJson({ traces: 10, spans: 3 });
    await pushOk(srv, live.body);
    assert.equal(await countFound(srv, a, 2), a.length, 'block A is read without its bloom');
    assert.equal(await countFound(srv, b, 2), b.length, 'block B');
    assert.equal(await countFound(srv, live.ids, 3), live.ids.length, 'live traces');
    for (let i = 0; i < 5; i++) await assert404(srv, newTraceId());
    assert.equal(await damaged(), 1);
    const log = fs.readFileSync(srv.logFile, 'utf8');
    assert.match(log, new RegExp(`damaged block.*${blockA}.*bloom-0`));
    await srv.stop();
  });

  test('a corrupt index costs only its own block', async () => {
    flipByte(path.join(tenantDir(), blockB, 'index'), 40);
    await srv.start();
    const live = otlpJson({ traces: 10, spans: 3 });
    await pushOk(srv, live.body);
    assert.equal(await countFound(srv, a, 2), a.length, 'block A');
    assert.equal(await countFound(srv, b, 2), 0, 'block B is skipped');
    assert.equal(await countFound(srv, live.ids, 3), live.ids.length, 'live traces');
    for (let i = 0; i < 5; i++) await assert404(srv, newTraceId());
    assert.equal(await damaged(), 2, 'A (bloom) and B (index)');
    const log = fs.readFileSync(srv.logFile, 'utf8');
    assert.match(log, new RegExp(`damaged block: skipping it.*${blockB}.*index`));
    await srv.stop();
  });

  test('a block without meta.json is recovered, not deleted', async () => {
    // Block A whole again but for its meta.json (the WAL was trimmed after
    // its flush: the block is the only copy).
    fs.writeFileSync(path.join(tenantDir(), blockA, 'bloom-0'), bloomA);
    fs.rmSync(path.join(tenantDir(), blockA, 'meta.json'));
    const earlier = new Set(srv.completeBlocks());  // B and the live traces' blocks
    await srv.start();
    // Rewritten as a new complete block; the old directory goes only then.
    const rebuilt = srv.completeBlocks().filter((id) => !earlier.has(id));
    assert.equal(rebuilt.length, 1, `blocks: ${srv.completeBlocks()}`);
    assert.notEqual(rebuilt[0], blockA);
    assert.ok(!fs.existsSync(path.join(tenantDir(), blockA)), 'the original is removed after the rebuild');
    const log = fs.readFileSync(srv.logFile, 'utf8');
    assert.match(log, new RegExp(`recovered block.*${blockA}`));
    blockA = rebuilt[0];
    assert.equal(await countFound(srv, a, 2), a.length, 'block A after recovery');
    // B's damage is counted when a lookup first reads its index.
    assert.equal(await countFound(srv, b, 2), 0, 'block B is still skipped');
    assert.equal(await damaged(), 1, 'B (index) only');
    await srv.stop();
  });

  test('a truncated data object fails fast and costs nothing else', async () => {
    const data = path.join(tenantDir(), blockA, 'data');
    fs.truncateSync(data, Math.floor(fs.statSync(data).size / 2));
    await srv.start();
    const live = otlpJson({ traces: 10, spans: 3 });
    await pushOk(srv, live.body);
    const t0 = Date.now();
    for (let round = 0; round < 5; round++) {
      const found = await countFound(srv, a, 2);
      assert.ok(found < a.length, `round ${round}: ${found} of ${a.length} found in a half-truncated block`);
    }
    const ms = Date.now() - t0;
    assert.ok(ms < 20000, `1000 lookups against a truncated block took ${ms} ms`);
    assert.equal(await countFound(srv, live.ids, 3), live.ids.length, 'live traces');
    for (let i = 0; i < 5; i++) await assert404(srv, newTraceId());
    assert.ok(await damaged() >= 1);
    // The server is idle afterwards, not spinning on the damaged block.
    const pid = srv.child.pid;
    const cpu = () => fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ').slice(11, 13).map(Number).reduce((x, y) => x + y);
    const c0 = cpu();
    await new Promise((r) => setTimeout(r, 1000));
    assert.ok(cpu() - c0 < 30, `idle server used ${cpu() - c0} ticks in 1 s`);
  });
});

describe('repeated tenants in a read are read once', () => {
  let srv;
  before(async () => { srv = await Andante.start({ extraYaml: 'multitenancy_enabled: true\n' }); });
  after(async () => { await srv?.cleanup(); });

  test('a|a|…|a answers the trace once; a|b merges; too many tenants is 400', async () => {
    const inA = otlpJson({ traces: 1, spans: 4 });
    await pushOk(srv, inA.body, { 'X-Scope-OrgID': 'a' });
    const inB = otlpJson({ traces: 1, spans: 2 });
    // The same trace ID in tenant b, other spans.
    const bodyB = inB.body.replaceAll(inB.ids[0], inA.ids[0]);
    await pushOk(srv, bodyB, { 'X-Scope-OrgID': 'b' });
    const id = inA.ids[0];
    assert.equal(await spanCount(srv, id, { 'X-Scope-OrgID': 'a' }), 4);
    const repeated = Array(200).fill('a').join('|');
    assert.equal(await spanCount(srv, id, { 'X-Scope-OrgID': repeated }), 4, '200 repeats of a');
    assert.equal(await spanCount(srv, id, { 'X-Scope-OrgID': 'b|a|b|a' }), 6, 'a and b, each once');
    const many = Array.from({ length: 101 }, (_, i) => `t${i}`).join('|');
    const res = await srv.get(`/api/traces/${id}`, { 'X-Scope-OrgID': many });
    assert.equal(res.status, 400);
    assert.match(res.text, /too many tenants/);
  });

  test('error bodies name the problem, not the server\'s paths', async () => {
    // A file where tenant "blocked"'s WAL directory must go.
    fs.mkdirSync(srv.walDir, { recursive: true });
    fs.writeFileSync(path.join(srv.walDir, 'blocked'), 'x');
    const { body } = otlpJson();
    const res = await push(srv, body, { 'X-Scope-OrgID': 'blocked' });
    assert.notEqual(res.status, 200);
    assert.ok(res.text.length > 0, 'the error names something');
    assert.ok(!res.text.includes(srv.dir), `body leaks a server path: ${res.text}`);
  });
});

describe('start/end and heavy pushes', () => {
  let srv;
  before(async () => {
    // Six 12 MB pushes at once are far past Tempo's default ingestion rate
    // (15 MB/s, burst 20 MB), which the server enforces (issue 12): lift it.
    srv = await Andante.start({
      traceIdlePeriod: '1h', maxRequestBodySize: 20 << 20,
      extraYaml: 'overrides:\n  defaults:\n    ingestion: {rate_limit_bytes: 1000000000, burst_size_bytes: 1000000000}\n',
    });
  });
  after(async () => { await srv?.cleanup(); });

  test('start/end also filter live and WAL data', async () => {
    const t = otlpJson({ traces: 1, spans: 2 });
    await pushOk(srv, t.body);
    const id = t.ids[0];
    const now = Math.floor(Date.now() / 1000);
    assert.equal(await spanCount(srv, id, {}, `?start=${now - 600}&end=${now + 600}`), 2);
    assert.equal(await spanCount(srv, id, {}, `?start=${now - 7200}&end=${now - 3600}`), 0, 'range before the trace');
    assert.equal(await spanCount(srv, id, {}, `?start=${now + 3600}&end=${now + 7200}`), 0, 'range after the trace');
    await srv.restart();  // now only the WAL holds it
    assert.equal(await spanCount(srv, id, {}, `?start=${now - 7200}&end=${now - 3600}`), 0, 'WAL: range before');
    assert.equal(await spanCount(srv, id, {}, `?start=${now - 600}&end=${now + 600}`), 2, 'WAL: range around');
  });

  test('six concurrent 12 MB JSON pushes do not block other connections', async () => {
    // Encoded once, so the test's own event loop stays free to time echoes.
    const body = Buffer.from(otlpJson({ traces: 400, spans: 50, attrBytes: 400 }).body);
    assert.ok(body.length > 11 << 20 && body.length < 20 << 20, `body is ${body.length} bytes`);
    let done = 0;
    const pushes = Array.from({ length: 6 }, () => push(srv, body).then((r) => { done++; return r; }));
    // Let the bodies arrive and decoding start, then time /api/echo.
    await new Promise((r) => setTimeout(r, 300));
    const latencies = [];
    while (done < 6) {
      const t0 = performance.now();
      const res = await srv.get('/api/echo');
      latencies.push(performance.now() - t0);
      assert.equal(res.status, 200);
      await new Promise((r) => setTimeout(r, 20));
    }
    for (const r of await Promise.all(pushes)) assert.equal(r.status, 200, r.text);
    const worst = Math.max(...latencies);
    process.stderr.write(`/api/echo during six 12 MB pushes: ${latencies.length} calls, worst ${worst.toFixed(0)} ms\n`);
    assert.ok(latencies.length >= 3, `pushes finished too fast to measure (${latencies.length} echo calls)`);
    // Before the handler pool: 2.2-3.5 s on the 2-core test VM (both io
    // threads decoding); after: 0.16-0.35 s when the VM is quiet.
    assert.ok(worst < 1500, `/api/echo waited ${worst.toFixed(0)} ms behind the pushes`);
  });
});

// The crash matrix: the server is SIGKILLed at each step of a push, a block
// cut and a flush (ANDANTE_TEST_CRASH_POINT, a test hook: lib/util/crash_point.h),
// restarted, and every acknowledged span must be found exactly once.
describe('crash matrix: kill -9 at each step, every acknowledged span once', () => {
  const points = [
    // [point, how to reach it]
    ['push.before_wal_append@3', 'push'],
    ['push.after_wal_append@3', 'push'],
    ['cut.after_rotate', 'flush'],
    ['block.after_data', 'flush'],
    ['block.after_index', 'flush'],
    ['block.before_meta', 'flush'],
    ['block.after_meta', 'flush'],
    ['flush.after_marker', 'flush'],
    ['flush.after_wal_delete', 'flush'],
  ];

  // Spans of `traceId` and whether any span ID appears twice.
  async function spansOf(srv, traceId) {
    const res = await srv.get(`/api/v2/traces/${traceId}`);
    assert.equal(res.status, 200, `GET ${traceId}: ${res.status} ${res.text}`);
    const ids = [];
    for (const rs of JSON.parse(res.text).trace?.resourceSpans ?? []) {
      for (const ss of rs.scopeSpans ?? []) for (const s of ss.spans ?? []) ids.push(s.spanId);
    }
    return { n: ids.length, distinct: new Set(ids).size };
  }

  async function assertAckedOnce(srv, acked, what) {
    const bad = [];
    for (const id of acked) {
      const { n, distinct } = await spansOf(srv, id);
      if (n !== 3 || distinct !== 3) bad.push(`${id}: ${n} spans, ${distinct} distinct`);
    }
    assert.deepEqual(bad, [], `${what}: ${bad.length} of ${acked.length} acknowledged traces wrong`);
  }

  for (const [point, step] of points) {
    test(point, async () => {
      const srv = new Andante({ traceIdlePeriod: '1h', maxBlockDuration: '1h', flushCheckPeriod: '1h' });
      const acked = [];
      try {
        await srv.start({ crashPoint: point });
        let died = false;
        for (let i = 0; i < 4 && !died; i++) {
          const t = otlpJson({ traces: 5, spans: 3 });
          try {
            const res = await push(srv, t.body);
            if (res.status === 200) acked.push(...t.ids);
          } catch {
            died = true;  // the connection died with the server
          }
        }
        if (step === 'flush') {
          assert.equal(died, false, 'no crash point on the push path');
          await srv.post('/flush?wait=true').catch(() => {});
        }
        const exit = await srv.exit;
        assert.equal(exit.signal, 'SIGKILL', `the server died at ${point}`);
        await srv.start();
        await assertAckedOnce(srv, acked, 'after the crash');
        assert.equal((await srv.post('/flush?wait=true')).status, 204);
        await assertAckedOnce(srv, acked, 'after a flush');
        await srv.restart();
        await assertAckedOnce(srv, acked, 'after a clean restart');
        // Whatever a crash left is either whole or rebuilt from its data.
        const m = await srv.metrics();
        assert.equal(metricSum(m, 'andante_blocks_damaged_total'), 0);
      } finally {
        await srv.cleanup();
      }
    });
  }
});
