// The browser demo: trains the wave classifier on webgpu where the browser has it (falling back
// to webgl, wasm, then cpu) with a live chart, saves to and reloads from IndexedDB, predicts
// picked or drawn waves, and classifies a live signal (generated waves or the microphone) as it
// arrives, through createStream.
// URL parameters: ?train=2000&test=400&epochs=6&autostart=1&backend=webgl
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import {setWasmPaths} from '@tensorflow/tfjs-backend-wasm';

import {accuracy, convnet} from '../models';
import {CHUNK, LiveRun, LiveSource, microphoneSource, wavesSource} from './live';
import {CLASSES, makeDataset, rng, wave} from '../waves';

const params = new URLSearchParams(location.search);
const opts = {
  train: Number(params.get('train') ?? 2000),
  test: Number(params.get('test') ?? 400),
  epochs: Number(params.get('epochs') ?? 6),
  width: 128,
};
const STORE = 'indexeddb://dsc1d-demo';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const status = (text: string, state?: string) => {
  $('status').textContent = text;
  if (state) document.body.dataset.state = state;
};

let model: tfl.LayersModel|null = null;
const losses: number[] = [];
const accs: number[] = [];
let signal: Float32Array = new Float32Array(opts.width);

function drawChart(): void {
  const canvas = $<HTMLCanvasElement>('chart');
  const ctx = canvas.getContext('2d')!;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const maxLoss = Math.max(1.5, ...losses);
  const plot = (values: number[], top: number, color: string) => {
    ctx.strokeStyle = color;
    ctx.beginPath();
    values.forEach((v, i) => {
      const x = (i / Math.max(1, values.length - 1)) * (canvas.width - 10) + 5;
      const y = canvas.height - 5 - (v / top) * (canvas.height - 10);
      if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
    });
    ctx.stroke();
  };
  plot(losses, maxLoss, '#c33');
  plot(accs, 1, '#36c');
  canvas.dataset.points = String(losses.length);
}

function drawSignal(): void {
  const canvas = $<HTMLCanvasElement>('signal');
  const ctx = canvas.getContext('2d')!;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.strokeStyle = '#999';
  ctx.beginPath();
  ctx.moveTo(0, canvas.height / 2);
  ctx.lineTo(canvas.width, canvas.height / 2);
  ctx.stroke();
  ctx.strokeStyle = '#222';
  ctx.beginPath();
  signal.forEach((v, i) => {
    const x = (i / (signal.length - 1)) * canvas.width;
    const y = canvas.height / 2 - (v / 2.5) * (canvas.height / 2);
    if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
  });
  ctx.stroke();
}

async function predict(): Promise<void> {
  if (!model) return;
  const probs = tf.tidy(() => model!.predict(tf.tensor3d(signal, [1, opts.width, 1])) as tf.Tensor);
  const p = await probs.data();
  probs.dispose();
  const best = p.indexOf(Math.max(...p));
  $('prediction').innerHTML = `<p id="predicted" data-class="${CLASSES[best]}"><b>${CLASSES[best]}</b></p>` +
      CLASSES.map((c, i) => `<div>${c.padEnd(9)} <span class="bar" style="width:${
          Math.round(p[i] * 200)}px"></span> ${(100 * p[i]).toFixed(1)}%</div>`).join('');
}

