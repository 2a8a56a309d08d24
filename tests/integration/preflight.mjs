// Loaded with `node --import ./preflight.mjs` before any test file: fails the
// test run with a clear message when the npm test peers are not installed.
// (The test files import them statically, so without this check a missing
// node_modules would surface as a bare ERR_MODULE_NOT_FOUND.)
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const pkg = JSON.parse(fs.readFileSync(path.join(here, 'package.json'), 'utf8'));
const hint = 'run `scripts/install-deps.sh --test` (or `npm ci` in tests/integration)';

const missing = Object.keys(pkg.devDependencies ?? {})
  .filter((name) => !fs.existsSync(path.join(here, 'node_modules', name, 'package.json')));
if (missing.length > 0) {
  process.stderr.write(`integration tests: npm packages missing in tests/integration/node_modules: ${missing.join(', ')}\n` +
    `  ${hint}\n`);
  process.exit(1);
}

// install-deps.sh stamps node_modules with a hash of package.json and
// package-lock.json; a different hash means the lock file changed since.
const stampFile = path.join(here, 'node_modules', '.andante-deps-stamp');
if (fs.existsSync(stampFile)) {
  const h = crypto.createHash('sha256');
  for (const f of ['package.json', 'package-lock.json']) {
    const p = path.join(here, f);
    if (fs.existsSync(p)) h.update(fs.readFileSync(p));
  }
  if (fs.readFileSync(stampFile, 'utf8').trim() !== h.digest('hex')) {
    process.stderr.write(`integration tests: tests/integration/node_modules is out of date with package-lock.json\n  ${hint}\n`);
    process.exit(1);
  }
}

if (!process.env.ANDANTE_BIN) {
  process.stderr.write('integration tests: ANDANTE_BIN is not set (meson sets it; by hand: ANDANTE_BIN=build/server/andante)\n');
  process.exit(1);
}
