// A real S3 endpoint for integration tests: s3rver (npm) on loopback behind
// a SigV4-verifying (and optionally fault-injecting) proxy. Shared by
// s3.test.mjs (which explains why the proxy exists), s3_crash.test.mjs and
// seed_configs.test.mjs.
//
// s3rver 3.7 checks that the access key exists but does not verify SigV4
// signatures itself, so every request's signature is recomputed here with the
// `aws4` npm package (an independent SigV4 implementation) and its payload
// hash checked against the body; a mismatch is answered 403
// SignatureDoesNotMatch as S3 answers it, and only verified requests reach
// s3rver.
//
// s3rver 3.7 also lacks ListMultipartUploads (501 NotImplemented) and
// AbortMultipartUpload (405), which a crashed writer's leftovers need; given
// s3rver's directory, the proxy answers those two itself from s3rver's own
// record of open uploads (<dir>/<bucket>/._S3rver_uploads/<uploadId>/key),
// path-style requests only, as S3 documents them.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

import aws4 from 'aws4';
import S3rver from 's3rver';

import { Andante } from './harness.mjs';

export const BUCKET = 'tempo-traces';
export const REGION = 'garage';
export const ACCESS_KEY = 'S3RVER';  // s3rver's built-in account
export const SECRET_KEY = 'S3RVER';

export const sha256 = (data) => crypto.createHash('sha256').update(data).digest('hex');

export function s3Error(res, status, code, message) {
  const xml = '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${code}</Code><Message>${message}</Message></Error>`;
  res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(xml) });
  res.end(xml);
}

const AUTH_RE = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/;

