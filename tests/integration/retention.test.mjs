// Per-tenant retention from the overrides file: one server, two tenants
// whose `compaction.block_retention` differ; blocks older than a tenant's own
// retention go (trace by ID finds nothing), the other tenant's stay, and a reloaded
// file applies at the next compaction cycle without a restart.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { Andante, metricSum, waitFor } from './harness.mjs';

// Polls every second, so that the server's readers drop expired blocks soon.
class PollingAndante extends Andante {
  configYaml() {
    const base = super.configYaml();
    assert.match(base, /\n {4}backend: local\n/, 'harness storage section changed; update retention.test.mjs');
    return base.replace('\n    backend: local\n', '\n    backend: local\n    blocklist_poll: 1s\n');
  }
}

// One trace of two spans that ended `agoMs` ago.
function oldTrace(agoMs) {
  const traceId = crypto.randomBytes(16).toString('hex');
  const end = BigInt(Date.now() - agoMs) * 1000000n;
  const spans = [0, 1].map((i) => ({
    traceId, spanId: crypto.randomBytes(8).toString('hex'), name: `op${i}`, kind: 2,
    startTimeUnixNano: String(end - 5000000n), endTimeUnixNano: String(end),
  }));
  const body = JSON.stringify({
    resourceSpans: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'retention' } }] },
      scopeSpans: [{ spans }],
    }],
  });
  return { traceId, body };
}

const HOUR = 3600 * 1000;

describe('per-tenant block_retention from the overrides file', () => {
  let srv;
  let dir;
  let file;
  const write = (text) => {
    fs.writeFileSync(`${file}.tmp`, text);
    fs.renameSync(`${file}.tmp`, file);
  };
  const push = async (tenant, body) => {
    const res = await fetch(srv.otlpHttpUrl, {
      method: 'POST', body, headers: { 'content-type': 'application/json', 'X-Scope-OrgID': tenant },
    });
    assert.equal(res.status, 200, await res.text());
  };
  // Spans of the trace (0 when not found: 404, or 200 with an empty trace).
  const spansOf = async (tenant, traceId) => {
    const res = await srv.get(`/api/v2/traces/${traceId}`, { 'X-Scope-OrgID': tenant });
    if (res.status === 404) return 0;
    assert.equal(res.status, 200, res.text);
    let n = 0;
    for (const rs of JSON.parse(res.text).trace?.resourceSpans ?? []) {
      for (const ss of rs.scopeSpans ?? []) n += (ss.spans ?? []).length;
    }
    return n;
  };

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'andante-retention-'));
    file = path.join(dir, 'overrides.yaml');
    write(`overrides:
  "short":
    compaction:
      block_retention: 1h
  "long":
    compaction:
      block_retention: 1000h
`);
    srv = new PollingAndante({
      traceIdlePeriod: '1h', maxBlockDuration: '1h', flushCheckPeriod: '1h',
      extraYaml: `multitenancy_enabled: true
compactor:
  compaction:
    compaction_cycle: 1s
    compacted_block_retention: 2s
    block_retention: 100000h
overrides:
  per_tenant_override_config: ${file}
  per_tenant_override_period: 1s
`,
    });
    await srv.start();
  });
  after(async () => {
    await srv?.cleanup();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('blocks past a tenant\'s own retention go; the other tenant\'s stay; a reload applies', async () => {
    // Both traces ended 3 hours ago: past "short"'s 1h, within "long"'s 1000h.
    const s = oldTrace(3 * HOUR);
    const l = oldTrace(3 * HOUR);
    await push('short', s.body);
    await push('long', l.body);
    assert.equal((await srv.post('/flush?wait=true')).status, 204);
    assert.equal(await spansOf('short', s.traceId), 2);
    assert.equal(await spansOf('long', l.traceId), 2);

    await waitFor('the short tenant\'s block deleted', async () => 
      (metricSum(await srv.metrics(), 'tempodb_retention_deleted_total') ?? 0) >= 1 &&
      await spansOf('short', s.traceId) === 0, { timeoutMs: 30000, intervalMs: 250 });
    // Several more cycles: the long tenant's block stays.
    await new Promise((resolve) => setTimeout(resolve, 4000));
    assert.equal(await spansOf('long', l.traceId), 2, 'kept under its own 1000h');
    assert.equal(metricSum(await srv.metrics(), 'tempodb_retention_deleted_total'), 1, 'only the short tenant\'s block');
    const blocksOf = (tenant) => fs.readdirSync(path.join(srv.blocksDir, tenant)).filter((n) => /^[0-9a-f-]{36}$/.test(n));
    assert.deepEqual(blocksOf('short'), [], 'short\'s block directory is gone');
    assert.equal(blocksOf('long').length, 1);

    // Reloaded: "long" now keeps 2h, without a restart.
    const pid = srv.child.pid;
    write(`overrides:
  "short":
    compaction:
      block_retention: 1h
  "long":
    compaction:
      block_retention: 2h
`);
    await waitFor('the long tenant\'s block deleted after the reload', async () =>
      await spansOf('long', l.traceId) === 0, { timeoutMs: 30000, intervalMs: 250 });
    assert.equal(srv.child.pid, pid, 'same process');
  });
});
