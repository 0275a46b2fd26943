// `npm test`: type-checks, checks formatting and lint (scripts/lint.mjs), then runs the same
// spec files on every backend: jasmine in Node on cpu and wasm, karma in headless Chromium on
// webgl, webgpu, wasm and cpu. Ends with one line `N passed, N failed` summing every suite.
// Installs Debian's chromium when it is missing and we are root; otherwise stops with a message
// naming the package.
import {spawn, spawnSync} from 'node:child_process';
import {existsSync} from 'node:fs';

const CHROMIUM = process.env.CHROME_BIN || '/usr/bin/chromium';
const only = process.env.TEST_SUITES ? process.env.TEST_SUITES.split(',') : null;
const results = [];

function run(cmd, args, env = {}) {
  return new Promise(resolve => {
    const child = spawn(cmd, args, {
      env: {...process.env, ...env},
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', chunk => {
      out += chunk;
      process.stdout.write(chunk);
    });
    child.on('close', code => resolve({code, out}));
  });
}

/** Runs one suite and records the counts from its RESULT line (a crash counts as a failure). */
async function suite(name, cmd, args, env) {
  if (only && !only.includes(name)) return;
  console.log(`\n=== ${name}`);
  const {code, out} = await run(cmd, args, env);
  const line = out
    .split('\n')
    .reverse()
    .find(l => l.startsWith('RESULT '));
  const counts = line ? JSON.parse(line.slice(7)) : {passed: 0, failed: 0, skipped: 0};
  // A crash, or a suite that ran no spec, counts as a failure.
  if (!line || (code !== 0 && counts.failed === 0) || counts.passed + counts.failed === 0) {
    counts.failed++;
  }
  results.push({name, ...counts});
}

function ensureChromium() {
  if (existsSync(CHROMIUM)) return true;
  if (process.getuid && process.getuid() === 0) {
    console.log(`${CHROMIUM} is missing: installing Debian's chromium package (apt-get)...`);
    const apt = 'apt-get update -qq && apt-get install -y -qq chromium';
    spawnSync('bash', ['-c', apt], {stdio: 'inherit'});
    if (existsSync(CHROMIUM)) return true;
  }
  console.error(
    `\nThe browser suites need Chromium at ${CHROMIUM}. Install Debian's package ` +
      `'chromium' (as root: apt-get update && apt-get install -y chromium), or set ` +
      `CHROME_BIN to a Chromium binary.`
  );
  return false;
}

async function main() {
  if (!only || only.includes('typecheck')) {
    console.log('=== typecheck (tsc --noEmit)');
    const tsc = await run('npx', ['tsc', '--noEmit', '-p', 'tsconfig.json']);
    results.push({
      name: 'typecheck',
      passed: tsc.code === 0 ? 1 : 0,
      failed: tsc.code === 0 ? 0 : 1,
      skipped: 0,
    });
  }
  // Formatting (Biome for TypeScript/JavaScript, clang-format 14 for the C) and Biome's lint
  // rules, writing nothing: `npm run format` fixes the formatting.
  await suite('lint', 'node', ['scripts/lint.mjs']);
  if (!only || only.includes('wasm-modules')) {
    // The embedded wasm kernels are what their C sources build to (with Debian's clang 14 and
    // wasm-ld; without clang the check is skipped, and says so).
    console.log('\n=== wasm-modules (scripts/build-wasm.mjs --check)');
    const clang = spawnSync('clang', ['--version']).status === 0;
    const wasm = await run('node', ['scripts/build-wasm.mjs', '--check']);
    results.push({
      name: 'wasm-modules',
      passed: clang && wasm.code === 0 ? 1 : 0,
      failed: wasm.code === 0 ? 0 : 1,
      skipped: clang ? 0 : 1,
    });
  }
  const bundle = spawnSync(
    'npx',
    [
      'esbuild',
      'spec/entry_node.ts',
      '--bundle',
      '--platform=node',
      '--external:@tensorflow/*',
      '--external:jasmine',
      '--ignore-annotations',
      '--outfile=build/spec/node.cjs',
      '--log-level=warning',
    ],
    {stdio: 'inherit'}
  );
  if (bundle.status !== 0)
    results.push({name: 'bundle node specs', passed: 0, failed: 1, skipped: 0});
  for (const backend of ['cpu', 'wasm']) {
    await suite(
      `node-${backend}`,
      'node',
      ['scripts/run-jasmine.cjs', 'build/spec/node.cjs', `node-${backend}`],
      {TFJS_BACKEND: backend}
    );
  }
  const browserSuites = ['webgl', 'webgpu', 'wasm', 'cpu'].filter(
    b => !only || only.includes(`browser-${b}`)
  );
  if (browserSuites.length > 0) {
    // Two bundles, each run in a page of its own (see spec/specs_1d.ts for why).
    const bundles = [
      ['spec/entry_browser.ts', 'build/spec/browser.js'],
      ['spec/entry_browser_1d.ts', 'build/spec/browser_1d.js'],
    ];
    const built = bundles.every(
      ([entry, outfile]) =>
        spawnSync(
          'npx',
          [
            'esbuild',
            entry,
            '--bundle',
            '--platform=browser',
            '--format=iife',
            '--target=es2020',
            '--ignore-annotations',
            '--define:process.env.NODE_ENV="test"',
            `--outfile=${outfile}`,
            '--log-level=warning',
          ],
          {stdio: 'inherit'}
        ).status === 0
    );
    if (!built) {
      results.push({name: 'bundle browser specs', passed: 0, failed: 1, skipped: 0});
    } else if (ensureChromium()) {
      for (const backend of browserSuites) {
        for (const [, bundle] of bundles) {
          await suite(`browser-${backend}`, 'npx', ['karma', 'start', 'karma.conf.js'], {
            TFJS_BACKEND: backend,
            CHROME_BIN: CHROMIUM,
            SPEC_BUNDLE: bundle,
          });
        }
      }
    } else {
      results.push({name: 'browser (no chromium)', passed: 0, failed: 1, skipped: 0});
    }
  }
  if ((!only || only.includes('e2e')) && ensureChromium()) {
    const builds = [
      ['npm', ['run', 'build']],
      ['npm', ['run', 'build:web']],
    ];
    if (builds.every(([cmd, args]) => spawnSync(cmd, args, {stdio: 'inherit'}).status === 0)) {
      await suite('e2e', 'node', ['scripts/e2e.mjs'], {CHROME_BIN: CHROMIUM});
    } else {
      results.push({name: 'e2e (build failed)', passed: 0, failed: 1, skipped: 0});
    }
  }
  // A suite run in several pages (the browser suites) counts once, its pages summed.
  const merged = [];
  for (const r of results) {
    const same = merged.find(m => m.name === r.name);
    if (same)
      for (const k of ['passed', 'failed', 'skipped']) same[k] = (same[k] ?? 0) + (r[k] ?? 0);
    else merged.push({...r});
  }
  results.splice(0, results.length, ...merged);
  console.log('\n=== summary');
  for (const r of results) {
    console.log(
      `${r.name}: ${r.passed} passed, ${r.failed} failed` +
        (r.skipped ? `, ${r.skipped} skipped` : '')
    );
  }
  const passed = results.reduce((s, r) => s + r.passed, 0);
  const failed = results.reduce((s, r) => s + r.failed, 0);
  const skipped = results.reduce((s, r) => s + (r.skipped ?? 0), 0);
  console.log(`${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ''));
  process.exit(failed === 0 && passed > 0 ? 0 : 1);
}
main();
