// Jaeger and Zipkin clients for the integration tests: the real npm
// exporters (@opentelemetry/exporter-zipkin, @opentelemetry/exporter-jaeger,
// jaeger-client, whose Thrift encoder also builds raw Thrift HTTP bodies),
// plus test clients where no npm client speaks the protocol (Jaeger gRPC
// with @grpc/grpc-js on our collector.proto, Zipkin protobuf with protobufjs
// on our zipkin.proto, Jaeger agent compact UDP with Apache Thrift's own npm
// library on JavaScript generated from our agent.thrift).
import { execFileSync } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';
import { JaegerExporter } from '@opentelemetry/exporter-jaeger';
import { ZipkinExporter } from '@opentelemetry/exporter-zipkin';
import protobuf from 'protobufjs';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(here, '../..');
const PROTO_DIR = path.join(REPO, 'lib/proto');
const THRIFT_DIR = path.join(REPO, 'lib/thrift');

// --- the npm exporters ------------------------------------------------------

export function zipkinExporter(srv, { url } = {}) {
  return new ZipkinExporter({ url: url ?? srv.zipkinUrl });
}

export function jaegerHttpExporter(srv) {
  return new JaegerExporter({ endpoint: srv.jaegerHttpUrl });
}

// A jaeger-client (OpenTracing) tracer reporting over UDP to the agent
// port; jaeger-client speaks Thrift binary (port 6832 in production).
export function jaegerClientTracer(srv, serviceName, { port } = {}) {
  const { initTracer } = require('jaeger-client');
  return initTracer({
    serviceName,
    sampler: { type: 'const', param: 1 },
    reporter: {
      agentHost: '127.0.0.1',
      agentPort: port ?? srv.jaegerBinaryPort,
      flushIntervalMs: 50,
      logSpans: false,
    },
  }, { logger: { info() {}, error(msg) { process.stderr.write(`jaeger-client: ${msg}\n`); } } });
}

// An OpenTracing FOLLOWS_FROM reference to `spanContext`.
export function followsFrom(spanContext) {
  const opentracing = require('opentracing');
  return new opentracing.Reference(opentracing.REFERENCE_FOLLOWS_FROM, spanContext);
}

export function closeTracer(tracer) {
  return new Promise((resolve) => tracer.close(resolve));
}

// --- Jaeger Thrift over HTTP with jaeger-client's own encoder ---------------

let jaegerClientThrift;
// The body jaeger-client's HTTPSender POSTs to /api/traces: one jaeger.Batch
// struct in Thrift binary, encoded by the same thriftrw definition the sender
// uses. For requests the sender cannot make (it sets no X-Scope-OrgID and
// hides the answer). `batch`: {process: {serviceName}, spans: [{traceId
// (16-byte Buffer), spanId (8-byte Buffer), operationName, startTimeUs,
// durationUs, tags: [{key, vStr}]}]}.
export function encodeJaegerThriftBatch(batch) {
  if (!jaegerClientThrift) {
    const { Thrift } = require('thriftrw');
    const ThriftUtils = require('jaeger-client/dist/src/thrift.js').default;
    jaegerClientThrift = new Thrift({ source: ThriftUtils.loadJaegerThriftDefinition(), allowOptionalArguments: true });
  }
  const t = jaegerClientThrift;
  const i64 = (v) => Buffer.from(BigInt.asUintN(64, BigInt(v)).toString(16).padStart(16, '0'), 'hex');
  const result = t.Batch.rw.toBuffer(new t.Batch({
    process: { serviceName: batch.process.serviceName, tags: [] },
    spans: batch.spans.map((s) => new t.Span({
      traceIdHigh: s.traceId.subarray(0, 8), traceIdLow: s.traceId.subarray(8, 16), spanId: s.spanId,
      parentSpanId: i64(0), operationName: s.operationName, flags: 1,
      startTime: i64(s.startTimeUs), duration: i64(s.durationUs),
      tags: (s.tags ?? []).map((tag) => ({ key: tag.key, vType: t.TagType.STRING, vStr: tag.vStr })),
    })),
  }));
  if (result.err) throw result.err;
  return result.value;
}

// --- Jaeger gRPC ------------------------------------------------------------

let collectorPackage;
// `options`: grpc-js channel options (e.g. 'grpc.default_compression_algorithm').
export function jaegerGrpcClient(srv, options = {}) {
  if (!collectorPackage) {
    const def = protoLoader.loadSync('jaeger/api_v2/collector.proto', {
      includeDirs: [PROTO_DIR, '/usr/include'],
      keepCase: true, longs: String, enums: String, bytes: Buffer, defaults: false,
    });
    // The schema's package is Andante's own (andante.jaeger.api_v2); the
    // client calls Jaeger's path, as a Jaeger agent or SDK does.
    const service = grpc.loadPackageDefinition(def).andante.jaeger.api_v2
      .CollectorService.service;
    collectorPackage = grpc.makeGenericClientConstructor({
      PostSpans: { ...service.PostSpans, path: '/jaeger.api_v2.CollectorService/PostSpans' },
    }, 'CollectorService');
  }
  return new collectorPackage(`127.0.0.1:${srv.jaegerGrpcPort}`,
    grpc.credentials.createInsecure(), options);
}

// PostSpans as a promise; resolves to {err, res}.
export function postSpans(client, batch, metadata = new grpc.Metadata()) {
  return new Promise((resolve) => {
    client.PostSpans({ batch }, metadata, { deadline: Date.now() + 10000 },
      (err, res) => resolve({ err, res }));
  });
}

