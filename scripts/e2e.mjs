// End-to-end checks, counted by scripts/test.mjs: the demo page in headless Chromium
// (Playwright), the <script>-tag bundle after tfjs's UMD bundle, and the npm package itself
// (pack contents, CommonJS with the @tensorflow/tfjs umbrella, the ESM build in a bundler).
// Needs `npm run build` and `npm run build:web` first (scripts/test.mjs runs them).
import {execFileSync, spawnSync} from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import {gzipSync} from 'node:zlib';
import {createRequire} from 'node:module';
import {chromium} from 'playwright-core';
import {build} from 'esbuild';

import {startServer} from './serve.mjs';

const require = createRequire(import.meta.url);
const counts = {suite: 'e2e', passed: 0, failed: 0, skipped: 0};

async function check(name, fn) {
  const start = Date.now();
  try {
    await fn();
    counts.passed++;
    console.log(`  ok   ${name} (${((Date.now() - start) / 1000).toFixed(1)} s)`);
  } catch (e) {
    counts.failed++;
    console.log(`  FAIL ${name}: ${(e && e.stack) || e}`);
  }
}

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

const {WEBGPU} = require('./chromium_flags.cjs');

/**
 * The forced GPU runs' settings. SwiftShader's WebGL trains 600 x 5 in ~50 s, well above chance;
 * its WebGPU takes 10-20 s a batch here, so that run trains two batches and checks that the page
 * works on webgpu, not how well two batches classify.
 */
const GPU_RUNS = {
  webgl: {query: 'train=600&epochs=5&test=200', minAccuracy: 0.7},
  webgpu: {query: 'train=64&epochs=1&test=64', minAccuracy: 0},
};

/**
 * A mono 16-bit 48 kHz wav for Chromium's fake microphone: a square wave whose pitch steps
 * between 20 and 60 Hz, so the live classifier has something to hear.
 */
function writeFakeAudio(path, seconds = 4) {
  const rate = 48000;
  const samples = rate * seconds;
  const wav = Buffer.alloc(44 + 2 * samples);
  wav.write('RIFF', 0);
  wav.writeUInt32LE(36 + 2 * samples, 4);
  wav.write('WAVEfmt ', 8);
  wav.writeUInt32LE(16, 16);
  wav.writeUInt16LE(1, 20);
  wav.writeUInt16LE(1, 22);
  wav.writeUInt32LE(rate, 24);
  wav.writeUInt32LE(2 * rate, 28);
  wav.writeUInt16LE(2, 32);
  wav.writeUInt16LE(16, 34);
  wav.write('data', 36);
  wav.writeUInt32LE(2 * samples, 40);
  for (let i = 0; i < samples; i++) {
    const hz = 20 + 20 * Math.floor(((2 * i) / rate) % 3);
    const value = ((i * hz) / rate) % 1 < 0.5 ? 0.25 : -0.25;
    wav.writeInt16LE(Math.round(value * 32767), 44 + 2 * i);
  }
  mkdirSync('build', {recursive: true});
  writeFileSync(path, wav);
}

/**
 * Streams a live signal in the demo page (generated waves or the fake microphone, through the
 * Web Worker, and for the microphone the AudioWorklet), takes a screenshot, stops, and returns
 * what the page measured: the largest difference between its streamed outputs and its own model
 * offline on the same samples, the samples checked, the latency line, the samples dropped.
 */
async function liveCheck(page, button, screenshot, minFrames = 400) {
  await page.click(button);
  await page.waitForFunction(
    n =>
      Number(document.body.dataset.liveFrames ?? 0) >= n || document.body.dataset.state === 'error',
    minFrames,
    {timeout: 120000}
  );
  assert(
    (await page.getAttribute('body', 'data-state')) === 'live',
    `live ${button}: ${await page.textContent('#status')}`
  );
  const status = await page.textContent('#status');
  // Probabilities arrived and were drawn; the latency line is up to date.
  await page.waitForFunction(() => document.body.dataset.liveLatency !== undefined, null, {
    timeout: 10000,
  });
  const latency = await page.textContent('#live-latency');
  assert(
    /^push \d+\.\d ms \(median \d+\.\d ms\) for \d+ samples, \d+ outputs; shown \d+ ms after its newest sample was sent \(its oldest waited \d+ ms for the push\)$/.test(
      latency
    ),
    `live ${button}: latency line "${latency}"`
  );
  assert(
    /^now: (sine|square|sawtooth|chirp) \(\d+%\)$/.test(await page.textContent('#live-class')),
    `live ${button}: no current class shown`
  );
  const behind = await page.textContent('#live-behind');
  await page.screenshot({path: screenshot, fullPage: true});
  await page.click('#live-stop');
  await page.waitForSelector('body[data-state="live-checked"], body[data-state="error"]', {
    timeout: 120000,
  });
  const state = await page.getAttribute('body', 'data-state');
  assert(state === 'live-checked', `live ${button}: ${await page.textContent('#status')}`);
  const diff = Number(await page.getAttribute('body', 'data-live-max-diff'));
  const samples = Number(await page.getAttribute('body', 'data-live-samples'));
  const dropped = Number(await page.getAttribute('body', 'data-live-dropped'));
  assert(samples >= 2 * minFrames * 0.9, `live ${button}: only ${samples} samples checked`);
  assert(diff <= 1e-3, `live ${button}: streamed outputs differ from the offline model by ${diff}`);
  return {
    status,
    diff,
    samples,
    latency,
    behind,
    dropped,
    maxPush: Number(await page.getAttribute('body', 'data-live-max-push')),
  };
}

