// TraceQL search and the tags API over the real server: spans pushed with
// the OpenTelemetry JS exporters are found through /api/search within a
// second of the push being acknowledged, again after POST /flush (from a
// complete block), the tags and tag values endpoints list them, bad TraceQL
// is a 400 with the parser's message, and multi-tenant reads merge.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { Andante, metricSum, parsePrometheusText } from './harness.mjs';
import { EXPORTERS, exportOk, makeExporter, makeResource, newTraceId, simpleTrace } from './otlp.mjs';

const q = (text) => encodeURIComponent(text);

async function search(srv, query, extra = '', headers = {}) {
  const res = await srv.get(`/api/search?q=${q(query)}${extra}`, headers);
  assert.equal(res.status, 200, res.text);
  assert.equal(res.contentType, 'application/json');
  return JSON.parse(res.text);
}

const traceIdOf = (spans) => spans[0].spanContext().traceId.replace(/^0+/, '');

describe('search', () => {
  let srv;
  const service = `search-svc-${newTraceId().slice(0, 8)}`;
  const pushed = [];  // trace IDs (search form), one per exporter

  before(async () => {
    // Long idle period: traces stay live until the explicit flush.
    srv = await Andante.start({ traceIdlePeriod: '5m', maxBlockDuration: '10m' });
  });
  after(async () => { await srv?.cleanup(); });

  test('pushed spans are searchable within a second of the ack', async () => {
    for (const kind of EXPORTERS) {
      const spans = simpleTrace({ spans: 3, name: `checkout-${kind}`, resource: makeResource(service, { 'deployment.environment': 'it' }) });
      const exporter = makeExporter(kind, srv);
      try { await exportOk(exporter, spans, `push over ${kind}`); } finally { await exporter.shutdown(); }
      const acked = Date.now();
      const id = traceIdOf(spans);
      pushed.push(id);
      let found;
      while (Date.now() - acked < 1000) {
        const body = await search(srv, `{ resource.service.name = "${service}" && name = "checkout-${kind}-1" }`);
        found = body.traces.find((t) => t.traceID === id);
        if (found) break;
      }
      assert.ok(found, `trace pushed over ${kind} found within 1 s`);
      assert.equal(found.rootServiceName, service);
      assert.equal(found.rootTraceName, `checkout-${kind}-0`);
      assert.equal(found.spanSets[0].matched, 1);
      assert.equal(found.spanSets[0].spans[0].name, `checkout-${kind}-1`);
      assert.deepEqual(found.spanSet, found.spanSets[0]);
      assert.equal(found.serviceStats[service].spanCount, 3);
    }
  });

  test('limit is honoured and results are newest first', async () => {
    const body = await search(srv, `{ resource.service.name = "${service}" }`, '&limit=2');
    assert.equal(body.traces.length, 2);
    assert.ok(BigInt(body.traces[0].startTimeUnixNano) >= BigInt(body.traces[1].startTimeUnixNano));
    assert.ok(Number(body.metrics.inspectedSpans) >= 6, JSON.stringify(body.metrics));
  });

  test('found again after POST /flush, from a complete block', async () => {
    const flushed = await srv.post('/flush?wait=true');
    assert.equal(flushed.status, 204, flushed.text);
    const body = await search(srv, `{ resource.service.name = "${service}" }`, '&limit=100');
    assert.deepEqual(body.traces.map((t) => t.traceID).sort(), [...pushed].sort());
    assert.ok(body.metrics.totalBlocks >= 1, JSON.stringify(body.metrics));
    const ranged = await search(srv, `{ resource.service.name = "${service}" }`,
      `&start=${Math.floor(Date.now() / 1000) - 600}&end=${Math.floor(Date.now() / 1000) + 60}`);
    assert.equal(ranged.traces.length, pushed.length);
  });

  test('a value absent from every block skips them unread, counted in /metrics', async () => {
    const scrape = async () => parsePrometheusText((await srv.get('/metrics')).text);
    const before = await scrape();
    const skippedBefore = metricSum(before, 'andante_search_blocks_skipped_total') ?? 0;
    const absent = `{ span.user.id = "absent-${newTraceId()}" }`;
    await search(srv, absent);  // loads any index not cached yet
    const body = await search(srv, absent);
    assert.equal(body.traces.length, 0);
    const blocks = Number(body.metrics.totalBlocks);
    assert.ok(blocks >= 1, JSON.stringify(body.metrics));
    // Every block ruled out by its cached index (blooms, key statistics):
    // not a byte read, and each counted as skipped, twice.
    assert.equal(Number(body.metrics.inspectedBytes ?? 0), 0, JSON.stringify(body.metrics));
    const skippedAfter = metricSum(await scrape(), 'andante_search_blocks_skipped_total');
    assert.equal(skippedAfter - skippedBefore, 2 * blocks);
  });

  test('protobuf on Accept: application/protobuf', async () => {
    const res = await srv.get(`/api/search?q=${q('{ }')}&limit=1`, { Accept: 'application/protobuf' });
    assert.equal(res.status, 200);
    assert.equal(res.contentType, 'application/protobuf');
    assert.ok(res.body.length > 0);
  });

  test('tags and tag values list the pushed data', async () => {
    const v1 = await srv.get('/api/search/tags');
    assert.equal(v1.status, 200, v1.text);
    const names = JSON.parse(v1.text).tagNames;
    for (const n of ['service.name', 'deployment.environment', 'http.method']) assert.ok(names.includes(n), `${n} in ${names}`);

    const v2 = JSON.parse((await srv.get('/api/v2/search/tags?scope=resource')).text);
    assert.equal(v2.scopes[0].name, 'resource');
    assert.ok(v2.scopes[0].tags.includes('service.name'));

    const values = JSON.parse((await srv.get('/api/search/tag/service.name/values')).text);
    assert.ok(values.tagValues.includes(service), JSON.stringify(values));

    const typed = JSON.parse((await srv.get(`/api/v2/search/tag/resource.service.name/values?q=${q('{ }')}`)).text);
    assert.ok(typed.tagValues.some((v) => v.type === 'string' && v.value === service), JSON.stringify(typed));
  });

  test('bad TraceQL is a 400 with the parser message', async () => {
    const res = await srv.get(`/api/search?q=${q('{ .a = }')}`);
    assert.equal(res.status, 400);
    assert.match(res.text, /^invalid TraceQL query: parse error at line 1, col \d+/);
    const ok = await srv.get('/ready');
    assert.equal(ok.status, 200, 'server keeps serving');
  });
});

describe('multi-tenant search', () => {
  let srv;
  before(async () => {
    srv = await Andante.start({ extraYaml: 'multitenancy_enabled: true\n', traceIdlePeriod: '5m' });
  });
  after(async () => { await srv?.cleanup(); });

  test('X-Scope-OrgID a|b merges both tenants', async () => {
    const ids = {};
    for (const tenant of ['ta', 'tb']) {
      const spans = simpleTrace({ spans: 2, name: `mt-${tenant}` });
      const exporter = makeExporter('http-proto', srv, { headers: { 'X-Scope-OrgID': tenant } });
      try { await exportOk(exporter, spans); } finally { await exporter.shutdown(); }
      ids[tenant] = traceIdOf(spans);
    }
    const a = await search(srv, '{ }', '', { 'X-Scope-OrgID': 'ta' });
    assert.deepEqual(a.traces.map((t) => t.traceID), [ids.ta]);
    const both = await search(srv, '{ }', '', { 'X-Scope-OrgID': 'ta|tb' });
    assert.deepEqual(both.traces.map((t) => t.traceID).sort(), [ids.ta, ids.tb].sort());
    const none = await srv.get(`/api/search?q=${q('{ }')}`);
    assert.equal(none.status, 401);
  });
});