// PostSpans with `bytes` as the request message, unchecked: for malformed
// requests no generated client would send. Resolves to {err, res}.
export function postRawSpans(srv, bytes) {
  const client = new grpc.Client(`127.0.0.1:${srv.jaegerGrpcPort}`,
    grpc.credentials.createInsecure());
  return new Promise((resolve) => {
    client.makeUnaryRequest('/jaeger.api_v2.CollectorService/PostSpans',
      (b) => b, (b) => b, bytes, { deadline: Date.now() + 10000 },
      (err, res) => { client.close(); resolve({ err, res }); });
  });
}

export { grpc };

// --- Zipkin protobuf ----------------------------------------------------------

let zipkinRoot;
export function encodeZipkinProto(spans) {
  if (!zipkinRoot) {
    zipkinRoot = new protobuf.Root();
    zipkinRoot.resolvePath = (_origin, target) => path.join(PROTO_DIR, target);
    zipkinRoot.loadSync('zipkin/zipkin.proto', { keepCase: true });
  }
  const ListOfSpans = zipkinRoot.lookupType('andante.zipkin.proto3.ListOfSpans');
  const msg = ListOfSpans.fromObject({ spans });
  const err = ListOfSpans.verify(msg);
  if (err) throw new Error(`zipkin proto: ${err}`);
  return Buffer.from(ListOfSpans.encode(msg).finish());
}

// --- Jaeger agent over UDP with Apache Thrift (compact or binary) -----------

let agentModules;
// JavaScript for our jaeger.thrift/agent.thrift, generated once per process
// by the thrift compiler the test command installs.
function agentThrift() {
  if (agentModules) return agentModules;
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'andante-thrift-'));
  for (const f of ['jaeger.thrift', 'agent.thrift']) {
    execFileSync('thrift', ['--gen', 'js:node', '-I', THRIFT_DIR, '-o', out, path.join(THRIFT_DIR, f)]);
  }
  const dir = path.join(out, 'gen-nodejs');
  // The generated files require('thrift'); resolve it from our node_modules.
  const thriftLib = require('thrift');
  const fromThrift = createRequire(require.resolve('thrift'));
  const resolved = { thrift: require.resolve('thrift'), 'node-int64': fromThrift.resolve('node-int64') };
  const Module = require('node:module');
  const origResolve = Module._resolveFilename;
  Module._resolveFilename = function (request, parent, ...rest) {
    if (Object.hasOwn(resolved, request)) return resolved[request];
    return origResolve.call(this, request, parent, ...rest);
  };
  const files = fs.readdirSync(dir);
  const typesFile = files.find((f) => /^jaeger_types\.js$/.test(f));
  const agentFile = files.find((f) => /^Agent\.js$/.test(f));
  if (!typesFile || !agentFile) throw new Error(`thrift --gen js:node produced ${files.join(', ')}`);
  agentModules = { thrift: thriftLib, types: require(path.join(dir, typesFile)), agent: require(path.join(dir, agentFile)) };
  return agentModules;
}

// Serializes one Agent.emitBatch ONEWAY message carrying `batch` (plain
// object in jaeger.thrift's shape: process{serviceName,tags}, spans[...] with
// i64 fields as Int64 from the 'thrift' package or decimal strings).
export function encodeEmitBatch(batch, protocol = 'compact') {
  const { thrift, types, agent } = agentThrift();
  const chunks = [];
  const transport = new thrift.TBufferedTransport(undefined, (buf) => chunks.push(Buffer.from(buf)));
  const Proto = protocol === 'compact' ? thrift.TCompactProtocol : thrift.TBinaryProtocol;
  const Int64 = thrift.Int64;
  const i64 = (v) => (v instanceof Int64 ? v : new Int64(Buffer.from(BigInt.asUintN(64, BigInt(v)).toString(16).padStart(16, '0'), 'hex')));
  const tag = (t) => new types.Tag({ ...t, vLong: t.vLong !== undefined ? i64(t.vLong) : undefined });
  const tb = new types.Batch({
    process: new types.Process({ serviceName: batch.process.serviceName, tags: (batch.process.tags ?? []).map(tag) }),
    spans: batch.spans.map((s) => new types.Span({
      traceIdLow: i64(s.traceIdLow), traceIdHigh: i64(s.traceIdHigh ?? 0), spanId: i64(s.spanId),
      parentSpanId: i64(s.parentSpanId ?? 0), operationName: s.operationName,
      references: s.references?.map((r) => new types.SpanRef({
        refType: r.refType, traceIdLow: i64(r.traceIdLow), traceIdHigh: i64(r.traceIdHigh ?? 0), spanId: i64(r.spanId),
      })),
      flags: s.flags ?? 1, startTime: i64(s.startTime), duration: i64(s.duration),
      tags: s.tags?.map(tag),
      logs: s.logs?.map((l) => new types.Log({ timestamp: i64(l.timestamp), fields: l.fields.map(tag) })),
    })),
  });
  // The generated Agent client writes the ONEWAY emitBatch message and
  // flushes the transport, which hands us the datagram's bytes.
  const client = new agent.Client(transport, Proto);
  client.emitBatch(tb, (err) => { if (err) throw err; });
  return Buffer.concat(chunks);
}

export function thriftTagType(name) {
  return agentThrift().types.TagType[name];
}

export function thriftRefType(name) {
  return agentThrift().types.SpanRefType[name];
}

export async function sendUdp(port, datagram) {
  const sock = dgram.createSocket('udp4');
  try {
    await new Promise((resolve, reject) => sock.send(datagram, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
  } finally {
    sock.close();
  }
}