/**
 * Opens the demo page with `query` and autostart, waits until it has trained (seeing the
 * per-batch progress on the way), and checks what every run shows: the chart, a prediction,
 * the summary. Returns the page and its errors.
 */
async function trainedDemo(browser, url, query) {
  const page = await browser.newPage({viewport: {width: 1000, height: 1000}});
  const errors = [];
  page.on('pageerror', e => errors.push(String(e)));
  // Every status line the page shows, however briefly (a short training yields only to paint).
  await page.addInitScript(() => {
    window.statusLines = [];
    document.addEventListener('DOMContentLoaded', () => {
      const status = document.getElementById('status');
      new MutationObserver(() => window.statusLines.push(status.textContent)).observe(status, {
        childList: true,
        characterData: true,
        subtree: true,
      });
    });
  });
  await page.goto(`${url}/demo/web/?autostart=1${query}`, {waitUntil: 'domcontentloaded'});
  await page.waitForSelector('body[data-state="trained"], body[data-state="error"]', {
    timeout: 600000,
  });
  const state = await page.getAttribute('body', 'data-state');
  assert(state === 'trained', `page state ${state}: ${await page.textContent('#status')}`);
  // Progress per batch, not only per epoch: the page never sits on one line for a whole epoch.
  const lines = await page.evaluate(() => window.statusLines);
  assert(
    lines.some(l => /^epoch \d+\/\d+, batch \d+\/\d+: loss/.test(l)),
    `no per-batch progress seen during training (saw ${JSON.stringify(lines)})`
  );
  const points = Number(await page.getAttribute('#chart', 'data-points'));
  const accuracy = Number(await page.getAttribute('body', 'data-accuracy'));
  assert(await page.$('#predicted'), 'no prediction shown after training');
  assert(
    (await page.textContent('#summary')).includes('sepconv1 (DepthSeparableConv1d)'),
    'no model summary'
  );
  return {page, errors, points, accuracy, status: await page.textContent('#status')};
}

/** Saves the page's model to IndexedDB, reloads it, checks it predicts the same. */
async function saveAndReload(page) {
  await page.click('#save');
  await page.waitForSelector('body[data-state="saved"]', {timeout: 60000});
  await page.click('#reload');
  await page.waitForSelector('body[data-state="reloaded"]', {timeout: 60000});
  assert(
    (await page.getAttribute('body', 'data-reload-identical')) === 'true',
    'reloaded model predicts differently'
  );
  await page.click('#pick-square');
  await page.waitForSelector('#predicted');
}

/** `npm pack` into build/; returns the tarball's path. */
function packTarball() {
  const [info] = JSON.parse(
    execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', 'build'], {
      encoding: 'utf8',
    })
  );
  return `${process.cwd()}/build/${info.filename}`;
}

/**
 * A fresh project in `dir` with the packed package unpacked in node_modules, and tfjs: this
 * checkout's (linked) when `version` is null, else that version from the npm registry (kept
 * between runs). Returns the folder.
 */
function consumerProject(dir, tarball, version) {
  const modules = `${dir}/node_modules`;
  mkdirSync(modules, {recursive: true});
  writeFileSync(`${dir}/package.json`, JSON.stringify({name: 'consumer', private: true}));
  if (version == null) {
    rmSync(`${modules}/@tensorflow`, {recursive: true, force: true});
    symlinkSync(`${process.cwd()}/node_modules/@tensorflow`, `${modules}/@tensorflow`);
  } else if (
    !existsSync(`${modules}/@tensorflow/tfjs-core/package.json`) ||
    require(`${process.cwd()}/${modules}/@tensorflow/tfjs-core/package.json`).version !== version
  ) {
    execFileSync(
      'npm',
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--no-package-lock',
        '--no-save',
        '--ignore-scripts',
        ...['core', 'layers', 'backend-cpu', 'backend-wasm', 'backend-webgl'].map(
          p => `@tensorflow/tfjs-${p}@${version}`
        ),
      ],
      {cwd: dir, stdio: ['ignore', 'ignore', 'inherit']}
    );
  }
  const target = `${modules}/tfjs-depth-separable-conv1d`;
  rmSync(target, {recursive: true, force: true});
  mkdirSync(target);
  execFileSync('tar', ['xzf', tarball, '-C', target, '--strip-components=1']);
  for (const f of [
    'consumer.mjs',
    'consumer.cjs',
    'consumer_webgl.mjs',
    'consumer_types.ts',
    'consumer_types_invalid.ts',
  ]) {
    writeFileSync(`${dir}/${f}`, readFileSync(`spec/e2e/${f}`));
  }
  return dir;
}

/** The module settings TypeScript users have: [--module, --moduleResolution, the extensions compiled]. */
const TYPE_MODES = [
  ['node16', 'node16', ['mts', 'cts']],
  ['nodenext', 'nodenext', ['mts', 'cts']],
  ['esnext', 'bundler', ['ts']],
];

