// End-to-end checks, counted by scripts/test.mjs: the demo page in headless Chromium
// (Playwright), the <script>-tag bundle after tfjs's UMD bundle, and the npm package itself
// (pack contents, CommonJS with the @tensorflow/tfjs umbrella, the ESM build in a bundler).
// Needs `npm run build` and `npm run build:web` first (scripts/test.mjs runs them).
import {execFileSync} from 'node:child_process';
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs';
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
    console.log(`  FAIL ${name}: ${e && e.stack || e}`);
  }
}

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

const {WEBGPU} = require('./chromium_flags.cjs');

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
    const hz = 20 + 20 * Math.floor(2 * i / rate % 3);
    const value = (i * hz / rate) % 1 < 0.5 ? 0.25 : -0.25;
    wav.writeInt16LE(Math.round(value * 32767), 44 + 2 * i);
  }
  mkdirSync('build', {recursive: true});
  writeFileSync(path, wav);
}

/**
 * Streams a live signal in the demo page, stops, and returns what the page measured: the
 * largest difference between its streamed outputs and the offline model on the same samples.
 */
async function liveCheck(page, button, minFrames = 40) {
  await page.click(button);
  await page.waitForFunction(n => Number(document.body.dataset.liveFrames ?? 0) >= n, minFrames,
                             {timeout: 120000});
  await page.click('#live-stop');
  await page.waitForSelector('body[data-state="live-checked"], body[data-state="error"]', {timeout: 120000});
  const state = await page.getAttribute('body', 'data-state');
  assert(state === 'live-checked', `live ${button}: ${await page.textContent('#status')}`);
  const diff = Number(await page.getAttribute('body', 'data-live-max-diff'));
  const samples = Number(await page.getAttribute('body', 'data-live-samples'));
  assert(samples >= 2 * minFrames, `live ${button}: ${samples} samples`);
  assert(diff <= 1e-3, `live ${button}: streamed outputs differ from the offline model by ${diff}`);
  return {diff, samples};
}

