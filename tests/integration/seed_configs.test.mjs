// The tempo.yaml files real users have (../shared/seeds, copied into
// testdata/seeds/ with their origin noted) start the server unchanged but for
// what cannot work on a test machine: ports (free ones), /tmp/tempo paths (a
// temp dir), the S3 endpoint (s3rver behind the SigV4-verifying proxy of
// s3_endpoint.mjs, region and plain HTTP to match) and the remote_write URL (a
// local sink). Every rewrite must match, so a changed seed fails here rather
// than being tested half-rewritten. Each seed: -config.verify passes, the
// server gets ready, a pushed trace is read back by ID, /status/config shows
// what the file says with secrets masked. A typo'd key: exit 1 naming it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { ANDANTE_BIN, Andante } from './harness.mjs';
import { REGION, SECRET_KEY, startS3Endpoint } from './s3_endpoint.mjs';
import { exportOk, makeExporter, makeResource, newTraceId, simpleTrace } from './otlp.mjs';
import { countSpans } from './tempo_api.mjs';

const SEEDS = path.join(path.dirname(new URL(import.meta.url).pathname), 'testdata', 'seeds');
const readSeed = (name) => fs.readFileSync(path.join(SEEDS, name), 'utf8');

// Replaces `from` (string or regex) in `text`; fails when it does not occur.
function rewrite(text, from, to, what) {
  const found = typeof from === 'string' ? text.includes(from) : from.test(text);
  assert.ok(found, `seed rewrite "${what}" found nothing to replace; did the seed change?`);
  return typeof from === 'string' ? text.split(from).join(to) : text.replace(from, to);
}

// The server with a seed's text, rewritten for this machine.
class SeedAndante extends Andante {
  constructor(seed, options) {
    super(options);
    this.seed = seed;
  }

  configYaml() {
    const o = this.options;
    let y = readSeed(this.seed);
    y = rewrite(y, /^server:\n  http_listen_port: 3200\n/m,
      `server:\n  http_listen_address: 127.0.0.1\n  http_listen_port: ${this.httpPort}\n` +
      `  grpc_listen_address: 127.0.0.1\n  grpc_listen_port: ${this.grpcPort}\n`, 'server ports');
    if (o.compactOtlp) {
      // A bare `grpc:` (default endpoint localhost:4317).
      y = rewrite(y, /^(        grpc:)\n/m, `$1\n          endpoint: 127.0.0.1:${this.otlpGrpcPort}\n`, 'otlp grpc');
    } else {
      y = rewrite(y, 'endpoint: 0.0.0.0:4317', `endpoint: 127.0.0.1:${this.otlpGrpcPort}`, 'otlp grpc');
      y = rewrite(y, 'endpoint: 0.0.0.0:4318', `endpoint: 127.0.0.1:${this.otlpHttpPort}`, 'otlp http');
    }
    if (o.jaeger) {
      y = rewrite(y, 'endpoint: 0.0.0.0:14250', `endpoint: 127.0.0.1:${this.jaegerGrpcPort}`, 'jaeger grpc');
      y = rewrite(y, 'endpoint: 0.0.0.0:14268', `endpoint: 127.0.0.1:${this.jaegerHttpPort}`, 'jaeger http');
    }
    if (o.zipkin) y = rewrite(y, 'endpoint: 0.0.0.0:9411', `endpoint: 127.0.0.1:${this.zipkinPort}`, 'zipkin');
    y = rewrite(y, '/tmp/tempo/', `${this.dir}/`, 'paths');
    if (o.remoteWrite) {
      y = rewrite(y, 'url: http://prometheus:9090/api/v1/write', `url: ${o.remoteWrite}`, 'remote_write');
    }
    if (o.s3Port) {
      y = y.replace(/^      insecure: false\n/m, '');
      y = rewrite(y, /^(      )endpoint: s3\.amazonaws\.com\n\1region: us-east-1\n/m,
        `$1endpoint: 127.0.0.1:${o.s3Port}\n$1region: ${REGION}\n$1insecure: true\n` +
        '$1forcepathstyle: true\n$1list_with_delimiter: false  # s3rver\'s delimiter listings are incomplete\n',
        's3 endpoint');
    }
    return y;
  }

  async init() {
    await super.init();
    // The compact seed has no OTLP/HTTP receiver; readiness checks the gRPC
    // port in its place.
    if (this.options.compactOtlp) this.otlpHttpPort = this.otlpGrpcPort;
    this.writeConfig();
  }
}

function run(args, env = {}) {
  return new Promise((resolve) => {
    const child = spawn(ANDANTE_BIN, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 20000);
    child.on('exit', (code, signal) => { clearTimeout(timer); resolve({ code, signal, out }); });
  });
}