// Why `req` (with `body`) fails SigV4 verification, or null if it passes.
export function verifySigV4(req, body) {
  const auth = req.headers.authorization;
  if (!auth) return [403, 'AccessDenied', 'Anonymous requests are not allowed'];
  const m = AUTH_RE.exec(auth);
  if (!m) return [400, 'AuthorizationHeaderMalformed', 'The authorization header is malformed'];
  const [, accessKeyId, day, region, signedList, signature] = m;
  if (accessKeyId !== ACCESS_KEY) return [403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist'];
  if (region !== REGION) return [400, 'AuthorizationHeaderMalformed', `the region '${region}' is wrong; expecting '${REGION}'`];
  const amzDate = req.headers['x-amz-date'] ?? '';
  if (!amzDate.startsWith(day)) return [403, 'SignatureDoesNotMatch', 'credential date does not match x-amz-date'];
  const when = Date.parse(amzDate.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z'));
  if (!(Math.abs(Date.now() - when) < 15 * 60 * 1000)) return [403, 'RequestTimeTooSkewed', 'The difference between the request time and the current time is too large'];
  const payloadHash = req.headers['x-amz-content-sha256'];
  if (payloadHash !== 'UNSIGNED-PAYLOAD' && payloadHash !== sha256(body)) {
    return [400, 'XAmzContentSHA256Mismatch', 'The provided x-amz-content-sha256 header does not match what was computed'];
  }
  const signed = signedList.split(';');
  for (const required of ['host', 'x-amz-date', 'x-amz-content-sha256']) {
    if (!signed.includes(required)) return [403, 'AccessDenied', `${required} must be signed`];
  }
  const headers = {};
  for (const name of signed) {
    if (req.headers[name] === undefined) return [403, 'SignatureDoesNotMatch', `signed header ${name} is missing`];
    headers[name] = req.headers[name];
  }
  const signer = new aws4.RequestSigner({
    service: 's3', region, method: req.method, host: req.headers.host, path: req.url, headers,
    doNotModifyHeaders: true, extraHeadersToInclude: { range: true },
  }, { accessKeyId, secretAccessKey: SECRET_KEY });
  signer.datetime = amzDate;
  const expected = Buffer.from(signer.signature(), 'hex');
  if (signer.signedHeaders() !== signedList || !crypto.timingSafeEqual(expected, Buffer.from(signature, 'hex'))) {
    return [403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.'];
  }
  return null;
}

const xmlEscape = (v) => String(v).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

// The multipart uploads s3rver holds open under `directory`:
// [{ uploadId, key, initiated (Date), dir }].
export function openUploads(directory) {
  const root = path.join(directory, BUCKET, '._S3rver_uploads');
  if (!fs.existsSync(root)) return [];
  const out = [];
  for (const uploadId of fs.readdirSync(root)) {
    const dir = path.join(root, uploadId);
    try {
      const keyFile = path.join(dir, 'key');
      out.push({ uploadId, key: fs.readFileSync(keyFile, 'utf8'), initiated: fs.statSync(keyFile).mtime, dir });
    } catch { /* being created or removed */ }
  }
  return out;
}

// ListMultipartUploads / AbortMultipartUpload for s3rver's `directory`;
// false if `req` is neither.
function answerUploads(req, res, directory) {
  const url = new URL(req.url, 'http://x');
  const bucketPath = `/${BUCKET}`;
  if (req.method === 'GET' && (url.pathname === bucketPath || url.pathname === `${bucketPath}/`) &&
      url.searchParams.has('uploads')) {
    const prefix = url.searchParams.get('prefix') ?? '';
    const uploads = openUploads(directory).filter((u) => u.key.startsWith(prefix))
      .sort((a, b) => (a.key === b.key ? a.uploadId.localeCompare(b.uploadId) : a.key < b.key ? -1 : 1));
    const xml = '<?xml version="1.0" encoding="UTF-8"?>\n' +
      '<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
      `<Bucket>${BUCKET}</Bucket><Prefix>${xmlEscape(prefix)}</Prefix><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker>` +
      `<MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>` +
      uploads.map((u) => `<Upload><Key>${xmlEscape(u.key)}</Key><UploadId>${u.uploadId}</UploadId>` +
        `<StorageClass>STANDARD</StorageClass><Initiated>${u.initiated.toISOString()}</Initiated></Upload>`).join('') +
      '</ListMultipartUploadsResult>';
    res.writeHead(200, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(xml) });
    res.end(xml);
    return true;
  }
  if (req.method === 'DELETE' && url.pathname.startsWith(`${bucketPath}/`) && url.searchParams.has('uploadId')) {
    const key = decodeURIComponent(url.pathname.slice(bucketPath.length + 1));
    const upload = openUploads(directory).find((u) => u.uploadId === url.searchParams.get('uploadId'));
    if (!upload || upload.key !== key) {
      s3Error(res, 404, 'NoSuchUpload', 'The specified upload does not exist.');
      return true;
    }
    fs.rmSync(upload.dir, { recursive: true, force: true });
    res.writeHead(204);
    res.end();
    return true;
  }
  return false;
}

// A verifying (and optionally fault-injecting) reverse proxy to s3rver.
// With `directory` (s3rver's), it also answers ListMultipartUploads and
// AbortMultipartUpload (see the top of the file).
export async function startProxy(targetPort, { directory } = {}) {
  const stats = {
    requests: 0, verified: 0, refused: {}, injected: 0, failEvery: 0, byMethod: {},
    delayEvery: 0, delayMs: 0, delayed: 0, hosts: new Set(),
  };
  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = Buffer.concat(chunks);
    stats.requests += 1;
    const problem = verifySigV4(req, body);
    if (problem) {
      stats.refused[problem[1]] = (stats.refused[problem[1]] ?? 0) + 1;
      return s3Error(res, ...problem);
    }
    stats.verified += 1;
    stats.byMethod[req.method] = (stats.byMethod[req.method] ?? 0) + 1;
    stats.hosts.add(req.headers.host);
    if (stats.failEvery > 0 && stats.verified % stats.failEvery === 0) {
      stats.injected += 1;
      return s3Error(res, 503, 'SlowDown', 'Please reduce your request rate.');
    }
    if (stats.delayEvery > 0 && stats.verified % stats.delayEvery === 0) {
      // A slow response: held back before it is even forwarded. The client
      // gives up on it (request timeout) and asks again.
      stats.delayed += 1;
      await new Promise((resolve) => setTimeout(resolve, stats.delayMs));
      if (res.destroyed || req.socket.destroyed) return;
    }
    if (directory && answerUploads(req, res, directory)) return;
    const up = http.request({ host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers: req.headers }, (upRes) => {
      res.writeHead(upRes.statusCode, upRes.headers);
      upRes.pipe(res);
    });
    up.on('error', () => s3Error(res, 502, 'InternalError', 'upstream failed'));
    up.end(body);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, stats, port: server.address().port };
}

// s3rver in a fresh temp directory, `buckets` created (default BUCKET), behind
// startProxy; the credentials go into the environment the server inherits,
// as the seeds pass them. `serviceEndpoint: 'localhost'` also answers
// virtual-host requests (<bucket>.s3.localhost resolves to loopback).
// Returns { dir, proxy, stop(), restart(), close() }: stop() takes s3rver down
// (an outage behind a still-listening proxy); restart() brings it back on the
// same port and directory; close() ends it all and removes the directory.
export async function startS3Endpoint({ serviceEndpoint, buckets = [BUCKET] } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'andante-s3rver-'));
  const options = {
    address: '127.0.0.1', silent: true, directory: dir, configureBuckets: buckets.map((name) => ({ name })),
    ...(serviceEndpoint ? { serviceEndpoint } : {}),
  };
  let s3rver = new S3rver({ ...options, port: 0 });
  const { port } = await s3rver.run();
  let down = false;
  const proxy = await startProxy(port, { directory: dir });
  process.env.AWS_ACCESS_KEY_ID = ACCESS_KEY;
  process.env.AWS_SECRET_ACCESS_KEY = SECRET_KEY;
  return {
    dir,
    proxy,
    async stop() {
      if (down) return;
      await s3rver.close();
      down = true;
    },
    async restart() {
      if (!down) return;
      s3rver = new S3rver({ ...options, port });
      await s3rver.run();
      down = false;
    },
    async close() {
      proxy.server.close();
      if (!down) await s3rver.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

// Andante with the harness's config, its storage section swapped for the
// seeds' Garage-shaped S3 block. Options beside the harness's: s3Port,
// s3Prefix, s3Extra (more keys under storage.trace.s3, indented 6) and
// storageExtra (under storage.trace, indented 4).
export class S3Andante extends Andante {
  configYaml() {
    const base = super.configYaml();
    const local = /    backend: local\n    local:\n      path: [^\n]*\n/;
    assert.match(base, local, 'harness storage section changed; update s3.test.mjs');
    return base.replace(local, `    backend: s3
    s3:
      bucket: ${BUCKET}
      endpoint: 127.0.0.1:${this.options.s3Port}
      region: ${REGION}
      insecure: true
      forcepathstyle: true
      list_with_delimiter: false  # s3rver's delimiter listings are incomplete
${this.options.s3Prefix ? `      prefix: ${this.options.s3Prefix}\n` : ''}${this.options.s3Extra ?? ''}    pool:
      max_workers: 16
      queue_depth: 1000
${this.options.storageExtra ?? ''}`);
  }
}