async function main() {
  const {server, url} = await startServer('.');
  const fakeAudio = 'build/fake-microphone.wav';
  writeFakeAudio(fakeAudio);
  const browser = await chromium.launch({executablePath: process.env.CHROME_BIN || '/usr/bin/chromium',
                                         headless: true,
                                         args: [...WEBGPU, '--use-fake-ui-for-media-stream',
                                                '--use-fake-device-for-media-stream',
                                                `--use-file-for-fake-audio-capture=${fakeAudio}`]});
  try {
    // The page picks webgpu first where the browser has it (these flags give it one), then webgl.
    for (const backend of ['webgpu', 'webgl']) {
    await check(`demo page on ${backend}: trains with a live chart, saves to IndexedDB, reloads identical, predicts, ` +
                `streams live${backend === 'webgl' ? ' waves and microphone' : ' waves'} exactly`, async () => {
      const page = await browser.newPage({viewport: {width: 1000, height: 900}});
      const errors = [];
      page.on('pageerror', e => errors.push(String(e)));
      const choice = backend === 'webgpu' ? '' : `&backend=${backend}`;
      await page.goto(`${url}/demo/web/?train=400&test=200&epochs=3&autostart=1${choice}`, {waitUntil: 'domcontentloaded'});
      await page.waitForSelector('body[data-state="trained"], body[data-state="error"]', {timeout: 300000});
      const state = await page.getAttribute('body', 'data-state');
      assert(state === 'trained', `page state ${state}: ${await page.textContent('#status')}`);
      const ran = await page.getAttribute('body', 'data-backend');
      assert(ran === backend, `the page ran on ${ran}, not ${backend}`);
      const points = Number(await page.getAttribute('#chart', 'data-points'));
      assert(points >= 3 * 13, `the chart has ${points} points`);
      assert(await page.$('#predicted'), 'no prediction shown after training');
      assert((await page.textContent('#summary')).includes('sepconv1 (DepthSeparable'), 'no model summary');
      await page.click('#save');
      await page.waitForSelector('body[data-state="saved"]', {timeout: 60000});
      await page.click('#reload');
      await page.waitForSelector('body[data-state="reloaded"]', {timeout: 60000});
      assert(await page.getAttribute('body', 'data-reload-identical') === 'true', 'reloaded model predicts differently');
      await page.click('#pick-square');
      await page.waitForSelector('#predicted');
      const waves = await liveCheck(page, '#live-waves');
      console.log(`       live waves: ${waves.samples} samples streamed, max |diff| vs offline ${waves.diff.toExponential(1)}`);
      if (backend === 'webgl') {
        const mic = await liveCheck(page, '#live-mic');
        console.log(`       live microphone (fake capture of ${fakeAudio}): ${mic.samples} samples, ` +
                    `max |diff| vs offline ${mic.diff.toExponential(1)}`);
      }
      mkdirSync('build', {recursive: true});
      await page.screenshot({path: `build/demo-web-${backend}.png`});
      assert(errors.length === 0, `page errors: ${errors.join('; ')}`);
      console.log(`       backend ${backend}, ${points} chart points, test accuracy ${
          await page.getAttribute('body', 'data-accuracy')}; screenshot build/demo-web-${backend}.png`);
      await page.close();
    });
    }

    await check('<script> bundle after tfjs\'s tf.min.js: op, layer, save and load', async () => {
      const page = await browser.newPage();
      await page.goto(`${url}/spec/e2e/script_tag.html`, {waitUntil: 'domcontentloaded'});
      await page.waitForFunction(() => window.result !== undefined, null, {timeout: 60000});
      const result = await page.evaluate(() => window.result);
      assert(!result.error, result.error);
      assert(JSON.stringify(result.y) === JSON.stringify([6, 10, 14]), `y = ${result.y}`);
      assert(result.identical, 'reloaded predictions differ');
      assert(result.className === 'DepthSeparableConv1d', `class ${result.className}`);
      for (const name of ['separableConv1d', 'DepthSeparableConv1d', 'SeparableConv1D', 'depthSeparableConv1d',
                          'loadTorchWeights', 'toTorchStateDict', 'ValueError']) {
        assert(result.exports.includes(name), `global lacks ${name}`);
      }
      await page.close();
    });
  } finally {
    await browser.close();
    server.close();
  }

  await check('npm pack: types and builds in, no specs, fixtures or demo', async () => {
    const [info] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'],
                                           {encoding: 'utf8'}));
    const files = info.files.map(f => f.path);
    for (const f of ['dist/esm/index.js', 'dist/esm/index.d.ts', 'dist/cjs/index.js',
                     'dist/tfjs-depth-separable-conv1d.min.js', 'package.json', 'README.md']) {
      assert(files.includes(f), `${f} missing from the package`);
    }
    const stray = files.filter(f => /^(spec|demo|bench|scripts|src)\//.test(f) || /fixture/.test(f));
    assert(stray.length === 0, `should not ship: ${stray.join(', ')}`);
    const pkg = require('../package.json');
    assert(!pkg.dependencies, 'the package must have no dependencies, only peerDependencies');
    assert(Object.keys(pkg.peerDependencies).sort().join() === '@tensorflow/tfjs-core,@tensorflow/tfjs-layers',
           'peerDependencies must be tfjs-core and tfjs-layers');
    console.log(`       ${files.length} files, ${(info.unpackedSize / 1024).toFixed(0)} KiB unpacked`);
  });

  await check('CommonJS build with the @tensorflow/tfjs umbrella: op, layer, save/load', async () => {
    const tf = require('@tensorflow/tfjs');
    const lib = require('../dist/cjs/index.js');
    await tf.setBackend('cpu');
    const model = tf.sequential({layers: [new lib.DepthSeparableConv1d({inputShape: [6, 2], filters: 2, kernelSize: 3})]});
    let saved;
    await model.save(tf.io.withSaveHandler(async a => {
      saved = a;
      return {modelArtifactsInfo: {dateSaved: new Date(), modelTopologyType: 'JSON'}};
    }));
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved));
    const x = tf.ones([1, 6, 2]);
    const [a, b] = [await model.predict(x).data(), await loaded.predict(x).data()];
    assert(a.length === 8 && a.every((v, i) => v === b[i]), 'umbrella round trip differs');
    const y = lib.separableConv1d([[[1], [2], [3], [4]]], [[[1]], [[1]]], [[[2]]]);
    assert(Array.from(y.dataSync()).join() === '6,10,14', `op gave ${y.dataSync()}`);
  });

  await check('ESM build bundles (esbuild) with tfjs-core and tfjs-layers external', async () => {
    const out = await build({
      stdin: {contents: "export {separableConv1d, DepthSeparableConv1d} from './dist/esm/index.js';",
              resolveDir: '.', loader: 'js'},
      bundle: true, write: false, format: 'esm', platform: 'browser',
      external: ['@tensorflow/tfjs-core', '@tensorflow/tfjs-layers'], logLevel: 'silent',
    });
    const code = out.outputFiles[0].text;
    assert(code.includes('registerClass'), 'the layer registration was dropped by the bundler');
    assert(!code.includes('makeTensor('), 'tfjs-core was bundled in');
  });

  await check('the README examples run (op, layer, Torch weights) against the built package', async () => {
    const readme = readFileSync('README.md', 'utf8');
    const blocks = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map(m => m[1]);
    const runnable = blocks.filter(b => b.includes("from 'tfjs-depth-separable-conv1d'"));
    assert(runnable.length >= 1, 'no runnable example in the README');
    mkdirSync('build/readme', {recursive: true});
    for (const [i, block] of runnable.entries()) {
      const file = `build/readme/example${i}.mjs`;
      const code = block.replace("from 'tfjs-depth-separable-conv1d'", `from '${process.cwd()}/dist/cjs/index.js'`)
                       .replace("from '@tensorflow/tfjs'", `from '${process.cwd()}/node_modules/@tensorflow/tfjs/dist/tf.node.js'`);
      writeFileSync(file, code + '\nconsole.log("example ran");\n');
      const out = execFileSync('node', [file], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']});
      assert(out.includes('example ran'), `README example ${i} did not finish: ${out}`);
    }
    console.log(`       ${runnable.length} README example(s) ran`);
  });

  console.log('RESULT ' + JSON.stringify(counts));
}

main().catch(e => {
  console.error(e);
  console.log('RESULT ' + JSON.stringify({...counts, failed: counts.failed + 1}));
});