/**
 * Compiles the consumer's type programs in `dir` under one module resolution with skipLibCheck,
 * as ESM (.mts) and CommonJS (.cts) copies where the resolution tells them apart. Returns the
 * problems: a line marked `must not compile` that compiles (its types decayed to `any`, say), or
 * an error anywhere else.
 */
function typeProblems(dir, [module, resolution, extensions]) {
  const files = extensions.flatMap(ext =>
    ['consumer_types', 'consumer_types_invalid'].map(name => {
      writeFileSync(`${dir}/${name}.${ext}`, readFileSync(`spec/e2e/${name}.ts`));
      return `${name}.${ext}`;
    })
  );
  const tsc = spawnSync(
    'node',
    [
      `${process.cwd()}/node_modules/typescript/bin/tsc`,
      '--noEmit',
      '--strict',
      '--skipLibCheck',
      '--module',
      module,
      '--moduleResolution',
      resolution,
      '--target',
      'es2020',
      ...files,
    ],
    {cwd: dir, encoding: 'utf8'}
  );
  const output = `${tsc.stdout}${tsc.stderr}`;
  const errors = new Map();
  for (const [, file, line, message] of output.matchAll(
    /^(\S+)\((\d+),\d+\): error (TS\d+: .*)$/gm
  )) {
    errors.set(`${file}:${line}`, message);
  }
  const problems = output
    .split('\n')
    .filter(l => /error TS/.test(l) && !/^\S+\(\d+,\d+\): error/.test(l));
  for (const file of files) {
    readFileSync(`${dir}/${file}`, 'utf8')
      .split('\n')
      .forEach((text, i) => {
        const where = `${file}:${i + 1}`;
        const marked = text.includes('// must not compile');
        if (marked && !errors.has(where)) problems.push(`${where} compiles: ${text.trim()}`);
        if (!marked && errors.has(where)) problems.push(`${where}: ${errors.get(where)}`);
      });
  }
  if (tsc.status === 0 || errors.size === 0)
    problems.push(`tsc exited with ${tsc.status}: ${output}`);
  return problems.map(p => `--moduleResolution ${resolution}: ${p}`);
}

