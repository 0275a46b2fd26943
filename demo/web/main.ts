// The browser demo: trains the wave classifier with a live chart, saves to and reloads from
// IndexedDB, predicts picked or drawn waves, and classifies a live signal (generated waves, or
// the microphone) as it arrives: waves through createStream in a Web Worker, the microphone
// inside its AudioWorklet with the exported stream (the package's runtime, no tfjs).
// The backend: webgpu or webgl on a hardware GPU, else wasm (backend.ts says why).
// URL parameters: ?train=2000&test=400&epochs=8&autostart=1&backend=webgl&slow=0
//   slow: milliseconds added to each live push, to see the page batch and drop when behind.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import {setWasmPaths} from '@tensorflow/tfjs-backend-wasm';

import {createStream} from '../../src';
import {accuracy, convnet, SUMMARY_COLUMNS, trainSeeded} from '../models';
import {CLASSES, makeDataset, rng, wave} from '../waves';
import {chooseBackend} from './backend';
import {
  CHECK_SAMPLES,
  LiveSession,
  LiveSource,
  microphoneSource,
  wavesSource,
  workletMicrophoneSource,
} from './live';
import {CHUNK, MAX_QUEUE, now, PushResult} from './live_protocol';
import {COLORS, LiveView} from './live_view';

const params = new URLSearchParams(location.search);
const opts = {
  train: Number(params.get('train') ?? 2000),
  test: Number(params.get('test') ?? 400),
  epochs: Number(params.get('epochs') ?? 8),
  seed: Number(params.get('seed') ?? 1),
  slowMs: Number(params.get('slow') ?? 0),
  width: 128,
};
const STORE = 'indexeddb://dsc1d-demo';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const status = (text: string, state?: string) => {
  $('status').textContent = text;
  if (state) document.body.dataset.state = state;
};

let model: tfl.LayersModel | null = null;
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
      if (i === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
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
    if (i === 0) ctx.moveTo(x, y);
    else ctx.lineTo(x, y);
  });
  ctx.stroke();
}

async function predict(): Promise<void> {
  if (!model) return;
  const probs = tf.tidy(() => model!.predict(tf.tensor3d(signal, [1, opts.width, 1])) as tf.Tensor);
  const p = await probs.data();
  probs.dispose();
  const best = p.indexOf(Math.max(...p));
  $('prediction').innerHTML =
    `<p id="predicted" data-class="${CLASSES[best]}"><b>${CLASSES[best]}</b></p>` +
    CLASSES.map(
      (c, i) =>
        `<div>${c.padEnd(9)} <span class="bar" style="width:${Math.round(
          p[i] * 200
        )}px"></span> ${(100 * p[i]).toFixed(1)}%</div>`
    ).join('');
}

async function train(): Promise<void> {
  $<HTMLButtonElement>('train').disabled = true;
  status('making data…', 'training');
  await tf.nextFrame();
  const data = makeDataset(opts.train, opts.width, 1);
  const test = makeDataset(opts.test, opts.width, 2);
  model?.dispose();
  // Any width: the same model classifies the live signal.
  model = convnet(null, true);
  const lines: string[] = [];
  model.summary(SUMMARY_COLUMNS.lineLength, SUMMARY_COLUMNS.positions, line => lines.push(line));
  $('summary').textContent = lines.join('\n');
  losses.length = 0;
  accs.length = 0;
  const start = performance.now();
  let painted = 0;
  status(`epoch 1/${opts.epochs}, first batch (a GPU backend compiles its shaders now)…`);
  await tf.nextFrame();
  await trainSeeded(
    model,
    data.x,
    data.y,
    {epochs: opts.epochs, learningRate: 0.01, seed: opts.seed},
    {
      onBatchEnd: async (epoch, batch, batches, logs) => {
        losses.push(logs.loss);
        accs.push(logs.acc as number);
        // Paint a few times a second, not after every batch: a frame costs ~16 ms.
        if (performance.now() - painted < 200) return;
        status(
          `epoch ${epoch + 1}/${opts.epochs}, batch ${batch + 1}/${batches}: loss ${logs.loss.toFixed(
            3
          )}, accuracy ${(logs.acc as number).toFixed(2)}, ${(
            (performance.now() - start) / 1000
          ).toFixed(1)} s`
        );
        drawChart();
        await tf.nextFrame();
        painted = performance.now();
      },
    }
  );
  drawChart();
  const acc = await accuracy(model, test.x, test.labels);
  tf.dispose([data.x, data.y, test.x, test.y]);
  document.body.dataset.accuracy = acc.toFixed(3);
  await predict();
  for (const id of ['train', 'save', 'predict', 'live-waves', 'live-mic']) {
    $<HTMLButtonElement>(id).disabled = false;
  }
  status(
    `trained: test accuracy ${(100 * acc).toFixed(1)}% (chance 25%) on ${opts.test} test waves, ${
      opts.train
    } training waves x ${opts.epochs} epochs in ${((performance.now() - start) / 1000).toFixed(1)} s`,
    'trained'
  );
}

