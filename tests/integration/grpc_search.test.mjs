// Tempo's gRPC query API (tempopb.StreamingQuerier) over the real server,
// as Grafana's Tempo data source uses it with streaming on: @grpc/grpc-js
// with the project's tempo.proto, on server.grpc_listen_port and on the
// HTTP port (stream_over_http_enabled: cleartext HTTP/2 next to HTTP/1.1).
//
// The expectations are computed here from the spans this file generates
// (which traces match, newest first, the attribute values), never asked of
// the server.
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';

import { Andante } from './harness.mjs';
import {
  SpanKind, SpanStatusCode, exportOk, hrTime, makeExporter, makeResource, newSpanId, newTraceId, readableSpan,
} from './otlp.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const PROTO_DIR = path.join(here, '..', '..', 'lib', 'proto');

const packageDef = protoLoader.loadSync('tempopb/streaming_querier.proto', {
  includeDirs: [PROTO_DIR], keepCase: true, longs: String, defaults: true,
});
const { StreamingQuerier } = grpc.loadPackageDefinition(packageDef).tempopb;

const TENANT = 'grpc-it';
const GROUPS = ['g0', 'g1', 'g2'];

// Generated traces: trace i has 1 + (i % 3) spans; span j carries
// grp = GROUPS[(i + j) % 3] and n = i * 10 + j; every fifth trace's last span
// is an error. Starts are one second apart, trace 0 the oldest.
function generate(count, service, firstIndex, baseMs) {
  const traces = [];
  const resource = makeResource(service, { 'deployment.environment': 'grpc-it' });
  for (let i = firstIndex; i < firstIndex + count; i++) {
    const traceId = newTraceId();
    const n = 1 + (i % 3);
    const spans = [];
    let parent;
    for (let j = 0; j < n; j++) {
      const spanId = newSpanId();
      const error = i % 5 === 0 && j === n - 1;
      spans.push({
        traceId, spanId, parentSpanId: parent, resource,
        name: `op-${j}`,
        kind: j === 0 ? SpanKind.SERVER : SpanKind.INTERNAL,
        start: hrTime(baseMs + i * 1000, j * 1000),
        end: hrTime(baseMs + i * 1000, 200000000 - j * 1000),
        status: { code: error ? SpanStatusCode.ERROR : SpanStatusCode.UNSET },
        attributes: { grp: GROUPS[(i + j) % 3], n: i * 10 + j },
      });
      parent = spanId;
    }
    traces.push({
      id: traceId.replace(/^0+/, ''),
      startNs: BigInt(baseMs + i * 1000) * 1000000n,
      spans,
    });
  }
  return traces;
}

// Matching traces for a span predicate, newest first, at most `limit`.
function expected(traces, pred, limit = Infinity) {
  return traces.filter((t) => t.spans.some(pred))
    .sort((a, b) => (a.startNs === b.startNs ? 0 : a.startNs > b.startNs ? -1 : 1))
    .slice(0, limit)
    .map((t) => t.id);
}

function metadata(tenant = TENANT) {
  const md = new grpc.Metadata();
  md.set('x-scope-orgid', tenant);
  return md;
}

// All messages of a server stream, or the gRPC error.
function collect(call) {
  return new Promise((resolve, reject) => {
    const messages = [];
    call.on('data', (m) => messages.push(m));
    call.on('error', reject);
    call.on('end', () => resolve(messages));
  });
}

const deadline = () => new Date(Date.now() + 15000);

function search(client, request, md = metadata()) {
  return collect(client.Search(request, md, { deadline: deadline() }));
}

async function one(client, method, request, md = metadata()) {
  const messages = await collect(client[method](request, md, { deadline: deadline() }));
  assert.equal(messages.length, 1, `${method}: one message`);
  return messages[0];
}

