// `npm start`: the main job. Trains a 1-D convnet of DepthSeparableConv1d layers on a synthetic
// wave-classification task in Node, compares it with the same net built from
// tf.layers.conv1d, saves it in the tfjs format to a folder, loads it back and checks that the
// predictions are identical. Exits non-zero if any step fails.
//
//   npm start -- --backend cpu|wasm --train 2000 --test 500 --epochs 16 --width 128 --out demo/model
//                --baseline-epochs 0 --seed 1
// Everything is seeded (data, initial weights, the shuffle of each epoch): a run on one backend
// trains the same net every time.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import {setWasmPaths} from '@tensorflow/tfjs-backend-wasm';
import * as path from 'path';

import {createStream} from '../src';
import {fileSystem} from '../src/node';

import {accuracy, convnet, SUMMARY_COLUMNS, trainSeeded, windowedPredict} from './models';
import {CLASSES, makeDataset} from './waves';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const opts = {
  backend: flag('backend', 'wasm'),
  train: Number(flag('train', '2000')),
  test: Number(flag('test', '500')),
  epochs: Number(flag('epochs', '16')),
  width: Number(flag('width', '128')),
  out: flag('out', path.join('demo', 'model')),
  baselineEpochs: Number(flag('baseline-epochs', '0')),
  seed: Number(flag('seed', '1')),
};

async function useBackend(name: string): Promise<void> {
  if (name === 'wasm') {
    setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + path.sep);
  }
  if (!(await tf.setBackend(name))) throw new Error(`backend ${name} did not start`);
}

/**
 * Trains with a progress line per epoch, shuffled from `opts.seed` (the same run gives the same
 * net); returns the test accuracy and seconds taken.
 */
async function train(
  name: string,
  model: tfl.LayersModel,
  data: ReturnType<typeof makeDataset>,
  test: ReturnType<typeof makeDataset>,
  epochs = opts.epochs
): Promise<{acc: number; seconds: number}> {
  const start = Date.now();
  let epochStart = start;
  await trainSeeded(
    model,
    data.x,
    data.y,
    {epochs, learningRate: 0.005, seed: opts.seed},
    {
      onEpochEnd: (epoch, logs) => {
        console.log(
          `  [${name}] epoch ${epoch + 1}/${epochs}  loss ${logs.loss.toFixed(4)}  ` +
            `acc ${(logs.acc as number).toFixed(3)}  ${((Date.now() - epochStart) / 1000).toFixed(1)} s`
        );
        epochStart = Date.now();
      },
    }
  );
  return {acc: await accuracy(model, test.x, test.labels), seconds: (Date.now() - start) / 1000};
}

/**
 * The same net from tf.layers.conv1d: its size, and whether and how fast it trains here. tfjs
 * has no conv backprop kernel on wasm, and its cpu backprop is slow, so training it to
 * compare accuracy is opt-in (`--baseline-epochs N`, on cpu when the backend is wasm).
 */
async function compareWithConv1d(
  ours: tfl.LayersModel,
  data: ReturnType<typeof makeDataset>,
  test: ReturnType<typeof makeDataset>
): Promise<void> {
  const baseline = convnet(null, false);
  console.log(
    `tf.layers.conv1d net: ${baseline.countParams()} parameters, ` +
      `${(baseline.countParams() / ours.countParams()).toFixed(1)}x ours.`
  );
  baseline.compile({optimizer: 'adam', loss: 'categoricalCrossentropy'});
  const batch = tf.tidy(() => [tf.slice(data.x, 0, 32), tf.slice(data.y, 0, 32)]);
  try {
    const start = Date.now();
    await baseline.trainOnBatch(batch[0], batch[1]);
    console.log(`  one conv1d training step on ${tf.getBackend()}: ${Date.now() - start} ms`);
  } catch (e) {
    // A limit of tfjs-backend-wasm (no convolution gradient kernels), which this package's
    // layer does not share: say so, or the line reads as this package failing.
    console.log(
      `  tfjs's own tf.layers.conv1d cannot train on ${tf.getBackend()} (a tfjs limit: ${
        (e as Error).message
      }); the DepthSeparableConv1d net above trained there with this package's gradients.`
    );
  }
  tf.dispose(batch);
  baseline.dispose();
  if (opts.baselineEpochs > 0) {
    const backend = opts.backend === 'wasm' ? 'cpu' : opts.backend;
    await useBackend(backend);
    const trained = convnet(null, false);
    const theirs = await train(`conv1d on ${backend}`, trained, data, test, opts.baselineEpochs);
    console.log(
      `tf.layers.conv1d net: test accuracy ${(100 * theirs.acc).toFixed(1)}% after ${
        opts.baselineEpochs
      } epochs, ${theirs.seconds.toFixed(1)} s on ${backend}.`
    );
    trained.dispose();
    await useBackend(opts.backend);
  }
}

const median = (values: number[]) => [...values].sort((p, q) => p - q)[values.length >> 1];

/**
 * Runs the trained model on a live signal: 8 test waves one after another, pushed in chunks of
 * 16 samples through `createStream`. Prints what one output reads, the cost of a push against
 * `predict` on the window a user would otherwise classify at each chunk (timed side by side,
 * interleaved), per chunk and per output, and how far the streamed outputs are from the offline
 * model's on the same samples (returned).
 */