async function save(): Promise<void> {
  await model!.save(STORE);
  savedOnce = true;
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

/** The strided layer: one output frame per two input samples. */
const STRIDE = 2;
/** The global pooling sees width / 2 frames of the strided layer: the training window. */
const POOLING_WINDOW = opts.width / STRIDE;

/** Buttons off while a live run is on. */
const LIVE_LOCKED = ['live-waves', 'live-mic', 'train', 'reload'];
let savedOnce = false;
let worker: Worker | null = null;
let live: {session: LiveSession; view: LiveView} | null = null;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1] ?? 0;

let drawScheduled = false;

/** Takes a push's result; draws it, and the latest latency, once a frame. */
function showPush(session: LiveSession, view: LiveView, result: PushResult): void {
  view.add(result);
  document.body.dataset.liveFrames = String(session.frames);
  document.body.dataset.liveDropped = String(result.droppedTotal);
  maxPush = Math.max(maxPush, result.samples.length);
  document.body.dataset.liveMaxPush = String(maxPush);
  if (result.frames > 0) latest = result;
  // The microphone gives ~90 pushes a second: draw once a frame.
  if (drawScheduled) return;
  drawScheduled = true;
  requestAnimationFrame(() => {
    drawScheduled = false;
    view.draw();
    if (latest) showStats(session, latest);
  });
}

let latest: PushResult | null = null;
/** The most samples one push of this run took (MAX_QUEUE bounds it). */
let maxPush = 0;

function showStats(session: LiveSession, result: PushResult): void {
  const last = result.probabilities.slice(-CLASSES.length);
  const best = last.indexOf(Math.max(...last));
  $('live-class').textContent = `now: ${CLASSES[best]} (${(100 * last[best]).toFixed(0)}%)`;
  $('live-class').style.color = COLORS[best];
  const latency = Math.max(0, now() - result.sentAt);
  $('live-latency').textContent =
    `push ${result.pushMs.toFixed(1)} ms (median ${median(session.pushTimes).toFixed(
      1
    )} ms) for ${result.samples.length} samples, ${result.frames} outputs; ` +
    `shown ${latency.toFixed(0)} ms after its newest sample was sent (its oldest waited ${result.waitedMs.toFixed(
      0
    )} ms for the push)`;
  document.body.dataset.liveLatency = latency.toFixed(1);
  const behind = $('live-behind');
  if (result.droppedNow > 0 || result.merged > 1) {
    behind.textContent =
      `behind: ${result.merged} chunks in one push` +
      (result.droppedTotal > 0
        ? `; dropped ${result.droppedTotal} samples so far (the oldest, past ${MAX_QUEUE} queued)`
        : '');
    behind.className = 'behind';
  } else {
    behind.textContent =
      result.droppedTotal > 0
        ? `keeping up now; dropped ${result.droppedTotal} samples earlier`
        : 'keeping up: one chunk a push, nothing dropped';
    behind.className = '';
  }
}