async function train(): Promise<void> {
  $<HTMLButtonElement>('train').disabled = true;
  status('making data…', 'training');
  const data = makeDataset(opts.train, opts.width, 1);
  const test = makeDataset(opts.test, opts.width, 2);
  model?.dispose();
  // Any width: the same model classifies the live signal.
  model = convnet(null, true);
  const lines: string[] = [];
  model.summary(undefined, undefined, line => lines.push(line));
  $('summary').textContent = lines.join('\n');
  model.compile({optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy', metrics: ['accuracy']});
  losses.length = 0;
  accs.length = 0;
  const start = performance.now();
  await model.fit(data.x, data.y, {
    epochs: opts.epochs, batchSize: 32, shuffle: true,
    callbacks: {
      onBatchEnd: async (_, logs) => {
        losses.push(logs!.loss);
        accs.push(logs!.acc as number);
        drawChart();
        await tf.nextFrame();
      },
      onEpochEnd: async (epoch, logs) => {
        status(`epoch ${epoch + 1}/${opts.epochs}: loss ${logs!.loss.toFixed(3)}, accuracy ${
            (logs!.acc as number).toFixed(3)}, ${((performance.now() - start) / 1000).toFixed(1)} s`);
      },
    },
  });
  const acc = await accuracy(model, test.x, test.labels);
  tf.dispose([data.x, data.y, test.x, test.y]);
  document.body.dataset.accuracy = acc.toFixed(3);
  await predict();
  for (const id of ['train', 'save', 'predict', 'live-waves', 'live-mic']) {
    $<HTMLButtonElement>(id).disabled = false;
  }
  status(`trained: test accuracy ${(100 * acc).toFixed(1)}% (chance 25%) in ${
      ((performance.now() - start) / 1000).toFixed(1)} s`, 'trained');
}

async function save(): Promise<void> {
  await model!.save(STORE);
  $<HTMLButtonElement>('reload').disabled = false;
  status(`saved to ${STORE}`, 'saved');
}

async function reload(): Promise<void> {
  const loaded = await tfl.loadLayersModel(STORE);
  const x = tf.tensor3d(signal, [1, opts.width, 1]);
  const [a, b] = [model!.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor];
  const [va, vb] = [await a.data(), await b.data()];
  const same = va.length === vb.length && va.every((v, i) => v === vb[i]);
  tf.dispose([x, a, b]);
  model!.dispose();
  model = loaded;
  document.body.dataset.reloadIdentical = String(same);
  status(`reloaded from ${STORE}: predictions ${same ? 'identical' : 'DIFFERENT'}`, 'reloaded');
  await predict();
}

const COLORS = ['#c33', '#36c', '#3a7', '#c80'];
/** The last frames of class probabilities, for the live trace. */
const trace: Float32Array[] = [];
let live: {run: LiveRun, source: LiveSource}|null = null;

function drawTrace(): void {
  const canvas = $<HTMLCanvasElement>('live');
  const ctx = canvas.getContext('2d')!;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  CLASSES.forEach((name, c) => {
    ctx.strokeStyle = COLORS[c];
    ctx.beginPath();
    trace.forEach((p, i) => {
      const x = (i / 199) * canvas.width;
      const y = canvas.height - 4 - p[c] * (canvas.height - 8);
      if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
    });
    ctx.stroke();
    ctx.fillStyle = COLORS[c];
    ctx.fillText(name, 6 + 70 * c, 12);
  });
}

/** Starts classifying `source` live: one output frame per two samples (the strided layer). */
async function startLive(source: LiveSource): Promise<void> {
  if (live) await stopLive();
  trace.length = 0;
  document.body.dataset.liveFrames = '0';
  // The global pooling sees width / 2 frames of the strided layer: the training window.
  const run = new LiveRun(model!, opts.width / 2, (p, frames) => {
    for (let f = 0; f < frames; f++) trace.push(p.slice(f * CLASSES.length, (f + 1) * CLASSES.length));
    trace.splice(0, Math.max(0, trace.length - 200));
    const last = trace[trace.length - 1];
    const best = last.indexOf(Math.max(...last));
    $('live-class').textContent = `now: ${CLASSES[best]} (${(100 * last[best]).toFixed(0)}%)`;
    document.body.dataset.liveFrames = String(run.frames);
    drawTrace();
  });
  live = {run, source};
  $<HTMLButtonElement>('live-stop').disabled = false;
  status(`live: ${source.name}, ${CHUNK}-sample chunks through createStream`, 'live');
  await source.start(samples => run.feed(samples));
}

/** Stops the live signal and checks the streamed outputs against the offline model. */
async function stopLive(): Promise<void> {
  if (!live) return;
  const {run, source} = live;
  live = null;
  source.stop();
  await run.stop();
  $<HTMLButtonElement>('live-stop').disabled = true;
  const diff = await run.check();
  const push = [...run.pushTimes].sort((a, b) => a - b)[run.pushTimes.length >> 1] ?? 0;
  document.body.dataset.liveMaxDiff = String(diff);
  document.body.dataset.liveSamples = String(run.samples.length);
  status(`live: ${run.samples.length} samples, ${run.frames} outputs, ${push.toFixed(1)} ms a push; ` +
         `the offline model on the same samples differs by at most ${diff.toExponential(1)}`,
         'live-checked');
}

function pickButtons(): void {
  const rand = rng(Date.now() >>> 0);
  CLASSES.forEach((name, cls) => {
    const button = document.createElement('button');
    button.textContent = name;
    button.id = `pick-${name}`;
    button.onclick = async () => {
      signal = wave(cls, opts.width, rand);
      drawSignal();
      await predict();
    };
    $('pick').appendChild(button);
  });
  const canvas = $<HTMLCanvasElement>('signal');
  canvas.onpointermove = e => {
    if (e.buttons !== 1) return;
    const i = Math.round((e.offsetX / canvas.width) * (opts.width - 1));
    const v = ((canvas.height / 2 - e.offsetY) / (canvas.height / 2)) * 2.5;
    for (let j = Math.max(0, i - 1); j <= Math.min(opts.width - 1, i + 1); j++) signal[j] = v;
    drawSignal();
  };
}

async function main(): Promise<void> {
  setWasmPaths('/node_modules/@tensorflow/tfjs-backend-wasm/dist/');
  const wanted = params.get('backend');
  for (const name of wanted ? [wanted] : ['webgpu', 'webgl', 'wasm', 'cpu']) {
    try {
      if (await tf.setBackend(name)) break;
    } catch {
      // try the next backend
    }
  }
  $('backend').textContent = tf.getBackend();
  document.body.dataset.backend = tf.getBackend();
  pickButtons();
  signal = wave(0, opts.width, rng(1));
  drawSignal();
  $('train').onclick = () => train().catch(e => status(`error: ${e.message}`, 'error'));
  $('save').onclick = () => save().catch(e => status(`error: ${e.message}`, 'error'));
  $('reload').onclick = () => reload().catch(e => status(`error: ${e.message}`, 'error'));
  $('predict').onclick = () => predict();
  const failed = (e: Error) => status(`error: ${e.message}`, 'error');
  $('live-waves').onclick = () => startLive(wavesSource(opts.width, name => {
    $('live-source').textContent = `playing: ${name}`;
  })).catch(failed);
  $('live-mic').onclick = () => startLive(microphoneSource()).catch(failed);
  $('live-stop').onclick = () => stopLive().catch(failed);
  status('ready: press Train', 'ready');
  if (params.get('autostart') === '1') await train().catch(e => status(`error: ${e.message}`, 'error'));
}
// After 'load', so that a long training never holds the page's load event back.
if (document.readyState === 'complete') main(); else window.addEventListener('load', () => main());