async function main() {
  const {server, url} = await startServer('.');
  const fakeAudio = 'build/fake-microphone.wav';
  writeFakeAudio(fakeAudio);
  const browser = await chromium.launch({
    executablePath: process.env.CHROME_BIN || '/usr/bin/chromium',
    headless: true,
    args: [
      ...WEBGPU,
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-audio-capture=${fakeAudio}`,
    ],
  });
  try {
    // Chance is 25% (four classes); the seeded runs below reach 80-90%.
    const MIN_ACCURACY = 0.7;
    await check(
      'demo page with no ?backend= under SwiftShader: picks wasm and says why; the default settings ' +
        'train to >= 70% with per-batch progress; IndexedDB save/reload identical; live generated waves and ' +
        'the fake microphone (the exported stream run inside its AudioWorklet, wasm SIMD products) stream ' +
        'exactly, with latency shown',
      async () => {
        const {page, errors, points, accuracy, status} = await trainedDemo(browser, url, '');
        const backend = await page.getAttribute('body', 'data-backend');
        const reason = await page.textContent('#backend-reason');
        assert(backend === 'wasm', `the page picked ${backend} on SwiftShader (${reason})`);
        assert(
          /WebGPU's adapter \(.*swiftshader.*\) and WebGL's renderer \(.*SwiftShader.*\) are software renderers/i.test(
            reason
          ),
          `the page does not say why it picked wasm: "${reason}"`
        );
        assert(accuracy >= MIN_ACCURACY, `default settings: test accuracy ${accuracy} (${status})`);
        assert(points === 8 * 63, `the chart has ${points} points, not one per batch`);
        await saveAndReload(page);
        const waves = await liveCheck(page, '#live-waves', 'build/demo-live-waves.png');
        const mic = await liveCheck(page, '#live-mic', 'build/demo-live-mic.png');
        assert(
          /in the AudioWorklet \(runtime without tfjs, products in wasm SIMD\)/.test(mic.status),
          `the microphone does not run in the worklet with SIMD: "${mic.status}"`
        );
        await page.screenshot({path: 'build/demo-wasm.png', fullPage: true});
        assert(errors.length === 0, `page errors: ${errors.join('; ')}`);
        console.log(`       ${status}\n       backend wasm: ${reason}`);
        console.log(
          `       live waves: ${waves.samples} samples checked, max |diff| ${waves.diff.toExponential(1)}; ${waves.latency}`
        );
        console.log(
          `       live microphone (fake capture of ${fakeAudio}): ${mic.samples} samples checked, max |diff| ${mic.diff.toExponential(
            1
          )}; ${mic.latency}\n       ${mic.status}`
        );
        console.log(
          '       screenshots build/demo-wasm.png, build/demo-live-waves.png, build/demo-live-mic.png'
        );
        await page.close();
      }
    );

    await check(
      'demo live path when pushes fall behind (?slow=150): chunks batched into one push, the oldest ' +
        'dropped past the bound, both shown; the stream still equals the offline model on what it was pushed',
      async () => {
        const {page, errors} = await trainedDemo(browser, url, '&train=200&epochs=1&slow=150');
        const mic = await liveCheck(page, '#live-mic', 'build/demo-live-slow.png', 300);
        assert(mic.dropped > 0, `nothing dropped at 150 ms a push (${mic.behind})`);
        assert(
          /^behind: \d+ chunks in one push; dropped \d+ samples so far/.test(mic.behind),
          `no behind indicator: "${mic.behind}"`
        );
        assert(
          mic.maxPush <= 192,
          `a push took ${mic.maxPush} samples, more than the queue's bound`
        );
        assert(errors.length === 0, `page errors: ${errors.join('; ')}`);
        console.log(
          `       ${mic.behind}; largest push ${mic.maxPush} samples; max |diff| ${mic.diff.toExponential(1)}` +
            '; screenshot build/demo-live-slow.png'
        );
        await page.close();
      }
    );

    // Forced GPU backends (SwiftShader here).
    for (const [backend, run] of Object.entries(GPU_RUNS)) {
      await check(
        `demo page on ${backend} (?backend=${backend}): trains${
          run.minAccuracy ? ` to >= ${100 * run.minAccuracy}%` : ' (two batches)'
        }, IndexedDB save/reload identical, ` + 'live waves through the worker exactly',
        async () => {
          const {page, errors, accuracy, status} = await trainedDemo(
            browser,
            url,
            `&backend=${backend}&${run.query}`
          );
          const ran = await page.getAttribute('body', 'data-backend');
          assert(ran === backend, `the page ran on ${ran}, not ${backend}`);
          assert(
            (await page.textContent('#backend-reason')).includes(`forced by ?backend=${backend}`),
            'no reason shown'
          );
          assert(accuracy >= run.minAccuracy, `${backend}: test accuracy ${accuracy} (${status})`);
          await saveAndReload(page);
          const waves = await liveCheck(page, '#live-waves', `build/demo-live-${backend}.png`, 200);
          await page.screenshot({path: `build/demo-web-${backend}.png`, fullPage: true});
          assert(errors.length === 0, `page errors: ${errors.join('; ')}`);
          console.log(
            `       ${status}; live waves ${waves.samples} samples, max |diff| ${waves.diff.toExponential(1)}; ` +
              `screenshot build/demo-web-${backend}.png`
          );
          await page.close();
        }
      );
    }

    await check("<script> bundle after tfjs's tf.min.js: op, layer, save and load", async () => {
      const page = await browser.newPage();
      await page.goto(`${url}/spec/e2e/script_tag.html`, {waitUntil: 'domcontentloaded'});
      await page.waitForFunction(() => window.result !== undefined, null, {timeout: 60000});
      const result = await page.evaluate(() => window.result);
      assert(!result.error, result.error);
      assert(JSON.stringify(result.y) === JSON.stringify([6, 10, 14]), `y = ${result.y}`);
      assert(result.identical, 'reloaded predictions differ');
      assert(result.className === 'DepthSeparableConv1d', `class ${result.className}`);
      for (const name of [
        'separableConv1d',
        'DepthSeparableConv1d',
        'SeparableConv1D',
        'depthSeparableConv1d',
        'loadTorchWeights',
        'toTorchStateDict',
        'ValueError',
      ]) {
        assert(result.exports.includes(name), `global lacks ${name}`);
      }
      await page.close();
    });
  } finally {
    await browser.close();
    server.close();
  }

  // The package as a user installs it: packed, unpacked into fresh projects beside tfjs 4.22
  // (this checkout's) and 4.0.0 (the oldest the peer range allows, from the npm registry).
  const tarball = packTarball();
  const projects = {4.22: consumerProject('build/consumer-4.22', tarball, null), '4.0.0': null};
  for (const [version, label] of [
    ['4.22', 'the newest tfjs 4'],
    ['4.0.0', 'the oldest tfjs the peer range allows'],
  ]) {
    await check(
      `the packed package in a fresh Node project with ${label} (${version}): ESM on cpu and wasm ` +
        `(op, gradient, layer, fit, fileSystem save/load, stream), CommonJS, types`,
      async () => {
        const dir = (projects[version] ??= consumerProject(
          `build/consumer-${version}`,
          tarball,
          version
        ));
        for (const script of [
          ['consumer.mjs', 'cpu'],
          ['consumer.mjs', 'wasm'],
          ['consumer.cjs'],
        ]) {
          const out = execFileSync('node', script, {
            cwd: dir,
            encoding: 'utf8',
            stdio: ['ignore', 'pipe', 'pipe'],
          });
          const line = JSON.parse(out.trim().split('\n').pop());
          assert(line.ok, `${script.join(' ')}: ${out}`);
          if (version !== '4.22')
            assert(line.tfjs === version, `${script.join(' ')} ran tfjs ${line.tfjs}`);
        }
        // The .d.ts files import some types from tfjs-layers' dist/ folder: each must be there,
        // named with .js (an ESM program under node16/nodenext resolves no path without it).
        const pkg = `${dir}/node_modules/tfjs-depth-separable-conv1d`;
        const declarations = execFileSync('find', [`${pkg}/dist`, '-name', '*.d.ts'], {
          encoding: 'utf8',
        })
          .trim()
          .split('\n');
        for (const file of declarations) {
          for (const [, names, from] of readFileSync(file, 'utf8').matchAll(
            /import(?: type)? \{([^}]*)\} from '(@tensorflow\/[^']+\/dist\/[^']+)'/g
          )) {
            assert(
              from.endsWith('.js'),
              `${file} imports ${from} without .js: ESM projects under node16/nodenext cannot resolve it`
            );
            const target = `${dir}/node_modules/${from.slice(0, -'.js'.length)}.d.ts`;
            assert(
              existsSync(target),
              `${file} imports ${from}, which tfjs ${version} does not have`
            );
            const text = readFileSync(target, 'utf8');
            // `GRU as TfjsGRU` imports the name before `as`.
            for (const name of names
              .split(',')
              .map(n => n.trim().split(/\s+as\s+/)[0])
              .filter(Boolean)) {
              assert(
                new RegExp(
                  `export (declare )?(type|interface|class|abstract class|function|const) ${name}\\b|export \\{[^}]*\\b${name}\\b`
                ).test(text),
                `${from} in tfjs ${version} does not export ${name}`
              );
            }
          }
        }
        // TypeScript programs against the package, in each module resolution users have.
        const problems = TYPE_MODES.flatMap(mode => typeProblems(dir, mode));
        assert(problems.length === 0, `types (skipLibCheck on):\n${problems.join('\n')}`);
        console.log(
          `       ${dir}: ESM cpu and wasm, CommonJS ran on tfjs ${version}; types compile (node16, nodenext, ` +
            `bundler; ESM and CommonJS; skipLibCheck), none is any, the invalid programs fail on each ` +
            `marked line; every dist/ type import exists`
        );
      }
    );
  }

  for (const version of ['4.22', '4.0.0']) {
    await check(
      `webgl in Chromium with tfjs ${version}: the op, its gradients (the dedicated webgl kernel) and ` +
        `the layer give cpu's numbers`,
      async () => {
        const dir = projects[version];
        assert(dir, `no tfjs ${version} project`);
        await build({
          entryPoints: [`${dir}/consumer_webgl.mjs`],
          absWorkingDir: process.cwd(),
          bundle: true,
          format: 'iife',
          outfile: `${dir}/consumer_webgl.js`,
          logLevel: 'silent',
          nodePaths: [`${dir}/node_modules`],
        });
        writeFileSync(
          `${dir}/webgl.html`,
          '<!doctype html><script src="consumer_webgl.js"></script>'
        );
        const {server, url} = await startServer('.');
        const browser = await chromium.launch({
          executablePath: process.env.CHROME_BIN || '/usr/bin/chromium',
          headless: true,
          args: WEBGPU,
        });
        try {
          const page = await browser.newPage();
          await page.goto(`${url}/${dir}/webgl.html`);
          await page.waitForFunction(() => window.result !== undefined, null, {timeout: 120000});
          const result = await page.evaluate(() => window.result);
          assert(!result.error, result.error);
          assert(result.backend === 'webgl', `ran on ${result.backend}`);
          if (version !== '4.22') assert(result.tfjs === version, `ran tfjs ${result.tfjs}`);
          assert(result.worst <= 1e-3, `webgl differs from cpu by ${result.worst}`);
          console.log(
            `       tfjs ${result.tfjs} webgl vs cpu: max relative difference ${result.worst.toExponential(1)}`
          );
        } finally {
          await browser.close();
          server.close();
        }
      }
    );
  }

  await check(
    "two copies of tfjs (4.0.0 beside 4.22): the op takes the other copy's tensors; a model of the other " +
      'copy is a ValueError that says two copies are loaded',
    async () => {
      const old = projects['4.0.0'];
      assert(old, 'no tfjs 4.0.0 project');
      // The package from the 4.22 project keeps its tfjs; the program's tensors and models are 4.0.0's.
      const script = `
      const tf = require('@tensorflow/tfjs-core'); const tfl = require('@tensorflow/tfjs-layers');
      require('@tensorflow/tfjs-backend-cpu');
      const lib = require(${JSON.stringify(`${process.cwd()}/build/consumer-4.22/node_modules/tfjs-depth-separable-conv1d`)});
      // The copies share one engine and tfjs-core's instanceof is duck-typed: tensors work.
      const y = Array.from(lib.separableConv1d(tf.ones([1, 4, 1]), tf.ones([2, 1, 1]), tf.ones([1, 1, 1])).dataSync());
      const messages = [];
      try { tfl.sequential({layers: [new lib.DepthSeparableConv1d({inputShape: [4, 1], filters: 1, kernelSize: 2})]}); }
      catch (e) { messages.push(e.message); }
      console.log(JSON.stringify({y, messages}));`;
      const {y, messages} = JSON.parse(
        execFileSync('node', ['-e', script], {cwd: old, encoding: 'utf8'}).trim().split('\n').pop()
      );
      assert(y.join() === '2,2,2', `the op on the other copy's tensors gave ${y}`);
      assert(messages.length === 1, `expected the model to throw, got ${JSON.stringify(messages)}`);
      assert(
        /another copy of @tensorflow\/tfjs-layers/.test(messages[0]) &&
          /npm ls/.test(messages[0]) &&
          /dedupe/.test(messages[0]),
        messages[0]
      );
    }
  );

  await check(
    'source maps of the package embed their sources; publint and arethetypeswrong report nothing',
    async () => {
      const root = `${projects['4.22']}/node_modules/tfjs-depth-separable-conv1d`;
      const maps = execFileSync('find', [root, '-name', '*.map'], {encoding: 'utf8'})
        .trim()
        .split('\n');
      assert(maps.length > 10, `only ${maps.length} maps`);
      for (const map of maps) {
        const m = JSON.parse(readFileSync(map, 'utf8'));
        assert(
          Array.isArray(m.sourcesContent) &&
            m.sourcesContent.length === m.sources.length &&
            m.sourcesContent.every(c => typeof c === 'string' && c.length > 0),
          `${map} lacks sourcesContent`
        );
      }
      const publint = spawnSync('node', ['node_modules/publint/src/cli.js', root, '--strict'], {
        encoding: 'utf8',
      });
      assert(
        publint.status === 0 &&
          /All good|No problems found/.test(publint.stdout) &&
          !/Suggestions:|Warnings:|Errors:/.test(publint.stdout),
        `publint: ${publint.stdout}${publint.stderr}`
      );
      const attw = spawnSync(
        'node',
        ['node_modules/@arethetypeswrong/cli/dist/index.js', tarball, '--format', 'ascii'],
        {encoding: 'utf8'}
      );
      assert(
        attw.status === 0 && /No problems found/.test(attw.stdout),
        `arethetypeswrong: ${attw.stdout}${attw.stderr}`
      );
      console.log(
        `       ${maps.length} maps with sources; publint: no problems, no suggestions; arethetypeswrong: no problems`
      );
    }
  );

  await check('npm pack: types and builds in, no specs, fixtures or demo', async () => {
    const [info] = JSON.parse(
      execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {encoding: 'utf8'})
    );
    const files = info.files.map(f => f.path);
    for (const f of [
      'dist/esm/index.js',
      'dist/esm/index.d.ts',
      'dist/cjs/index.js',
      'dist/esm/onnx.js',
      'dist/esm/onnx.d.ts',
      'dist/cjs/onnx.js',
      'dist/tfjs-depth-separable-conv1d.min.js',
      'dist/tfjs-depth-separable-conv1d-onnx.min.js',
      'package.json',
      'README.md',
    ]) {
      assert(files.includes(f), `${f} missing from the package`);
    }
    const stray = files.filter(
      f => /^(spec|demo|bench|scripts|src)\//.test(f) || /fixture/.test(f)
    );
    assert(stray.length === 0, `should not ship: ${stray.join(', ')}`);
    const pkg = require('../package.json');
    // The one dependency is the ONNX importer's protobuf decoder, which only the /onnx entry
    // point loads (npm run build fails if the core bundle holds it).
    const dependencies = Object.keys(pkg.dependencies ?? {}).join();
    assert(
      dependencies === 'protobufjs',
      `the package's only dependency must be protobufjs (for /onnx): ${dependencies}`
    );
    assert(
      Object.keys(pkg.peerDependencies).sort().join() ===
        '@tensorflow/tfjs-core,@tensorflow/tfjs-layers',
      'peerDependencies must be tfjs-core and tfjs-layers'
    );
    console.log(
      `       ${files.length} files, ${(info.unpackedSize / 1024).toFixed(0)} KiB unpacked`
    );
  });

  await check(
    'CommonJS build with the @tensorflow/tfjs umbrella: op, layer, save/load',
    async () => {
      const tf = require('@tensorflow/tfjs');
      const lib = require('../dist/cjs/index.js');
      await tf.setBackend('cpu');
      const model = tf.sequential({
        layers: [new lib.DepthSeparableConv1d({inputShape: [6, 2], filters: 2, kernelSize: 3})],
      });
      let saved;
      await model.save(
        tf.io.withSaveHandler(async a => {
          saved = a;
          return {modelArtifactsInfo: {dateSaved: new Date(), modelTopologyType: 'JSON'}};
        })
      );
      const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved));
      const x = tf.ones([1, 6, 2]);
      const [a, b] = [await model.predict(x).data(), await loaded.predict(x).data()];
      assert(a.length === 8 && a.every((v, i) => v === b[i]), 'umbrella round trip differs');
      const y = lib.separableConv1d([[[1], [2], [3], [4]]], [[[1]], [[1]]], [[[2]]]);
      assert(Array.from(y.dataSync()).join() === '6,10,14', `op gave ${y.dataSync()}`);
    }
  );

  await check('ESM build bundles (esbuild) with tfjs-core and tfjs-layers external', async () => {
    const out = await build({
      stdin: {
        contents: "export {separableConv1d, DepthSeparableConv1d} from './dist/esm/index.js';",
        resolveDir: '.',
        loader: 'js',
      },
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      external: ['@tensorflow/tfjs-core', '@tensorflow/tfjs-layers'],
      logLevel: 'silent',
    });
    const code = out.outputFiles[0].text;
    assert(code.includes('registerClass'), 'the layer registration was dropped by the bundler');
    assert(!code.includes('makeTensor('), 'tfjs-core was bundled in');
  });

  await check(
    'runtime entry (loadStream) bundles with no tfjs module; size beside tfjs',
    async () => {
      const bundle = async contents => {
        const out = await build({
          stdin: {contents, resolveDir: '.', loader: 'js'},
          bundle: true,
          write: false,
          minify: true,
          format: 'esm',
          platform: 'browser',
          metafile: true,
          logLevel: 'silent',
        });
        const code = out.outputFiles[0].contents;
        return {
          inputs: Object.keys(out.metafile.inputs),
          min: code.length,
          gzip: gzipSync(code).length,
        };
      };
      const runtime = await bundle("export {loadStream} from './dist/esm/runtime.js';");
      const tfjs = runtime.inputs.filter(i => i.includes('@tensorflow'));
      assert(tfjs.length === 0, `the runtime bundle holds ${tfjs.join(', ')}`);
      assert(runtime.min < 100e3, `the runtime bundle is ${runtime.min} bytes`);
      const full = await bundle(
        "export * from '@tensorflow/tfjs-core'; export * from '@tensorflow/tfjs-layers';\n" +
          "export * from '@tensorflow/tfjs-backend-wasm';"
      );
      const kb = n => `${(n / 1024).toFixed(1)} KB`;
      console.log(
        `       runtime ${kb(runtime.min)} minified, ${kb(runtime.gzip)} gzip; tfjs-core + ` +
          `tfjs-layers + tfjs-backend-wasm ${kb(full.min)} minified, ${kb(full.gzip)} gzip ` +
          '(and its .wasm binary)'
      );
    }
  );

  await check(
    'API docs build without warnings; every layer argument has a description and its default',
    async () => {
      const run = spawnSync(
        'node',
        [
          'node_modules/typedoc/bin/typedoc',
          '--out',
          'build/docs',
          '--json',
          'build/docs.json',
          '--treatWarningsAsErrors',
        ],
        {encoding: 'utf8'}
      );
      assert(run.status === 0, `typedoc: ${run.stdout}${run.stderr}`);
      const find = (node, name) =>
        node.name === name ? node : (node.children ?? []).map(c => find(c, name)).find(Boolean);
      const args = find(
        JSON.parse(readFileSync('build/docs.json', 'utf8')),
        'DepthSeparableConv1dCommonArgs'
      );
      assert(args, 'DepthSeparableConv1dCommonArgs is not in the docs');
      const text = c => (c.comment?.summary ?? []).map(p => p.text).join('');
      const own = args.children.filter(c => !c.inheritedFrom);
      for (const prop of own) {
        assert(text(prop).length > 0, `${prop.name} has no description`);
        assert(
          !prop.flags.isOptional || /Default|spelling of|Must be null/.test(text(prop)),
          `${prop.name} does not say its default: ${text(prop)}`
        );
      }
      console.log(`       ${own.length} arguments described, each optional one with its default`);
    }
  );

  await check(
    'API docs: a landing page of their own, modules named by import path, internals grouped apart, ' +
      "the layer's arguments listed on its union type, the guides as pages, no code in headings",
    async () => {
      assert(
        existsSync('build/docs.json'),
        'no build/docs.json: the typedoc check above did not run'
      );
      const project = JSON.parse(readFileSync('build/docs.json', 'utf8'));
      const text = parts => (parts ?? []).map(p => p.text ?? '').join('');
      const landing = text(project.readme);
      assert(
        landing.trim().startsWith(readFileSync('docs/api-index.md', 'utf8').split('\n')[0]),
        `the landing page is not docs/api-index.md: ${landing.slice(0, 80)}`
      );
      assert(!/^## Quick start/m.test(landing), 'the landing page is the README');
      const modules = project.children.map(m => m.name).sort();
      assert(
        modules.join() ===
          'tfjs-depth-separable-conv1d,tfjs-depth-separable-conv1d/node,tfjs-depth-separable-conv1d/onnx,' +
            'tfjs-depth-separable-conv1d/runtime',
        `modules are named ${modules}`
      );
      const main = project.children.find(m => m.name === 'tfjs-depth-separable-conv1d');
      const group = title =>
        (main.groups.find(g => g.title === title)?.children ?? []).map(
          id => main.children.find(c => c.id === id)?.name
        );
      const internals = group('Internals').sort();
      assert(
        internals.join() ===
          'DEPTHWISE_KERNEL,FILTER_GRAD_KERNEL,INPUT_GRAD_KERNEL,KERNELS_FLAG,MATMUL_KERNEL,SEPARABLE_KERNEL',
        `the Internals group holds ${internals}`
      );
      for (const title of ['Functions', 'Classes', 'Variables']) {
        assert(
          !group(title).some(n => /KERNEL/.test(n)),
          `${title} holds an internal: ${group(title)}`
        );
      }
      const union = main.children.find(c => c.name === 'DepthSeparableConv1dArgs');
      const common = main.children.find(c => c.name === 'DepthSeparableConv1dCommonArgs');
      const listed = text(union.comment?.summary);
      const missing = [
        'filters',
        'outChannels',
        ...common.children.filter(c => !c.inheritedFrom).map(c => c.name),
      ].filter(name => !listed.includes(`\`${name}\``));
      assert(missing.length === 0, `DepthSeparableConv1dArgs does not list ${missing.join(', ')}`);
      const documents = (project.documents ?? []).map(d => d.name.split('/').pop()).sort();
      for (const page of [
        'README',
        'streaming',
        'interop',
        'layers',
        'onnx',
        'backends',
        'performance',
        'internals',
        'testing',
      ]) {
        assert(documents.includes(page), `the API docs lack the page ${page}: ${documents}`);
      }
      for (const page of [
        'README.md',
        'docs/api-index.md',
        ...require('../package.json').files.filter(f => f.startsWith('docs/')),
      ]) {
        const code = readFileSync(page, 'utf8')
          .replace(/^```[\s\S]*?^```$/gm, '')
          .match(/^#+ .*`.*$/m);
        assert(!code, `${page} has code in a heading (typedoc shows it as "()"): ${code}`);
      }
      const html = readFileSync('build/docs/index.html', 'utf8');
      assert(!/Quick start/.test(html), "the API docs' index page shows the README");
      for (const page of [
        'index.html',
        ...readdirSync('build/docs/documents').map(f => `documents/${f}`),
      ]) {
        const empty = readFileSync(`build/docs/${page}`, 'utf8').match(/>[^<>]*\S \(\)</);
        assert(!empty, `build/docs/${page} shows a heading with its code dropped: ${empty}`);
      }
      console.log(
        `       landing docs/api-index.md; modules ${modules.join(', ')}; Internals: ${internals.join(', ')}; ` +
          `${documents.length} guide pages`
      );
    }
  );

  await check(
    'README and docs links resolve, in the repository and in the packed package (which ships the docs pages)',
    async () => {
      const {deadLinks, markdownPages} = await import('./check-links.mjs');
      const pages = markdownPages('.');
      const packed = `${projects['4.22']}/node_modules/tfjs-depth-separable-conv1d`;
      const shipped = markdownPages(packed);
      for (const page of pages.filter(p => p !== 'docs/api-index.md')) {
        assert(
          shipped.includes(page),
          `${page} is not in the packed package (package.json "files")`
        );
      }
      const dead = [
        ...deadLinks('.', pages).map(d => ({...d, where: 'repository'})),
        ...deadLinks(packed, shipped).map(d => ({...d, where: 'package'})),
      ];
      assert(
        dead.length === 0,
        `dead links: ${dead.map(d => `${d.where} ${d.page}: ${d.link} (${d.problem})`).join('; ')}`
      );
      console.log(
        `       ${pages.length} pages in the repository, ${shipped.length} in the package: no dead link`
      );
    }
  );

  await check(
    "the README's and docs pages' examples run against the packed package as pasted (by its name), " +
      'print what they say; quick start <= 20 lines; install today from the tarball, registry and CDN after the release',
    async () => {
      const dir = projects['4.22'];
      assert(dir, 'no tfjs 4.22 project');
      const {runDocExamples} = await import('./doc-examples.mjs');
      const pkg = require('../package.json');
      const pages = ['README.md', ...pkg.files.filter(f => f.startsWith('docs/'))];
      const {ran, skipped} = await runDocExamples(dir, pages);
      const count = page => ran.filter(r => r.page === page && r.lang === 'js').length;
      for (const [page, least] of [
        ['README.md', 3],
        ['docs/streaming.md', 2],
        ['docs/interop.md', 1],
        ['docs/backends.md', 1],
      ]) {
        assert(count(page) >= least, `only ${count(page)} runnable examples in ${page}`);
      }
      const quick = ran.find(r => r.page === 'README.md');
      assert(quick.lines <= 20, `the quick start has ${quick.lines} lines`);
      assert(/^\/\/ prints: /m.test(quick.code), 'the quick start does not say what it prints');
      const readme = readFileSync('README.md', 'utf8');
      const tarball = `${pkg.name}-${pkg.version}.tgz`;
      assert(
        readme.includes('npm pack') &&
          readme.includes(`npm install @tensorflow/tfjs ../${pkg.name}/${tarball}`),
        `the README does not say how to install ${tarball} today`
      );
      assert(
        /\*\*After the release\*\*[\s\S]*npm install @tensorflow\/tfjs tfjs-depth-separable-conv1d/.test(
          readme
        ) && /\*\*after\s+the\s+release\*\*,\s+from\s+the\s+CDN/.test(readme),
        'the registry and CDN lines are not marked "after the release"'
      );
      const cdn = /cdn\.jsdelivr\.net\/npm\/tfjs-depth-separable-conv1d@([^/]+)\//.exec(readme);
      assert(
        cdn && cdn[1] === pkg.version,
        `the README's CDN line pins ${cdn?.[1]}, the package is ${pkg.version}`
      );
      console.log(
        `       ${ran.length} examples ran (${pages.map(p => `${p.replace('docs/', '')} ${ran.filter(r => r.page === p).length}`).join(', ')}); ` +
          `quick start ${quick.lines} lines${skipped.length ? `; skipped: ${skipped.map(s => `${s.page} block ${s.index} (${s.why})`).join(', ')}` : ''}`
      );
    }
  );

  console.log('RESULT ' + JSON.stringify(counts));
}

main().catch(e => {
  console.error(e);
  console.log('RESULT ' + JSON.stringify({...counts, failed: counts.failed + 1}));
});