function unlockAfterLive(): void {
  for (const id of LIVE_LOCKED) $<HTMLButtonElement>(id).disabled = id === 'reload' && !savedOnce;
}

/** Starts classifying `source` live in the worker. */
async function startLive(source: LiveSource): Promise<void> {
  if (live) await stopLive();
  // The session checks against the page's model at the end: no training or reloading meanwhile.
  for (const id of LIVE_LOCKED) $<HTMLButtonElement>(id).disabled = true;
  worker ??= new Worker('dist/live_worker.js');
  document.body.dataset.liveFrames = '0';
  latest = null;
  maxPush = 0;
  // The samples one output reads, for the picture: the page's own stream of the model says.
  const probe = createStream(model!, {poolingWindow: POOLING_WINDOW});
  const view = new LiveView($<HTMLCanvasElement>('live'), STRIDE, probe.receptiveField, opts.width);
  probe.dispose();
  status(`live: starting ${source.runs}…`, 'live-starting');
  let session: LiveSession;
  try {
    session = await LiveSession.open(
      worker,
      model!,
      POOLING_WINDOW,
      source,
      opts.slowMs,
      (session, result) => showPush(session, view, result),
      message => status(`error: ${message}`, 'error')
    );
  } catch (e) {
    unlockAfterLive();
    throw e;
  }
  live = {session, view};
  $<HTMLButtonElement>('live-stop').disabled = false;
  $('live-source').textContent = source.name;
  status(
    `live: ${source.name}, ${CHUNK}-sample chunks, ${source.runs}` +
      (source.ran ? ` (${source.ran})` : '') +
      (opts.slowMs > 0 ? ` (each push slowed by ${opts.slowMs} ms: ?slow=)` : ''),
    'live'
  );
}

/** Stops the live signal and checks the streamed outputs against the offline model. */
async function stopLive(): Promise<void> {
  if (!live) return;
  const {session} = live;
  live = null;
  $<HTMLButtonElement>('live-stop').disabled = true;
  await session.stop();
  const diff = await session.check();
  document.body.dataset.liveMaxDiff = String(diff);
  document.body.dataset.liveSamples = String(session.checkedSamples);
  unlockAfterLive();
  status(
    `live: ${session.frames} outputs, ${median(session.pushTimes).toFixed(1)} ms a push (median); ` +
      `on the first ${session.checkedSamples} samples pushed (at most ${CHECK_SAMPLES}) the ` +
      `page's own model offline differs by at most ${diff.toExponential(1)}`,
    'live-checked'
  );
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
  status('starting a backend…');
  try {
    const choice = await chooseBackend(params.get('backend'));
    $('backend').textContent = choice.backend;
    $('backend-reason').textContent = choice.reason;
    document.body.dataset.backend = choice.backend;
    document.body.dataset.backendReason = choice.reason;
  } catch (e) {
    status(`error: ${(e as Error).message}`, 'error');
    return;
  }
  pickButtons();
  signal = wave(0, opts.width, rng(1));
  drawSignal();
  const failed = (e: Error) => status(`error: ${e.message}`, 'error');
  $('train').onclick = () => train().catch(failed);
  $('save').onclick = () => save().catch(failed);
  $('reload').onclick = () => reload().catch(failed);
  $('predict').onclick = () => predict();
  $('live-waves').onclick = () => startLive(wavesSource(opts.width)).catch(failed);
  // A push slowed by ?slow= would stall the audio callback: the worker takes those, batching and
  // dropping when behind; otherwise the stream runs in the microphone's worklet.
  $('live-mic').onclick = () =>
    startLive(opts.slowMs > 0 ? microphoneSource() : workletMicrophoneSource()).catch(failed);
  $('live-stop').onclick = () => stopLive().catch(failed);
  status('ready: press Train', 'ready');
  if (params.get('autostart') === '1') await train().catch(failed);
}
// After 'load', so that a long training never holds the page's load event back.
if (document.readyState === 'complete') main();
else window.addEventListener('load', () => main());
