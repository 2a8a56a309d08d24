// multitenancy_enabled: true — the X-Scope-OrgID header (gRPC metadata
// x-scope-orgid) scopes every write and read; tenants are isolated.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import grpc from '@grpc/grpc-js';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';

import { Andante, metricSum, waitFor } from './harness.mjs';
import {
  ExportResultCode, SpanKind, exportOk, exportSpans, hrTime, makeExporter, makeResource, newSpanId, newTraceId,
  readableSpan, simpleTrace,
} from './otlp.mjs';
import { countSpans } from './tempo_api.mjs';

function grpcExporter(srv, tenant, opts = {}) {
  const metadata = new grpc.Metadata();
  if (tenant !== undefined) metadata.set('x-scope-orgid', tenant);
  return new GrpcExporter({ url: srv.otlpGrpcUrl, metadata, ...opts });
}

function postJson(url, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const buf = Buffer.from(JSON.stringify(body));
    const req = http.request(url, { method: 'POST', headers: { 'Content-Type': 'application/json', 'Content-Length': buf.length, ...headers } });
    req.on('response', (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(buf);
  });
}

describe('multi-tenancy', () => {
  let srv;
  const a = { tenant: 'tenant-a', spans: null, traceId: null };
  const b = { tenant: "team_b.prod-(1)!*'", spans: null, traceId: null };  // every allowed punctuation

  before(async () => {
    srv = await Andante.start({ extraYaml: 'multitenancy_enabled: true\n', traceIdlePeriod: '5m' });
    a.spans = simpleTrace({ spans: 3, name: 'a' });
    a.traceId = a.spans[0].spanContext().traceId;
    const ea = makeExporter('http-proto', srv, { headers: { 'X-Scope-OrgID': a.tenant } });
    try { await exportOk(ea, a.spans, 'push as tenant-a'); } finally { await ea.shutdown(); }
    b.spans = simpleTrace({ spans: 2, name: 'b' });
    b.traceId = b.spans[0].spanContext().traceId;
    const eb = grpcExporter(srv, b.tenant);
    try { await exportOk(eb, b.spans, 'push as tenant b over gRPC'); } finally { await eb.shutdown(); }
  });
  after(async () => { await srv?.cleanup(); });

  const as = (tenant) => ({ 'X-Scope-OrgID': tenant });

  test('each tenant finds its own trace', async () => {
    for (const t of [a, b]) {
      const res = await srv.get(`/api/v2/traces/${t.traceId}`, as(t.tenant));
      assert.equal(res.status, 200, res.text);
      assert.equal(countSpans(JSON.parse(res.text).trace.resourceSpans), t.spans.length, `${t.tenant} finds its trace`);
    }
  });

  test('another tenant does not see it (v1 404, v2 empty)', async () => {
    let res = await srv.get(`/api/traces/${a.traceId}`, as(b.tenant));
    assert.equal(res.status, 404);
    res = await srv.get(`/api/v2/traces/${a.traceId}`, as(b.tenant));
    assert.equal(res.status, 200);
    assert.deepEqual(JSON.parse(res.text).trace, {});
    res = await srv.get(`/api/traces/${b.traceId}`, as('tenant-c'));
    assert.equal(res.status, 404);
  });

  test('"a|b" in X-Scope-OrgID queries both tenants', async () => {
    for (const t of [a, b]) {
      const res = await srv.get(`/api/v2/traces/${t.traceId}`, as(`${a.tenant}|${b.tenant}`));
      assert.equal(res.status, 200, res.text);
      assert.equal(countSpans(JSON.parse(res.text).trace.resourceSpans), t.spans.length);
    }
  });

  test('API without X-Scope-OrgID → 401 "no org id"', async () => {
    for (const p of [`/api/traces/${a.traceId}`, `/api/v2/traces/${a.traceId}`]) {
      const res = await srv.get(p);
      assert.equal(res.status, 401, `${p}: ${res.text}`);
      assert.equal(res.text.trim(), 'no org id');
    }
  });

  test('invalid tenant IDs → 400', async () => {
    for (const bad of ['..', '.', 'a/b', 'x'.repeat(151), 'ten ant']) {
      const res = await srv.get(`/api/v2/traces/${a.traceId}`, as(bad));
      assert.equal(res.status, 400, `tenant ${JSON.stringify(bad.slice(0, 20))}: ${res.status} ${res.text}`);
    }
  });

  test('OTLP HTTP push without X-Scope-OrgID → 503 "no org id" (retryable), nothing stored', async () => {
    const traceId = newTraceId();
    const res = await postJson(srv.otlpHttpUrl, {
      resourceSpans: [{ scopeSpans: [{ spans: [{ traceId, spanId: '0102030405060708', name: 'anon',
        startTimeUnixNano: '1700000000000000000', endTimeUnixNano: '1700000000100000000' }] }] }],
    });
    assert.equal(res.status, 503, res.text);
    assert.match(res.text, /no org id/);
    for (const t of [a.tenant, b.tenant, 'single-tenant']) {
      const r = await srv.get(`/api/traces/${traceId}`, as(t));
      assert.equal(r.status, 404, `not stored under ${t}`);
    }
  });

  test('OTLP gRPC push without x-scope-orgid fails with Unavailable', async () => {
    const e = grpcExporter(srv, undefined, { timeoutMillis: 1500 });
    try {
      const res = await exportSpans(e, simpleTrace({ spans: 1, name: 'anon-grpc' }));
      assert.equal(res.code, ExportResultCode.FAILED);
      assert.match(String(res.error?.message), /no org id/);
      if (res.error?.code !== undefined) assert.equal(res.error.code, 14, 'UNAVAILABLE');
    } finally {
      await e.shutdown();
    }
  });

  test('spans received are counted per tenant', async () => {
    const m = await srv.metrics();
    assert.equal(metricSum(m, 'tempo_distributor_spans_received_total', { tenant: a.tenant }), a.spans.length);
    assert.equal(metricSum(m, 'tempo_distributor_spans_received_total', { tenant: b.tenant }), b.spans.length);
  });

  test('/flush writes blocks under <blocks>/<tenant>/, and traces stay scoped', async () => {
    const res = await srv.post('/flush?wait=true');
    assert.equal(res.status, 204);
    await waitFor('blocks of both tenants', () => srv.completeBlocks(a.tenant).length > 0 && srv.completeBlocks(b.tenant).length > 0,
      { timeoutMs: 20000 });
    for (const t of [a, b]) {
      const mine = await srv.get(`/api/v2/traces/${t.traceId}`, as(t.tenant));
      assert.equal(countSpans(JSON.parse(mine.text).trace.resourceSpans), t.spans.length, `${t.tenant} after flush`);
      const other = await srv.get(`/api/traces/${t.traceId}`, as(t === a ? b.tenant : a.tenant));
      assert.equal(other.status, 404, `${t.tenant}'s trace invisible to the other tenant after flush`);
    }
  });
});

