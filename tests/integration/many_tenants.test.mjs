// Many tenants must not exhaust the process (issue 14, item 1). Every tenant
// has its own WAL directory, but the server keeps a bounded number of WAL
// files open and a fixed pool of fsync threads. Under RLIMIT_NOFILE=256,
// a few thousand tenants push over OTLP/HTTP with X-Scope-OrgID: no push is
// refused, the server restarts after kill -9 (replaying every tenant's WAL)
// and every tenant reads its own trace back, with /proc/<pid>/fd and
// /proc/<pid>/task bounded throughout.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { Andante } from './harness.mjs';
import { countSpans } from './tempo_api.mjs';

const TENANTS = 2000;
const NOFILE = 256;
const CONCURRENCY = 16;
// Bounds that hold whatever the tenant count: the server's own descriptors
// (listeners, log, connections in flight) plus wal.max_open_files (64).
const MAX_FDS = 128;
const MAX_THREAD_GROWTH = 8;

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function request(url, { method = 'GET', headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const buf = body === undefined ? undefined : Buffer.from(body);
    const req = http.request(url, {
      method, agent,
      headers: buf ? { 'Content-Type': 'application/json', 'Content-Length': buf.length, ...headers } : headers,
    });
    req.on('response', (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(buf);
  });
}

// Runs fn(i) for i in [0, n) with `CONCURRENCY` calls in flight.
async function forEachParallel(n, fn) {
  let next = 0;
  const workers = Array.from({ length: CONCURRENCY }, async () => {
    while (next < n) await fn(next++);
  });
  await Promise.all(workers);
}

const tenantName = (i) => `t${i}-${i % 7 === 0 ? 'prod' : 'dev'}`;

function traceBody(traceId, spans) {
  const base = 1700000000000000000n;
  return JSON.stringify({
    resourceSpans: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'many' } }] },
      scopeSpans: [{
        spans: Array.from({ length: spans }, (_, s) => ({
          traceId,
          spanId: crypto.randomBytes(8).toString('hex'),
          name: `op${s}`,
          startTimeUnixNano: String(base + BigInt(s) * 1000n),
          endTimeUnixNano: String(base + BigInt(s) * 1000n + 500n),
        })),
      }],
    }],
  });
}

function countDir(dir) { return fs.readdirSync(dir).length; }

// Open descriptors of the server and how many of them are WAL files.
function fdUsage(srv) {
  const dir = `/proc/${srv.child.pid}/fd`;
  let total = 0;
  let wal = 0;
  for (const fd of fs.readdirSync(dir)) {
    total += 1;
    try {
      if (fs.readlinkSync(path.join(dir, fd)).startsWith(srv.walDir)) wal += 1;
    } catch { /* closed meanwhile */ }
  }
  return { total, wal };
}
const threads = (srv) => countDir(`/proc/${srv.child.pid}/task`);