// Pushes one trace over OTLP (as `tenant` when given) and reads it back by ID
// with the v2 API until every span is there.
async function pushAndRead(srv, { kind, tenant } = {}) {
  const headers = tenant ? { 'X-Scope-OrgID': tenant } : undefined;
  const exporter = makeExporter(kind ?? (srv.options.compactOtlp ? 'grpc' : 'http-proto'), srv, { headers });
  const traceId = newTraceId();
  const spans = simpleTrace({ traceId, spans: 4, resource: makeResource('seed-svc') });
  await exportOk(exporter, spans, `push to ${srv.seed}`);
  await exporter.shutdown();
  const deadline = Date.now() + 10000;
  let last = '';
  while (Date.now() < deadline) {
    const res = await srv.get(`/api/v2/traces/${traceId}`, headers ?? {});
    last = `${res.status} ${res.text.slice(0, 200)}`;
    if (res.status === 200 && countSpans(JSON.parse(res.text).trace?.resourceSpans ?? []) === spans.length) {
      return traceId;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`trace ${traceId} not read back from ${srv.seed}: last ${last}`);
}

describe('seed configs', () => {
  let endpoint;
  let proxy;
  let sink;
  const remoteWrites = [];
  const servers = [];

  before(async () => {
    // The S3 seeds take their keys from the environment (expanded, or read
    // by the S3 client as AWS SDKs do), where startS3Endpoint puts them.
    endpoint = await startS3Endpoint({
      serviceEndpoint: 'localhost', buckets: ['tempo-traces', 'tempo-traces-multitenant'],
    });
    ({ proxy } = endpoint);
    sink = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => { remoteWrites.push(req.url); res.writeHead(204); res.end(); });
    });
    await new Promise((resolve) => sink.listen(0, '127.0.0.1', resolve));
  });

  after(async () => {
    for (const srv of servers) await srv.cleanup();
    sink?.close();
    await endpoint?.close();
  });

  const sinkUrl = () => `http://127.0.0.1:${sink.address().port}/api/v1/write`;

  async function startSeed(seed, options) {
    // As the seeds' users run them (the S3 one needs the expansion).
    const srv = new SeedAndante(seed, { args: ['-config.expand-env=true'], ...options });
    servers.push(srv);
    await srv.init();
    // What the user would run first.
    const verify = await run([`-config.file=${srv.configPath}`, '-config.expand-env=true', '-config.verify=true']);
    assert.equal(verify.code, 0, `${seed}: -config.verify failed:\n${verify.out}`);
    assert.match(verify.out, /config is valid/);
    await srv.start();
    const ready = await srv.get('/ready');
    assert.equal(ready.status, 200, ready.text);
    return srv;
  }

  test('basic (003): local storage, OTLP + Jaeger + Zipkin, metrics generator', async () => {
    const srv = await startSeed('basic.yaml', { jaeger: true, zipkin: true, remoteWrite: sinkUrl() });
    await pushAndRead(srv);
    const cfg = await srv.get('/status/config');
    assert.equal(cfg.status, 200, cfg.text);
    assert.match(cfg.text, /^GET \/status\/config\n---\n/);
    assert.match(cfg.text, /max_block_bytes: 1048576\n/);
    assert.match(cfg.text, /block_retention: 72h0m0s\n/, 'retention_duration is block_retention');
    assert.ok(cfg.text.includes(`path: ${srv.dir}/traces\n`), 'storage.trace.local.path as configured');
    const diff = await srv.get('/status/config?mode=diff');
    assert.equal(diff.status, 200);
    assert.match(diff.text, /trace_idle_period: 10s\n/);
    assert.doesNotMatch(diff.text, /flush_check_period/, 'diff shows only what the file changed');
    const bad = await srv.get('/status/config?mode=nope');
    assert.equal(bad.status, 500);
    assert.equal(bad.text.trim(), 'unknown value for mode query parameter: nope');
  });

  test('S3 (003): s3rver behind a signature-checking proxy, credentials from the environment', async () => {
    const before = proxy.stats.verified;
    const srv = await startSeed('s3.yaml', {
      jaeger: true, zipkin: true, remoteWrite: sinkUrl(), s3Port: proxy.port,
      traceIdlePeriod: '1s',
    });
    await pushAndRead(srv);
    assert.ok(proxy.stats.verified > before, 'the server talked to the S3 endpoint with valid signatures');
    assert.deepEqual(proxy.stats.refused, {}, 'no request was refused');
    const cfg = await srv.get('/status/config');
    assert.equal(cfg.status, 200);
    assert.match(cfg.text, /backend: s3\n/);
    assert.match(cfg.text, /bucket: tempo-traces\n/);
    assert.match(cfg.text, /secret_key: "\*\*\*\*\*\*\*\*"\n/, 'the secret key is masked');
    assert.ok(!cfg.text.includes(`secret_key: ${SECRET_KEY}`));
  });

  test('multi-tenant (003): tenants from X-Scope-OrgID, S3 storage', async () => {
    const srv = await startSeed('multitenant.yaml', { s3Port: proxy.port });
    const traceId = await pushAndRead(srv, { tenant: 'team-a' });
    // The v1 API answers an unknown trace 404 (v2: 200 with an empty trace).
    const mine = await srv.get(`/api/traces/${traceId}`, { 'X-Scope-OrgID': 'team-a' });
    assert.equal(mine.status, 200, mine.text);
    const other = await srv.get(`/api/traces/${traceId}`, { 'X-Scope-OrgID': 'team-b' });
    assert.equal(other.status, 404, 'another tenant does not see the trace');
    const none = await srv.get(`/api/v2/traces/${traceId}`);
    assert.equal(none.status, 401, 'multitenancy_enabled: a read without a tenant is refused');
  });

  test('compact (001): Tempo 1.5 blog config, OTLP gRPC only', async () => {
    const srv = await startSeed('compact.yaml', { compactOtlp: true });
    await pushAndRead(srv, { kind: 'grpc' });
  });

  test('a typo\'d key: exit 1 naming the key and its line', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'andante-seed-typo-'));
    try {
      const text = readSeed('basic.yaml');
      const typo = rewrite(text, '  trace_idle_period: 10s', '  trace_idel_period: 10s', 'typo');
      const line = typo.split('\n').findIndex((l) => l.includes('trace_idel_period')) + 1;
      const file = path.join(dir, 'tempo.yaml');
      fs.writeFileSync(file, typo);
      for (const extra of [[], ['-config.verify=true']]) {
        const res = await run([`-config.file=${file}`, ...extra]);
        assert.equal(res.code, 1, res.out);
        assert.match(res.out, new RegExp(`line ${line}: field trace_idel_period not found in type ingester`));
        assert.match(res.out, /key ingester\.trace_idel_period/);
        assert.doesNotMatch(res.out, /config is valid/);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