// Issue 12: tenant B can neither read, list, search nor tag-complete tenant
// A's data (live and after /flush), and no tenant ID escapes its directory.
describe('isolation', () => {
  let srv;
  const uniq = newTraceId().slice(0, 10);
  const mk = (tenant) => ({
    tenant,
    service: `iso-svc-${tenant}-${uniq}`,
    spanName: `iso-op-${tenant}-${uniq}`,
    key: `iso.key.${tenant}.${uniq}`,
    value: `iso-val-${tenant}-${uniq}`,
    spans: null,
    traceId: null,
  });
  const A = mk('iso-a');
  const B = mk('iso-b');
  const as = (tenant) => ({ 'X-Scope-OrgID': tenant });
  const q = (text) => encodeURIComponent(text);
  const searchId = (t) => t.traceId.replace(/^0+/, '');

  function traceOf(t) {
    const traceId = newTraceId();
    const resource = makeResource(t.service);
    return [readableSpan({
      traceId, spanId: newSpanId(), resource, name: t.spanName, kind: SpanKind.SERVER,
      start: hrTime(Date.now() - 2000), end: hrTime(Date.now() - 2000, 300000000),
      attributes: { [t.key]: t.value },
    })];
  }

  async function getJson(path, tenant) {
    const res = await srv.get(path, as(tenant));
    assert.equal(res.status, 200, `${path} as ${tenant}: ${res.status} ${res.text}`);
    return JSON.parse(res.text);
  }

  before(async () => {
    srv = await Andante.start({ extraYaml: 'multitenancy_enabled: true\n', traceIdlePeriod: '5m', maxBlockDuration: '10m' });
    for (const t of [A, B]) {
      t.spans = traceOf(t);
      t.traceId = t.spans[0].spanContext().traceId;
      const e = makeExporter('http-proto', srv, { headers: as(t.tenant) });
      try { await exportOk(e, t.spans, `push as ${t.tenant}`); } finally { await e.shutdown(); }
    }
  });
  after(async () => { await srv?.cleanup(); });

  // Every read path, as `reader`, must show nothing of `owner` (and `reader`
  // still sees its own data, so an empty answer is not just a broken API).
  async function assertIsolated(owner, reader, phase) {
    const what = `${reader.tenant} reading ${owner.tenant} (${phase})`;
    let res = await srv.get(`/api/traces/${owner.traceId}`, as(reader.tenant));
    assert.equal(res.status, 404, `${what}: v1 trace by ID ${res.text}`);
    res = await srv.get(`/api/v2/traces/${owner.traceId}`, as(reader.tenant));
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(JSON.parse(res.text).trace, {}, `${what}: v2 trace by ID`);
    const own = await getJson(`/api/v2/traces/${reader.traceId}`, reader.tenant);
    assert.equal(countSpans(own.trace.resourceSpans), reader.spans.length, `${what}: own trace`);

    for (const query of [`{ span.${owner.key} = "${owner.value}" }`, `{ resource.service.name = "${owner.service}" }`,
      `{ name = "${owner.spanName}" }`, '{ }', '']) {
      const body = await getJson(`/api/search?q=${q(query)}&limit=1000`, reader.tenant);
      const ids = body.traces.map((t) => t.traceID);
      assert.ok(!ids.includes(searchId(owner)), `${what}: search ${JSON.stringify(query)} returned ${ids}`);
    }
    const mine = await getJson(`/api/search?q=${q(`{ span.${reader.key} = "${reader.value}" }`)}`, reader.tenant);
    assert.deepEqual(mine.traces.map((t) => t.traceID), [searchId(reader)], `${what}: own search`);
    const all = await getJson('/api/search?limit=1000', reader.tenant);
    assert.deepEqual(all.traces.map((t) => t.traceID), [searchId(reader)], `${what}: empty query lists only own`);

    const v1tags = (await getJson('/api/search/tags', reader.tenant)).tagNames;
    assert.ok(!v1tags.includes(owner.key), `${what}: v1 tags ${v1tags}`);
    assert.ok(v1tags.includes(reader.key), `${what}: v1 tags has own key`);
    const v2tags = (await getJson('/api/v2/search/tags', reader.tenant)).scopes.flatMap((s) => s.tags);
    assert.ok(!v2tags.includes(owner.key), `${what}: v2 tags ${v2tags}`);
    assert.ok(v2tags.includes(reader.key), `${what}: v2 tags has own key`);

    for (const [key, v2key, ownerVal, readerVal] of [
      [owner.key, `span.${owner.key}`, owner.value, undefined],
      [reader.key, `span.${reader.key}`, owner.value, reader.value],
      ['service.name', 'resource.service.name', owner.service, reader.service],
    ]) {
      const v1 = (await getJson(`/api/search/tag/${q(key)}/values`, reader.tenant)).tagValues;
      assert.ok(!v1.includes(ownerVal), `${what}: v1 values of ${key}: ${v1}`);
      if (readerVal) assert.ok(v1.includes(readerVal), `${what}: v1 values of ${key} has own`);
      const v2 = (await getJson(`/api/v2/search/tag/${q(v2key)}/values`, reader.tenant)).tagValues.map((v) => v.value);
      assert.ok(!v2.includes(ownerVal), `${what}: v2 values of ${v2key}: ${v2}`);
      if (readerVal) assert.ok(v2.includes(readerVal), `${what}: v2 values of ${v2key} has own`);
      if (!readerVal) assert.deepEqual(v1, [], `${what}: ${key} is unknown to ${reader.tenant}`);
    }
  }

  async function assertMerged(phase) {
    const both = `${A.tenant}|${B.tenant}`;
    for (const t of [A, B]) {
      const tr = await getJson(`/api/v2/traces/${t.traceId}`, both);
      assert.equal(countSpans(tr.trace.resourceSpans), t.spans.length, `${both} reads ${t.tenant} (${phase})`);
    }
    const s = await getJson('/api/search?limit=1000', both);
    assert.deepEqual(s.traces.map((t) => t.traceID).sort(), [searchId(A), searchId(B)].sort(), `${both} search (${phase})`);
    const tags = (await getJson('/api/search/tags', both)).tagNames;
    for (const t of [A, B]) assert.ok(tags.includes(t.key), `${both} tags has ${t.key} (${phase})`);
    const svc = (await getJson('/api/search/tag/service.name/values', both)).tagValues;
    assert.deepEqual([...svc].sort(), [A.service, B.service].sort(), `${both} service.name values (${phase})`);
  }

  test('live data: B sees nothing of A and A nothing of B', async () => {
    await assertIsolated(A, B, 'live');
    await assertIsolated(B, A, 'live');
  });

  test('live data: "A|B" sees both', async () => { await assertMerged('live'); });

  test('after /flush (blocks): still isolated, "A|B" still sees both', async () => {
    const res = await srv.post('/flush?wait=true');
    assert.equal(res.status, 204, res.text);
    await waitFor('blocks of both tenants', () => srv.completeBlocks(A.tenant).length > 0 && srv.completeBlocks(B.tenant).length > 0,
      { timeoutMs: 20000 });
    await assertIsolated(A, B, 'blocks');
    await assertIsolated(B, A, 'blocks');
    await assertMerged('blocks');
  });

  const ESCAPING = ['..', '.', 'a/b', 'a\\b', '%2e%2e', 'x'.repeat(151), '../iso-a', 'iso-a/..'];

  test('tenant IDs that could escape a directory are refused on reads (400)', async () => {
    for (const bad of ESCAPING) {
      for (const p of [`/api/traces/${A.traceId}`, `/api/v2/traces/${A.traceId}`, '/api/search?q=%7B%20%7D',
        '/api/search/tags', '/api/search/tag/service.name/values']) {
        const res = await srv.get(p, as(bad));
        assert.equal(res.status, 400, `${p} as ${JSON.stringify(bad.slice(0, 20))}: ${res.status} ${res.text}`);
      }
      const pair = await srv.get(`/api/v2/traces/${A.traceId}`, as(`${A.tenant}|${bad}`));
      assert.equal(pair.status, 400, `"${A.tenant}|${bad.slice(0, 20)}": ${pair.status} ${pair.text}`);
    }
  });

  test('tenant IDs that could escape a directory are refused on an OTLP/HTTP push (400, INVALID_ARGUMENT)', async () => {
    // The OTLP/HTTP answer: 400 and a google.rpc.Status with code 3
    // (INVALID_ARGUMENT) naming the problem.
    const expected = {
      '..': "tenant ID is '.' or '..'",
      '.': "tenant ID is '.' or '..'",
      'a/b': "tenant ID 'a/b' contains unsupported character '/'",
      'a\\b': "tenant ID 'a\\\\b' contains unsupported character '\\'",
      '%2e%2e': "tenant ID '%2e%2e' contains unsupported character '%'",
      ['x'.repeat(151)]: 'tenant ID is too long: max 150 characters',
      '../iso-a': "tenant ID '../iso-a' contains unsupported character '/'",
      'iso-a/..': "tenant ID 'iso-a/..' contains unsupported character '/'",
    };
    assert.deepEqual(Object.keys(expected).sort(), [...ESCAPING].sort());
    for (const bad of ESCAPING) {
      const traceId = newTraceId();
      const res = await postJson(srv.otlpHttpUrl, {
        resourceSpans: [{ scopeSpans: [{ spans: [{ traceId, spanId: '0102030405060708', name: 'escape',
          startTimeUnixNano: '1700000000000000000', endTimeUnixNano: '1700000000100000000' }] }] }],
      }, as(bad));
      const what = `push as ${JSON.stringify(bad.slice(0, 20))}`;
      assert.equal(res.status, 400, `${what}: ${res.status} ${res.text}`);
      assert.deepEqual(JSON.parse(res.text), { code: 3, message: expected[bad] }, what);
    }
    assert.equal((await srv.get('/ready')).status, 200, 'server keeps serving');
  });

  test('nothing exists outside <blocks>/<tenant>/ and <wal>/<tenant>/ of the valid tenants', async () => {
    const valid = new Set([A.tenant, B.tenant]);
    const dataRoot = fs.realpathSync(srv.dir);
    for (const root of [srv.blocksDir, srv.walDir]) {
      for (const ent of fs.readdirSync(root, { withFileTypes: true })) {
        // The local backend stages objects in <blocks>/~andante-tmp and
        // renames them into place: nothing may stay there.
        if (root === srv.blocksDir && ent.name === '~andante-tmp') {
          assert.deepEqual(fs.readdirSync(path.join(root, ent.name)), [], 'staging dir is empty');
          continue;
        }
        // The root tenant list (docs/tenant-index.md), beside the tenants.
        if (root === srv.blocksDir && ent.name === '~tenants.json.zst' && ent.isFile()) continue;
        assert.ok(valid.has(ent.name) && ent.isDirectory(), `${root}/${ent.name} is not a valid tenant's directory`);
      }
    }
    // The temp dir holds only the config, the log and the two data roots.
    const top = fs.readdirSync(srv.dir).sort();
    assert.deepEqual(top, ['blocks', 'server.log', 'tempo.yaml', 'wal'], `temp dir: ${top}`);
    // No file anywhere was written through a symlink or '..' out of the root.
    const walk = (d) => {
      for (const ent of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, ent.name);
        assert.ok(!ent.isSymbolicLink(), `${p} is a symlink`);
        assert.ok(fs.realpathSync(p).startsWith(dataRoot + path.sep), `${p} resolves outside ${dataRoot}`);
        if (ent.isDirectory()) walk(p);
      }
    };
    walk(srv.dir);
    // Beside the temp dir, and at the filesystem root (where '../iso-a' from
    // <data>/ would land), nothing is named like a refused or valid tenant.
    const names = new Set([...ESCAPING.filter((t) => !t.includes('/') && t !== '.' && t !== '..'), A.tenant, B.tenant]);
    for (const dir of [path.dirname(srv.dir), '/']) {
      const hits = fs.readdirSync(dir).filter((n) => names.has(n));
      assert.deepEqual(hits, [], `entries in ${dir}`);
    }
  });
});