async function streamOnline(model: tfl.LayersModel, waves: tf.Tensor3D): Promise<number> {
  const chunk = 16;
  // The strided layer halves the frame rate: the global pooling sees width / 2 frames.
  const stride = 2;
  const poolingWindow = opts.width / stride;
  const signal = tf.tidy(
    () => tf.reshape(tf.slice(waves, 0, 8), [1, 8 * opts.width, 1]) as tf.Tensor3D
  );
  const stream = createStream(model, {poolingWindow});
  const pushTimes: number[] = [];
  const predictTimes: number[] = [];
  const streamed: number[] = [];
  for (let at = 0; at < signal.shape[1]; at += chunk) {
    const piece = tf.slice(signal, [0, at, 0], [1, chunk, 1]);
    let start = performance.now();
    const y = stream.push(piece);
    const values = await y.data();
    pushTimes.push(performance.now() - start);
    streamed.push(...values);
    tf.dispose([piece, y]);
    // Without a stream: predict on the last training width of samples, once per chunk.
    const end = Math.max(at + chunk, opts.width);
    const window = tf.slice(signal, [0, end - opts.width, 0], [1, opts.width, 1]);
    start = performance.now();
    const p = model.predict(window) as tf.Tensor;
    await p.data();
    predictTimes.push(performance.now() - start);
    tf.dispose([window, p]);
  }
  const expected = windowedPredict(model, signal, poolingWindow);
  const want = await expected.data();
  const diff =
    streamed.length === want.length
      ? Math.max(...want.map((v, i) => Math.abs(v - streamed[i])))
      : Infinity;
  const [push, offline] = [median(pushTimes), median(predictTimes)];
  const perPush = chunk / stride;
  const field = stream.receptiveField;
  const pooledSpan = stride * (poolingWindow - 1) + 1;
  console.log(
    `Streaming 8 test waves (${signal.shape[1]} samples) through createStream in ${chunk}-sample chunks:`
  );
  console.log(
    `  one output every ${stride} samples (the strided layer's rate), ${perPush} per push. Each output ` +
      `averages the last ${poolingWindow} frames, i.e. classifies the last ${opts.width} samples (the ` +
      `training width), and each frame reaches ${field - pooledSpan} samples further back through the ` +
      `convolutions: one output reads ${field} samples (the stream's receptiveField).`
  );
  console.log(
    `  per chunk: push ${push.toFixed(2)} ms for ${perPush} outputs; predict on the last ${
      opts.width
    } samples ${offline.toFixed(2)} ms for 1 output (medians of ${pushTimes.length}, interleaved).`
  );
  console.log(
    `  per output: stream ${(push / perPush).toFixed(3)} ms, predict ${offline.toFixed(3)} ms (${(
      offline / (push / perPush)
    ).toFixed(1)}x less with the stream; the same ${perPush} outputs by predict ` +
      `would take ${perPush} windows).`
  );
  console.log(
    `  the ${want.length / 4} streamed outputs equal the offline model's (windowed predict) on the same ${
      signal.shape[1]
    } samples: max |diff| ${diff.toExponential(1)}.`
  );
  stream.dispose();
  tf.dispose([signal, expected]);
  return diff;
}

async function main(): Promise<void> {
  await useBackend(opts.backend);
  console.log(
    `Backend ${tf.getBackend()}; ${opts.train} training and ${opts.test} test waves of ` +
      `width ${opts.width}; classes ${CLASSES.join(', ')}.`
  );
  const data = makeDataset(opts.train, opts.width, 1);
  const test = makeDataset(opts.test, opts.width, 2);

  // Any width: the same model also runs on a continuous signal, below.
  const model = convnet(null, true);
  model.summary(SUMMARY_COLUMNS.lineLength, SUMMARY_COLUMNS.positions, line =>
    console.log('  ' + line)
  );
  const ours = await train('DepthSeparableConv1d', model, data, test);
  console.log(
    `DepthSeparableConv1d net: test accuracy ${(100 * ours.acc).toFixed(1)}% ` +
      `(chance 25%), ${model.countParams()} parameters, ${ours.seconds.toFixed(1)} s.`
  );

  await compareWithConv1d(model, data, test);

  const saveResult = await model.save(fileSystem(opts.out));
  console.log(
    `Saved to ${opts.out}/model.json + weights-*.bin ` +
      `(${saveResult.modelArtifactsInfo.weightDataBytes} bytes of weights).`
  );
  const loaded = await tfl.loadLayersModel(fileSystem(opts.out));
  const [a, b] = [model.predict(test.x) as tf.Tensor, loaded.predict(test.x) as tf.Tensor];
  const [va, vb] = [await a.data(), await b.data()];
  const identical = va.length === vb.length && va.every((v, i) => v === vb[i]);
  console.log(
    `Loaded it back: predictions on ${opts.test} test waves are ` +
      `${identical ? 'identical' : 'DIFFERENT'}.`
  );
  const streamDiff = await streamOnline(loaded, test.x);
  tf.dispose([a, b, data.x, data.y, test.x, test.y]);
  model.dispose();
  loaded.dispose();

  const failures = [];
  if (!(streamDiff <= 1e-4))
    failures.push(`the stream differs from the offline model by ${streamDiff}`);
  if (ours.acc < 0.9) failures.push(`test accuracy ${(100 * ours.acc).toFixed(1)}% is below 90%`);
  if (!identical) failures.push('the reloaded model predicts differently');
  if (failures.length > 0) throw new Error(failures.join('; '));
  console.log('Done: trained, beat chance, saved, reloaded, identical, streamed exactly.');
}

main().catch(e => {
  console.error(`FAILED: ${e instanceof Error ? e.message : e}`);
  process.exit(1);
});
