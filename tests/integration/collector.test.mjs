// The in-process test collector (include/andante/testing/collector.h) as an
// instrumented service's tests use it, with real exporters: a small C++
// program (tests/collector/collector_driver.cc) starts a Collector and
// prints its endpoints; the OpenTelemetry JS exporters (OTLP gRPC, OTLP/HTTP
// JSON, OTLP/HTTP protobuf) export a rich trace each to it; the program then
// asserts with the collector's gMock matchers what arrived and exits 0 only
// if everything did, as sent.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { describe, test } from 'node:test';

import { EXPORTERS, exportOk, makeExporter, newTraceId, richTrace } from './otlp.mjs';

// The driver lives in the build directory next to server/andante.
function driverPath() {
  if (process.env.ANDANTE_COLLECTOR_DRIVER) return process.env.ANDANTE_COLLECTOR_DRIVER;
  const bin = process.env.ANDANTE_BIN;
  assert.ok(bin, 'ANDANTE_BIN is not set');
  const p = path.resolve(path.dirname(bin), '..', 'tests', 'collector', 'collector_driver');
  assert.ok(fs.existsSync(p), `collector driver not built: ${p} (meson compile -C build tests/collector/collector_driver)`);
  return p;
}

// Starts the driver; resolves once it printed its endpoints.
async function startDriver(args = []) {
  const child = spawn(driverPath(), args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  child.stderr.on('data', (d) => { output += d; });
  const lines = readline.createInterface({ input: child.stdout });
  const endpoints = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`driver printed no endpoints:\n${output}`)), 10000);
    lines.on('line', (line) => {
      output += `${line}\n`;
      if (line.startsWith('ENDPOINTS ')) {
        clearTimeout(timer);
        resolve(JSON.parse(line.slice('ENDPOINTS '.length)));
      }
    });
    exited.then((code) => reject(new Error(`driver exited (${code}) before its endpoints:\n${output}`)));
  });
  return {
    endpoints,
    // What exporters take: the harness's Andante shape.
    target: { otlpHttpUrl: endpoints.otlp_http, otlpGrpcUrl: `http://${endpoints.otlp_grpc}` },
    send: (line) => child.stdin.write(`${line}\n`),
    // Ends the command list; resolves to { code, output }.
    finish: async () => {
      child.stdin.end('done\n');
      const code = await exited;
      return { code, output };
    },
  };
}

describe('test collector with the OpenTelemetry JS exporters', () => {
  test('every exporter\'s trace arrives whole and as sent; the C++ assertions pass', async () => {
    const driver = await startDriver();
    assert.match(driver.endpoints.otlp_http, /^http:\/\/127\.0\.0\.1:\d+\/v1\/traces$/);
    assert.match(driver.endpoints.otlp_grpc, /^127\.0\.0\.1:\d+$/);
    for (const kind of EXPORTERS) {
      const tag = `it-${kind}`;
      const { traceId, spans } = richTrace({ tag });
      const exporter = makeExporter(kind, driver.target);
      try {
        await exportOk(exporter, spans, `${kind} export to the test collector`);
      } finally {
        await exporter.shutdown();
      }
      driver.send(`rich ${traceId} ${tag}`);
    }
    const { code, output } = await driver.finish();
    assert.equal(code, 0, `driver assertions failed:\n${output}`);
    assert.match(output, /\[  PASSED  \] 1 test/);
  });

  test('a trace that never arrives fails the assertion and prints the spans that did', async () => {
    const driver = await startDriver(['--timeout_ms=300']);
    const { traceId, spans } = richTrace({ tag: 'present' });
    const exporter = makeExporter('http-proto', driver.target);
    try {
      await exportOk(exporter, spans, 'export to the test collector');
    } finally {
      await exporter.shutdown();
    }
    const missing = newTraceId();
    driver.send(`rich ${traceId} present`);
    driver.send(`rich ${missing} missing`);
    const { code, output } = await driver.finish();
    assert.equal(code, 1, `driver should fail:\n${output}`);
    assert.match(output, new RegExp(`0 spans from trace ${missing}`));
    // The received trace, as a tree: the root, then its children indented.
    assert.match(output, /Spans the collector received:/);
    assert.match(output, new RegExp(`trace ${traceId} \\(7 spans, service "frontend-present"\\)`));
    assert.match(output, /\n {2}"GET \/checkout" server error\("upstream timeout"\)/);
    assert.match(output, /\n {4}"cart\.get" client ok /);
    assert.match(output, /\n {6}"Cart\/Get" server unset /);
    // Only the missing trace's assertions failed (GoogleTest names the
    // scope of each failure); the present trace's all held.
    assert.match(output, new RegExp(`: trace ${missing} \\(missing\\)`));
    assert.doesNotMatch(output, new RegExp(`: trace ${traceId} \\(present\\)`));
  });
});
