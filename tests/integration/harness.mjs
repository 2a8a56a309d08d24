// Test harness: runs the real `andante` binary the way an operator runs Tempo.
//
// Andante.start() picks free ports, writes a tempo.yaml into a fresh temp dir
// (WAL and blocks under it, receivers on 127.0.0.1), spawns ANDANTE_BIN with
// -config.file=..., and waits for GET /ready. stop() sends SIGTERM and falls
// back to SIGKILL; kill() is the crash. restart() reuses the same dirs and
// ports. The server's stdout/stderr go to <dir>/server.log, and a tail of it is
// printed when the server is stopped, so a failing test shows what the server
// said (meson prints a failed test's output with --print-errorlogs).
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

// Absolute, because the server runs with its temp dir as working directory.
export const ANDANTE_BIN = process.env.ANDANTE_BIN ? path.resolve(process.env.ANDANTE_BIN) : undefined;

const live = new Set();
process.on('exit', () => {
  for (const child of live) {
    try { child.kill('SIGKILL'); } catch { /* already gone */ }
  }
});

// A port that was free a moment ago. The listener is closed before the
// server binds it, so a race is possible but rare on a test machine.
export async function freePort() {
  return await new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// A UDP port that was free a moment ago (same caveat as freePort).
export async function freeUdpPort() {
  return await new Promise((resolve, reject) => {
    const sock = dgram.createSocket('udp4');
    sock.on('error', reject);
    sock.bind(0, '127.0.0.1', () => {
      const { port } = sock.address();
      sock.close(() => resolve(port));
    });
  });
}

async function distinctFreePorts(n) {
  const ports = new Set();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

function canConnect(port, host = '127.0.0.1', timeoutMs = 500) {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host });
    const done = (ok) => { sock.destroy(); resolve(ok); };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

export class Andante {
  // options:
  //   maxRequestBodySize  OTLP HTTP max_request_body_size (bytes), default 1 MiB
  //   traceIdlePeriod, flushCheckPeriod, maxBlockDuration  ingester durations
  //   maxBlockBytes       ingester.max_block_bytes
  //   extraYaml           appended verbatim to tempo.yaml
  //   jaeger, zipkin      also enable the Jaeger receivers (gRPC, Thrift
  //                       HTTP, agent UDP compact and binary) / Zipkin, on
  //                       free ports (jaegerGrpcPort, jaegerHttpPort,
  //                       jaegerCompactPort, jaegerBinaryPort, zipkinPort)
  //   jaegerYaml          extra keys under each Jaeger UDP protocol
  //   args                extra command-line flags (['-config.expand-env=true'])
  //   nofile              RLIMIT_NOFILE (soft and hard) of the server, set
  //                       with prlimit(1); the server keeps its pid
  constructor(options = {}) {
    this.options = {
      maxRequestBodySize: 1048576,
      traceIdlePeriod: '1s',
      flushCheckPeriod: '1s',
      maxBlockDuration: '1m',
      maxBlockBytes: 104857600,
      extraYaml: '',
      ...options,
    };
    this.dir = null;
    this.child = null;
    this.exit = null;  // Promise<{code, signal}> of the running child
    this.starts = 0;
  }

  static async start(options = {}) {
    const srv = new Andante(options);
    await srv.start();
    return srv;
  }

  get apiUrl() { return `http://127.0.0.1:${this.httpPort}`; }
  get otlpHttpUrl() { return `http://127.0.0.1:${this.otlpHttpPort}/v1/traces`; }
  get otlpGrpcUrl() { return `http://127.0.0.1:${this.otlpGrpcPort}`; }
  get walDir() { return path.join(this.dir, 'wal'); }
  get blocksDir() { return path.join(this.dir, 'blocks'); }
  get logFile() { return path.join(this.dir, 'server.log'); }
  get running() { return this.child !== null; }

  async init() {
    if (!ANDANTE_BIN) {
      throw new Error('ANDANTE_BIN is not set: run through `meson test` ' +
        '(or ANDANTE_BIN=build/server/andante node --test ...)');
    }
    if (!fs.existsSync(ANDANTE_BIN)) {
      throw new Error(`ANDANTE_BIN=${ANDANTE_BIN} does not exist: build it first (meson compile -C build andante)`);
    }
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'andante-it-'));
    [this.httpPort, this.grpcPort, this.otlpGrpcPort, this.otlpHttpPort,
      this.jaegerGrpcPort, this.jaegerHttpPort, this.zipkinPort] = await distinctFreePorts(7);
    this.jaegerCompactPort = await freeUdpPort();
    do { this.jaegerBinaryPort = await freeUdpPort(); } while (this.jaegerBinaryPort === this.jaegerCompactPort);
    this.writeConfig();
  }

  configYaml() {
    const o = this.options;
    return `# written by tests/integration/harness.mjs
server:
  http_listen_address: 127.0.0.1
  http_listen_port: ${this.httpPort}
  grpc_listen_address: 127.0.0.1
  grpc_listen_port: ${this.grpcPort}
distributor:
  receivers:
    otlp:
      protocols:
        grpc:
          endpoint: "127.0.0.1:${this.otlpGrpcPort}"
        http:
          endpoint: "127.0.0.1:${this.otlpHttpPort}"
          max_request_body_size: ${o.maxRequestBodySize}
${o.jaeger ? this.jaegerYaml() : ''}${o.zipkin ? `    zipkin:
      endpoint: "127.0.0.1:${this.zipkinPort}"
` : ''}ingester:
  trace_idle_period: ${o.traceIdlePeriod}
  flush_check_period: ${o.flushCheckPeriod}
  max_block_duration: ${o.maxBlockDuration}
  max_block_bytes: ${o.maxBlockBytes}
storage:
  trace:
    backend: local
    local:
      path: ${this.blocksDir}
    wal:
      path: ${this.walDir}
${o.extraYaml.includes('compactor:') ? '' : this.retentionYaml()}${o.extraYaml}`;
  }

  // Many tests push spans with fixed timestamps from 2023; retention goes by
  // a block's end time (as Tempo's does), so with the default 14 days their
  // blocks would be deleted mid-test. Tests that configure the compactor
  // themselves set what they need.
  retentionYaml() {
    return `compactor:
  compaction:
    block_retention: 100000h
`;
  }

  jaegerYaml() {
    const udpExtra = (this.options.jaegerYaml ?? '').split('\n').filter(Boolean)
      .map((l) => `          ${l}\n`).join('');
    return `    jaeger:
      protocols:
        grpc:
          endpoint: "127.0.0.1:${this.jaegerGrpcPort}"
        thrift_http:
          endpoint: "127.0.0.1:${this.jaegerHttpPort}"
        thrift_compact:
          endpoint: "127.0.0.1:${this.jaegerCompactPort}"
${udpExtra}        thrift_binary:
          endpoint: "127.0.0.1:${this.jaegerBinaryPort}"
${udpExtra}`;
  }

  get jaegerHttpUrl() { return `http://127.0.0.1:${this.jaegerHttpPort}/api/traces`; }
  get zipkinUrl() { return `http://127.0.0.1:${this.zipkinPort}/api/v2/spans`; }

  writeConfig() {
    this.configPath = path.join(this.dir, 'tempo.yaml');
    fs.writeFileSync(this.configPath, this.configYaml());
  }

  // crashPoint: this start only, the server dies (SIGKILL of itself) when it
  // reaches that named crash point (ANDANTE_TEST_CRASH_POINT, see
  // lib/util/crash_point.h).
  async start({ readyTimeoutMs = 30000, crashPoint } = {}) {
    if (!this.dir) await this.init();
    if (this.child) throw new Error('andante already running');
    this.starts += 1;
    const log = fs.openSync(this.logFile, 'a');
    fs.writeSync(log, `\n==== start #${this.starts} ${new Date().toISOString()}\n`);
    const args = [`-config.file=${this.configPath}`, ...(this.options.args ?? [])];
    const [cmd, argv] = this.options.nofile
      ? ['prlimit', [`--nofile=${this.options.nofile}:${this.options.nofile}`, '--', ANDANTE_BIN, ...args]]
      : [ANDANTE_BIN, args];
    const child = spawn(cmd, argv, {
      cwd: this.dir,
      stdio: ['ignore', log, log],
      env: crashPoint ? { ...process.env, ANDANTE_TEST_CRASH_POINT: crashPoint } : process.env,
    });
    fs.closeSync(log);
    this.child = child;
    live.add(child);
    this.exit = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        live.delete(child);
        if (this.child === child) this.child = null;
        resolve({ code, signal });
      });
      child.once('error', (err) => {
        live.delete(child);
        if (this.child === child) this.child = null;
        resolve({ code: null, signal: null, error: err });
      });
    });
    await this.waitReady(readyTimeoutMs);
  }

  async waitReady(timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    let last = 'no response';
    let exited = null;
    this.exit.then((e) => { exited = e; });
    while (Date.now() < deadline) {
      if (exited) {
        throw new Error(`andante exited before it was ready (code ${exited.code}, signal ${exited.signal}` +
          `${exited.error ? ', ' + exited.error.message : ''})\n${this.logTail()}`);
      }
      try {
        const res = await fetch(`${this.apiUrl}/ready`, { signal: AbortSignal.timeout(1000) });
        last = `${res.status} ${(await res.text()).trim()}`;
        if (res.status === 200) {
          // Tempo is ready only when its receivers are; give the listeners a
          // moment in case they are opened right after the API.
          const until = Date.now() + 3000;
          while (Date.now() < until) {
            const tcp = [this.otlpGrpcPort, this.otlpHttpPort];
            if (this.options.jaeger) tcp.push(this.jaegerGrpcPort, this.jaegerHttpPort);
            if (this.options.zipkin) tcp.push(this.zipkinPort);
            let all = true;
            for (const p of tcp) all = all && await canConnect(p);
            if (all) return;
            await sleep(50);
          }
          throw new Error(`/ready is 200 but the OTLP receivers (127.0.0.1:${this.otlpGrpcPort}, ` +
            `127.0.0.1:${this.otlpHttpPort}) do not accept connections\n${this.logTail()}`);
        }
      } catch (err) {
        if (err.message.startsWith('/ready is 200')) throw err;
        last = err.cause?.code ?? err.message;
      }
      await sleep(100);
    }
    throw new Error(`andante not ready after ${timeoutMs} ms (last /ready: ${last})\n${this.logTail()}`);
  }

  // SIGTERM, then SIGKILL after `timeoutMs`. Resolves to {code, signal, ms, killed}.
  async stop({ signal = 'SIGTERM', timeoutMs = 15000 } = {}) {
    const child = this.child;
    if (!child) return null;
    const t0 = Date.now();
    child.kill(signal);
    let killed = false;
    const timer = setTimeout(() => { killed = true; child.kill('SIGKILL'); }, timeoutMs);
    const res = await this.exit;
    clearTimeout(timer);
    return { ...res, ms: Date.now() - t0, killed };
  }

  // The crash: SIGKILL, no chance to flush.
  async kill() {
    return await this.stop({ signal: 'SIGKILL' });
  }

  async restart(opts) {
    await this.stop();
    await this.start(opts);
  }

  // Stops the server and removes the temp dir (kept when ANDANTE_KEEP_TMP=1).
  async cleanup() {
    const res = await this.stop();
    const tail = this.logTail(80);
    if (tail) process.stderr.write(`---- andante log tail (${this.logFile}) ----\n${tail}\n----\n`);
    if (res && (res.killed || (res.code !== 0 && res.signal !== 'SIGKILL'))) {
      process.stderr.write(`andante did not stop cleanly on SIGTERM: ${JSON.stringify(res)}\n`);
    }
    if (this.dir && process.env.ANDANTE_KEEP_TMP !== '1') {
      fs.rmSync(this.dir, { recursive: true, force: true });
    }
    return res;
  }

  logTail(lines = 40) {
    try {
      const text = fs.readFileSync(this.logFile, 'utf8');
      return text.split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  // --- HTTP API helpers -------------------------------------------------

  async get(pathAndQuery, headers = {}) {
    const res = await fetch(this.apiUrl + pathAndQuery, { headers, signal: AbortSignal.timeout(15000) });
    const body = Buffer.from(await res.arrayBuffer());
    return { status: res.status, headers: res.headers, contentType: res.headers.get('content-type') ?? '', body, text: body.toString('utf8') };
  }

  async post(pathAndQuery, body = undefined, headers = {}) {
    const res = await fetch(this.apiUrl + pathAndQuery, { method: 'POST', body, headers, signal: AbortSignal.timeout(15000) });
    const buf = Buffer.from(await res.arrayBuffer());
    return { status: res.status, headers: res.headers, contentType: res.headers.get('content-type') ?? '', body: buf, text: buf.toString('utf8') };
  }

  async metrics() {
    const res = await this.get('/metrics');
    if (res.status !== 200) throw new Error(`/metrics returned ${res.status}: ${res.text}`);
    return parsePrometheusText(res.text);
  }

  // Block directories that are complete: <blocks>/<tenant>/<block-id>/meta.json.
  completeBlocks(tenant = 'single-tenant') {
    const dir = path.join(this.blocksDir, tenant);
    if (!fs.existsSync(dir)) return [];
    return fs.readdirSync(dir).filter((id) => fs.existsSync(path.join(dir, id, 'meta.json')));
  }
}

// Parses Prometheus text exposition into [{name, labels, value}].
export function parsePrometheusText(text) {
  const out = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels = {};
    if (m[3]) {
      for (const lm of m[3].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[lm[1]] = lm[2];
    }
    out.push({ name: m[1], labels, value: Number(m[4]) });
  }
  return out;
}

// Sum of a metric's samples whose labels include `match`; null if no sample.
export function metricSum(samples, name, match = {}) {
  let sum = null;
  for (const s of samples) {
    if (s.name !== name) continue;
    if (!Object.entries(match).every(([k, v]) => s.labels[k] === v)) continue;
    sum = (sum ?? 0) + s.value;
  }
  return sum;
}

export async function waitFor(what, fn, { timeoutMs = 10000, intervalMs = 100 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}` +
        (last instanceof Error ? `: ${last.message}` : ''));
    }
    await sleep(intervalMs);
  }
}