describe('gRPC StreamingQuerier', () => {
  let srv;
  const service = `grpc-svc-${newTraceId().slice(0, 8)}`;
  const baseMs = Date.now() - 600000;
  let all = [];
  const clients = {};

  before(async () => {
    srv = await Andante.start({
      traceIdlePeriod: '5m',
      maxBlockDuration: '10m',
      extraYaml: 'multitenancy_enabled: true\nstream_over_http_enabled: true\n',
    });
    // The older half goes into a complete block, the newer half stays live.
    const older = generate(12, service, 0, baseMs);
    const newer = generate(12, service, 12, baseMs);
    const exporter = makeExporter('http-proto', srv, { headers: { 'X-Scope-OrgID': TENANT } });
    try {
      await exportOk(exporter, older.flatMap((t) => t.spans.map(readableSpan)), 'push older');
      const flushed = await srv.post('/flush?wait=true', undefined, { 'X-Scope-OrgID': TENANT });
      assert.equal(flushed.status, 204, flushed.text);
      await exportOk(exporter, newer.flatMap((t) => t.spans.map(readableSpan)), 'push newer');
    } finally {
      await exporter.shutdown();
    }
    all = [...older, ...newer];
    clients.grpc = new StreamingQuerier(`127.0.0.1:${srv.grpcPort}`, grpc.credentials.createInsecure());
    clients.http = new StreamingQuerier(`127.0.0.1:${srv.httpPort}`, grpc.credentials.createInsecure());
  });
  after(async () => {
    for (const c of Object.values(clients)) c.close();
    await srv?.cleanup();
  });

  for (const port of ['grpc', 'http']) {
    describe(`on the ${port === 'grpc' ? 'gRPC port' : 'HTTP port (h2c)'}`, () => {
      test('Search streams partial results; the last message is the complete answer', async () => {
        const query = `{ resource.service.name = "${service}" && span.grp = "g1" }`;
        const want = expected(all, (s) => s.attributes.grp === 'g1');
        assert.ok(want.length > 12, 'the query matches live and block traces');
        const messages = await search(clients[port], { Query: query, Limit: 100, SpansPerSpanSet: 5 });
        assert.ok(messages.length >= 2, `progressive: ${messages.length} messages`);
        const last = messages[messages.length - 1];
        assert.deepEqual(last.traces.map((t) => t.traceID), want, 'final: every match, newest first');
        assert.equal(last.metrics.completedJobs, last.metrics.totalJobs);
        assert.ok(Number(last.metrics.totalBlocks) >= 1, JSON.stringify(last.metrics));
        assert.ok(Number(last.metrics.inspectedSpans) >= all.reduce((n, t) => n + t.spans.length, 0) / 2);
        for (const m of messages.slice(0, -1)) {
          assert.ok(m.metrics, 'each partial message carries metrics');
          assert.ok(m.metrics.completedJobs < m.metrics.totalJobs, JSON.stringify(m.metrics));
          for (const t of m.traces) assert.ok(want.includes(t.traceID), `partial trace ${t.traceID} matches`);
        }
        const streamed = messages.slice(0, -1).flatMap((m) => m.traces.map((t) => t.traceID));
        assert.deepEqual(streamed.sort(), [...want].sort(), 'partials deliver every match once');

        // Span sets: the matched spans of each trace, from the generated data.
        for (const t of last.traces) {
          const source = all.find((x) => x.id === t.traceID);
          const matching = source.spans.filter((s) => s.attributes.grp === 'g1');
          assert.equal(t.spanSet.matched, matching.length);
          assert.deepEqual(t.spanSet.spans.map((s) => s.spanID).sort(), matching.map((s) => s.spanId).sort());
          assert.equal(t.rootServiceName, service);
          assert.equal(t.rootTraceName, 'op-0');
          assert.equal(t.startTimeUnixNano, source.startNs.toString());
        }
      });

      test('Search honours Limit exactly and defaults to 20', async () => {
        const want = expected(all, () => true, 5);
        let messages = await search(clients[port], { Query: `{ resource.service.name = "${service}" }`, Limit: 5 });
        assert.deepEqual(messages[messages.length - 1].traces.map((t) => t.traceID), want);
        messages = await search(clients[port], { Query: `{ resource.service.name = "${service}" }` });
        assert.deepEqual(messages[messages.length - 1].traces.map((t) => t.traceID), expected(all, () => true, 20));
      });

      test('Search with an int range and status', async () => {
        const want = expected(all, (s) => s.attributes.n >= 100 && s.attributes.n < 200 && s.status.code === SpanStatusCode.ERROR);
        assert.ok(want.length > 0);
        const messages = await search(clients[port],
          { Query: `{ resource.service.name = "${service}" && span.n >= 100 && span.n < 200 && status = error }`, Limit: 50 });
        assert.deepEqual(messages[messages.length - 1].traces.map((t) => t.traceID), want);
      });

      test('Search with the pre-TraceQL tags map and durations', async () => {
        const want = expected(all, (s) => s.attributes.grp === 'g2');
        const messages = await search(clients[port],
          { Tags: { 'service.name': service, grp: 'g2' }, MinDurationMs: 100, MaxDurationMs: 1000, Limit: 100 });
        assert.deepEqual(messages[messages.length - 1].traces.map((t) => t.traceID), want);
      });

      test('SearchTags, SearchTagsV2, SearchTagValues, SearchTagValuesV2', async () => {
        const v1 = await one(clients[port], 'SearchTags', {});
        for (const n of ['grp', 'n', 'service.name', 'deployment.environment']) assert.ok(v1.tagNames.includes(n), `${n} in ${v1.tagNames}`);

        const v2 = await one(clients[port], 'SearchTagsV2', { scope: 'span' });
        assert.deepEqual(v2.scopes.map((s) => s.name), ['span']);
        assert.deepEqual([...v2.scopes[0].tags].sort(), ['grp', 'n']);

        const values = await one(clients[port], 'SearchTagValues', { tagName: 'grp' });
        assert.deepEqual([...values.tagValues].sort(), GROUPS);

        const typed = await one(clients[port], 'SearchTagValuesV2',
          { tagName: 'span.n', query: `{ span.grp = "g0" && resource.service.name = "${service}" }` });
        const wantN = [...new Set(all.flatMap((t) => t.spans).filter((s) => s.attributes.grp === 'g0').map((s) => String(s.attributes.n)))].sort();
        assert.ok(typed.tagValues.every((v) => v.type === 'int'), JSON.stringify(typed.tagValues));
        assert.deepEqual(typed.tagValues.map((v) => v.value).sort(), wantN);
      });

      test('bad TraceQL is INVALID_ARGUMENT with the parser message; no org id is refused', async () => {
        await assert.rejects(search(clients[port], { Query: '{ .a = }' }), (err) => {
          assert.equal(err.code, grpc.status.INVALID_ARGUMENT);
          assert.match(err.details, /^invalid TraceQL query: parse error at line 1, col \d+/);
          return true;
        });
        await assert.rejects(search(clients[port], { Query: '{ }' }, new grpc.Metadata()), (err) => {
          assert.equal(err.code, grpc.status.UNAUTHENTICATED);
          assert.match(err.details, /no org id/);
          return true;
        });
        const other = await search(clients[port], { Query: `{ resource.service.name = "${service}" }` }, metadata('nobody'));
        assert.deepEqual(other[other.length - 1].traces, [], 'another tenant sees nothing');
        const merged = await search(clients[port], { Query: `{ resource.service.name = "${service}" }`, Limit: 3 }, metadata(`nobody|${TENANT}`));
        assert.deepEqual(merged[merged.length - 1].traces.map((t) => t.traceID), expected(all, () => true, 3));
      });
    });
  }

  // Writes `parts` to the HTTP port with pauses between them and returns
  // what the server answered before closing (or after 3 s).
  function rawExchange(parts) {
    return new Promise((resolve, reject) => {
      const sock = net.connect({ port: srv.httpPort, host: '127.0.0.1' });
      let got = '';
      sock.on('data', (d) => { got += d.toString('latin1'); });
      sock.on('error', reject);
      sock.on('close', () => resolve(got));
      sock.setTimeout(3000, () => sock.destroy());
      sock.on('connect', async () => {
        for (const p of parts) {
          sock.write(p);
          await sleep(60);
        }
      });
    });
  }

  test('the HTTP port tells HTTP/1.1 from HTTP/2 when the first bytes arrive in pieces', async () => {
    // "P" could begin the HTTP/2 preface ("PRI ...") or PUT/POST.
    const http1 = await rawExchange(['P', 'UT /api/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n']);
    assert.match(http1, /^HTTP\/1\.1 \d{3} /);
    // A preface split in two reaches the gRPC server, which answers with
    // HTTP/2 frames (its SETTINGS frame: type 4) and not with HTTP/1.1.
    const h2 = await rawExchange(['PRI * HTTP/2.0\r\n', '\r\nSM\r\n\r\n']);
    assert.ok(h2.length >= 9, `HTTP/2 frames expected, got ${JSON.stringify(h2)}`);
    assert.equal(h2.charCodeAt(3), 4, 'first frame is SETTINGS');
    assert.doesNotMatch(h2, /^HTTP\/1/);
    // Garbage after the preface: the connection is dropped, the server serves on.
    await rawExchange(['PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', Buffer.alloc(64, 0xff)]);
    assert.equal((await srv.get('/ready')).status, 200);
  });

  test('HTTP/1.1 keeps working on the HTTP port next to h2c', async () => {
    const res = await srv.get(`/api/search?q=${encodeURIComponent(`{ resource.service.name = "${service}" }`)}&limit=2`,
      { 'X-Scope-OrgID': TENANT });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(JSON.parse(res.text).traces.map((t) => t.traceID), expected(all, () => true, 2));
  });
});
