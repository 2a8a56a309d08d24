// A real Prometheus (Debian's `prometheus`; PROMETHEUS_BIN overrides) in a
// temp dir, with the remote-write receiver and exemplar storage on, and
// helpers for its HTTP API.
//
//   const prom = new Prometheus();
//   await prom.start({ config: 'global:\n  scrape_interval: 1s\n' });
//   await prom.waitFor('up == 1');
//   await prom.cleanup();
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { freePort } from './harness.mjs';

const PROMETHEUS = process.env.PROMETHEUS_BIN ?? 'prometheus';

export class Prometheus {
  constructor() {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'andante-prom-'));
    this.child = null;
  }
  get url() { return `http://127.0.0.1:${this.port}`; }
  get writeUrl() { return `${this.url}/api/v1/write`; }

  // `config`: prometheus.yml's text (default: only a global scrape
  // interval); `files`: more files to write next to it ({name: text}).
  async start({ config = 'global:\n  scrape_interval: 15s\n', files = {} } = {}) {
    if (spawnSync(PROMETHEUS, ['--version']).error) {
      throw new Error(`${PROMETHEUS} not found: run scripts/install-deps.sh --test (Debian package prometheus)`);
    }
    this.port ??= await freePort();
    fs.writeFileSync(path.join(this.dir, 'prometheus.yml'), config);
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(this.dir, name), text);
    const log = fs.openSync(path.join(this.dir, 'prometheus.log'), 'a');
    this.child = spawn(PROMETHEUS, [
      `--config.file=${path.join(this.dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(this.dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${this.port}`,
      '--web.enable-remote-write-receiver',
      '--enable-feature=exemplar-storage',
    ], { stdio: ['ignore', log, log] });
    this.exited = new Promise((resolve) => this.child.once('exit', resolve));
    const deadline = Date.now() + 30000;
    while (Date.now() < deadline) {
      try {
        const r = await fetch(`${this.url}/-/ready`);
        if (r.ok) return;
      } catch { /* not listening yet */ }
      await sleep(200);
    }
    throw new Error(`prometheus did not become ready:\n${this.logTail()}`);
  }

  async stop() {
    if (!this.child) return;
    const child = this.child;
    this.child = null;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
    await this.exited;
    clearTimeout(timer);
  }

  logTail() {
    try {
      return fs.readFileSync(path.join(this.dir, 'prometheus.log'), 'utf8').split('\n').slice(-30).join('\n');
    } catch { return ''; }
  }

  async cleanup() {
    await this.stop();
    if (!process.env.ANDANTE_KEEP_TMP) fs.rmSync(this.dir, { recursive: true, force: true });
  }

  async api(p, params = {}) {
    const q = new URLSearchParams(params).toString();
    const r = await fetch(`${this.url}${p}?${q}`);
    const body = await r.json();
    assert.equal(body.status, 'success', `${p} ${q}: ${JSON.stringify(body)}`);
    return body.data;
  }

  // Instant query; the result vector.
  async query(expr, time) {
    const params = { query: expr };
    if (time !== undefined) params.time = String(time);
    return (await this.api('/api/v1/query', params)).result;
  }

  // Polls until `expr` returns a vector satisfying `ok`.
  async waitFor(expr, ok = (v) => v.length > 0, timeoutMs = 30000) {
    const deadline = Date.now() + timeoutMs;
    let last;
    while (Date.now() < deadline) {
      last = await this.query(expr);
      if (ok(last)) return last;
      await sleep(250);
    }
    throw new Error(`timed out waiting for ${expr}; last result ${JSON.stringify(last)}\n${this.logTail()}`);
  }
}
