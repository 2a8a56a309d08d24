// The per-tenant overrides file (issue 12): loaded at start, reloaded every
// per_tenant_override_period without a restart (both of Tempo's forms, the
// "*" wildcard, entries merged onto the main file's defaults), and a broken
// file keeps the last good limits, says why in the log and turns
// andante_overrides_last_reload_successful to 0 until it is fixed.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { Andante, metricSum, waitFor } from './harness.mjs';
import { encodeProto } from './otlp.mjs';

// ExportTraceServiceRequest is wire-identical to TracesData.
function oneSpanTrace() {
  const nowNs = BigInt(Date.now()) * 1000000n;
  return encodeProto('opentelemetry.proto.trace.v1.TracesData', {
    resourceSpans: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'ov' } }] },
      scopeSpans: [{ spans: [{
        traceId: crypto.randomBytes(16), spanId: crypto.randomBytes(8), name: 'op', kind: 2,
        startTimeUnixNano: String(nowNs - 1000n), endTimeUnixNano: String(nowNs),
      }] }],
    }],
  });
}

async function push(srv, tenant) {
  const res = await fetch(srv.otlpHttpUrl, {
    method: 'POST', body: oneSpanTrace(),
    headers: { 'Content-Type': 'application/x-protobuf', 'X-Scope-OrgID': tenant },
  });
  await res.arrayBuffer();
  return res.status;
}

const PERIOD_S = 1;

describe('per-tenant overrides file', () => {
  let srv;
  let dir;
  let file;
  const limitsOf = async (tenant) => {
    const res = await srv.get('/api/overrides', { 'X-Scope-OrgID': tenant });
    assert.equal(res.status, 200, res.text);
    return JSON.parse(res.text).limits;
  };
  const reloadOk = async () => metricSum(await srv.metrics(), 'andante_overrides_last_reload_successful');
  // Writes the file atomically (rename), as config management tools do.
  const write = (text) => {
    fs.writeFileSync(`${file}.tmp`, text);
    fs.renameSync(`${file}.tmp`, file);
  };

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'andante-overrides-'));
    file = path.join(dir, 'overrides.yaml');
    write(`overrides:
  "t":
    ingestion: {max_traces_per_user: 2}
`);
    // The main file's section in the legacy flat form.
    srv = await Andante.start({
      traceIdlePeriod: '5m',
      extraYaml: `multitenancy_enabled: true
overrides:
  ingestion_burst_size_bytes: 30000000
  max_traces_per_user: 50
  per_tenant_override_config: ${file}
  per_tenant_override_period: ${PERIOD_S}s
`,
    });
  });
  after(async () => {
    await srv?.cleanup();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('limits at start: the tenant entry merged onto the main file defaults', async () => {
    const t = await limitsOf('t');
    assert.equal(t.ingestion.max_traces_per_user, 2);
    assert.equal(t.ingestion.burst_size_bytes, 30000000, 'unset fields keep the defaults');
    assert.equal((await limitsOf('u')).ingestion.max_traces_per_user, 50);
    const statuses = [];
    for (let i = 0; i < 4; ++i) statuses.push(await push(srv, 't'));
    assert.deepEqual(statuses, [200, 200, 200, 200]);
    assert.equal(metricSum(await srv.metrics(), 'tempo_discarded_spans_total',
      { tenant: 't', reason: 'live_traces_exceeded' }), 2);
    assert.equal(await reloadOk(), 1);
  });

  test('a changed file takes effect within one period, without a restart', async () => {
    const pid = srv.child.pid;
    write(`overrides:
  "t":
    max_traces_per_user: 10
  "*":
    max_traces_per_user: 7
`);
    const t0 = Date.now();
    await waitFor('the new limit', async () => (await limitsOf('t')).ingestion.max_traces_per_user === 10,
      { timeoutMs: 10000, intervalMs: 50 });
    const ms = Date.now() - t0;
    // One period plus the time to notice (50 ms polling) and a loaded machine.
    assert.ok(ms <= PERIOD_S * 1000 + 500, `reload took ${ms} ms (period ${PERIOD_S} s)`);
    assert.equal(srv.child.pid, pid, 'same process');
    assert.equal((await limitsOf('u')).ingestion.max_traces_per_user, 7, 'the "*" entry');
    // Enforced at once: t had 2 live traces, now 8 more fit.
    const before = metricSum(await srv.metrics(), 'tempo_discarded_spans_total',
      { tenant: 't', reason: 'live_traces_exceeded' });
    for (let i = 0; i < 9; ++i) assert.equal(await push(srv, 't'), 200);
    const afterCount = metricSum(await srv.metrics(), 'tempo_discarded_spans_total',
      { tenant: 't', reason: 'live_traces_exceeded' });
    assert.equal(afterCount - before, 1, 'only the 11th live trace was dropped');
    console.log(`overrides reload to effect: ${ms} ms (period ${PERIOD_S * 1000} ms)`);
  });

  test('a broken file keeps the last good limits, is logged and shown by the metric', async () => {
    write(`overrides:
  "t":
    max_traces_per_usr: 3
`);
    await waitFor('reload failure in the metric', async () => (await reloadOk()) === 0, { timeoutMs: 10000 });
    assert.equal((await limitsOf('t')).ingestion.max_traces_per_user, 10, 'old limits kept');
    await waitFor('the reason in the log', async () => /per-tenant overrides reload failed.*max_traces_per_usr/.test(
      fs.readFileSync(srv.logFile, 'utf8')), { timeoutMs: 5000 });
    // Not YAML at all: still the old limits.
    write('overrides: [unclosed\n');
    await new Promise((r) => setTimeout(r, PERIOD_S * 1500));
    assert.equal(await reloadOk(), 0);
    assert.equal((await limitsOf('t')).ingestion.max_traces_per_user, 10);
    // Fixed: the new version applies and the metric recovers.
    write(`overrides:
  "t":
    ingestion: {max_traces_per_user: 4}
`);
    await waitFor('recovery', async () => (await reloadOk()) === 1 &&
      (await limitsOf('t')).ingestion.max_traces_per_user === 4, { timeoutMs: 10000 });
    assert.ok(srv.running, 'the server kept serving');
  });
});

describe('bad per-tenant overrides file at start', () => {
  test('the server refuses to start and names the key', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'andante-overrides-'));
    const file = path.join(dir, 'overrides.yaml');
    fs.writeFileSync(file, 'overrides:\n  t: {bogus_limit: 1}\n');
    const srv = new Andante({
      extraYaml: `overrides:\n  per_tenant_override_config: ${file}\n`,
    });
    try {
      await assert.rejects(srv.start({ readyTimeoutMs: 5000 }));
      assert.match(fs.readFileSync(srv.logFile, 'utf8'), /bogus_limit/);
    } finally {
      await srv.cleanup();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