describe(`${TENANTS} tenants under RLIMIT_NOFILE=${NOFILE}`, () => {
  let srv;
  const traces = [];  // {tenant, traceId, spans}
  let baseThreads;

  before(async () => {
    srv = await Andante.start({
      extraYaml: 'multitenancy_enabled: true\n',
      nofile: NOFILE,
      // Traces stay in the WAL (no block is cut) so the restart replays
      // every tenant's WAL.
      traceIdlePeriod: '10m',
      maxBlockDuration: '10m',
    });
    const limits = fs.readFileSync(`/proc/${srv.child.pid}/limits`, 'utf8');
    assert.match(limits, new RegExp(`Max open files\\s+${NOFILE}\\s+${NOFILE}`), 'prlimit applied');
    baseThreads = threads(srv);
  });
  after(async () => { agent.destroy(); await srv?.cleanup(); });

  function checkBounded(when) {
    const fds = fdUsage(srv);
    assert.ok(fds.total <= MAX_FDS, `${when}: ${fds.total} open fds (max ${MAX_FDS})`);
    // wal.max_open_files (64) cached, plus handles in use by calls in flight
    // and transient directory descriptors (listing, fsync).
    assert.ok(fds.wal <= 64 + CONCURRENCY, `${when}: ${fds.wal} WAL files open (max 64 + ${CONCURRENCY} in flight)`);
    const t = threads(srv);
    assert.ok(t <= baseThreads + MAX_THREAD_GROWTH, `${when}: ${t} threads (${baseThreads} at start)`);
  }

  async function readEveryTenant(when) {
    const failures = [];
    await forEachParallel(traces.length, async (i) => {
      const t = traces[i];
      const res = await request(`${srv.apiUrl}/api/v2/traces/${t.traceId}`, { headers: { 'X-Scope-OrgID': t.tenant } });
      if (res.status !== 200) {
        failures.push(`${t.tenant}: ${res.status} ${res.text.slice(0, 200)}`);
        return;
      }
      const spans = countSpans(JSON.parse(res.text).trace.resourceSpans);
      if (spans !== t.spans) failures.push(`${t.tenant}: ${spans} spans, pushed ${t.spans}`);
    });
    assert.deepEqual(failures.slice(0, 10), [], `${when}: ${failures.length} tenants did not read back`);
  }

  test('every tenant\'s push is accepted (no 429/5xx) with fds and threads bounded', async () => {
    const refused = [];
    await forEachParallel(TENANTS, async (i) => {
      const tenant = tenantName(i);
      const traceId = crypto.randomBytes(16).toString('hex');
      const spans = 1 + (i % 4);
      const res = await request(srv.otlpHttpUrl, {
        method: 'POST', headers: { 'X-Scope-OrgID': tenant }, body: traceBody(traceId, spans),
      });
      if (res.status !== 200) refused.push(`${tenant}: ${res.status} ${res.text.slice(0, 200)}`);
      else traces.push({ tenant, traceId, spans });
      if (i % 500 === 499) checkBounded(`after ${i + 1} tenants`);
    });
    assert.deepEqual(refused.slice(0, 10), [], `${refused.length} pushes refused`);
    assert.equal(traces.length, TENANTS);
    checkBounded('after every push');
    assert.equal(countDir(srv.walDir), TENANTS, 'one WAL directory per tenant that pushed');
  });

  test('every tenant reads its own trace back, and not another tenant\'s', async () => {
    await readEveryTenant('before restart');
    // Isolation: a sample of traces asked for under the neighbouring tenant.
    for (let i = 0; i < traces.length; i += 97) {
      const other = traces[(i + 1) % traces.length].tenant;
      const res = await request(`${srv.apiUrl}/api/v2/traces/${traces[i].traceId}`, { headers: { 'X-Scope-OrgID': other } });
      // 404, or (API v2) 200 with an empty trace.
      const spans = res.status === 200 ? countSpans(JSON.parse(res.text).trace.resourceSpans ?? []) : 0;
      assert.ok(res.status === 404 || (res.status === 200 && spans === 0),
        `${traces[i].tenant}'s trace must not be visible to ${other}: ${res.status} ${res.text.slice(0, 200)}`);
    }
    checkBounded('after reading every tenant');
  });

  test('after kill -9 the server starts under the same limit and every tenant reads back', async () => {
    await srv.kill();
    const t0 = Date.now();
    await srv.start({ readyTimeoutMs: 60000 });
    const startMs = Date.now() - t0;
    baseThreads = Math.min(baseThreads, threads(srv));
    checkBounded(`after restart (${startMs} ms)`);
    await readEveryTenant('after restart');
    checkBounded('after reading every tenant after restart');
  });

  test('a graceful restart flushes every tenant and keeps the bound', async () => {
    const flush = await request(`${srv.apiUrl}/flush?wait=true`, { method: 'POST' });
    assert.ok(flush.status === 200 || flush.status === 204, `flush: ${flush.status} ${flush.text}`);
    checkBounded('after flushing every tenant');
    await srv.restart({ readyTimeoutMs: 60000 });
    assert.equal(countDir(srv.walDir), 0, 'flushed tenants leave no WAL directory behind');
    checkBounded('after graceful restart');
    await readEveryTenant('from blocks after graceful restart');
  });
});
