// `npm start`: the main job. Trains a 1-D convnet of DepthSeparableConv1d layers on a synthetic
// wave-classification task in Node, compares it with the same net built from
// tf.layers.conv1d, saves it in the tfjs format to a folder, loads it back and checks that the
// predictions are identical. Exits non-zero if any step fails.
//
//   npm start -- --backend cpu|wasm --train 2000 --test 500 --epochs 12 --width 128 --out demo/model
//                --baseline-epochs 0
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import {setWasmPaths} from '@tensorflow/tfjs-backend-wasm';
import * as path from 'path';

import {fileSystem} from './fs_io';
import {accuracy, convnet} from './models';
import {CLASSES, makeDataset} from './waves';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const opts = {
  backend: flag('backend', 'wasm'),
  train: Number(flag('train', '2000')),
  test: Number(flag('test', '500')),
  epochs: Number(flag('epochs', '12')),
  width: Number(flag('width', '128')),
  out: flag('out', path.join('demo', 'model')),
  baselineEpochs: Number(flag('baseline-epochs', '0')),
};

async function useBackend(name: string): Promise<void> {
  if (name === 'wasm') {
    setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + path.sep);
  }
  if (!(await tf.setBackend(name))) throw new Error(`backend ${name} did not start`);
}

/** Trains with a progress line per epoch; returns the test accuracy and seconds taken. */
async function train(name: string, model: tfl.LayersModel, data: ReturnType<typeof makeDataset>,
                     test: ReturnType<typeof makeDataset>,
                     epochs = opts.epochs): Promise<{acc: number, seconds: number}> {
  model.compile({optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy',
                 metrics: ['accuracy']});
  const start = Date.now();
  let epochStart = start;
  await model.fit(data.x, data.y, {
    epochs, batchSize: 32, shuffle: true, verbose: 0,
    callbacks: {
      onEpochBegin: async () => {
        epochStart = Date.now();
      },
      onEpochEnd: async (epoch, logs) => {
        console.log(`  [${name}] epoch ${epoch + 1}/${epochs}  loss ${logs!.loss.toFixed(4)}  ` +
                    `acc ${(logs!.acc as number).toFixed(3)}  ${((Date.now() - epochStart) / 1000).toFixed(1)} s`);
      }
    }
  });
  return {acc: await accuracy(model, test.x, test.labels), seconds: (Date.now() - start) / 1000};
}

/**
 * The same net from tf.layers.conv1d: its size, and whether and how fast it trains here. tfjs
 * has no conv backprop kernel on wasm, and its cpu backprop is slow, so training it to
 * compare accuracy is opt-in (`--baseline-epochs N`, on cpu when the backend is wasm).
 */
async function compareWithConv1d(ours: tfl.LayersModel, data: ReturnType<typeof makeDataset>,
                                 test: ReturnType<typeof makeDataset>): Promise<void> {
  const baseline = convnet(opts.width, false);
  console.log(`tf.layers.conv1d net: ${baseline.countParams()} parameters, ` +
              `${(baseline.countParams() / ours.countParams()).toFixed(1)}x ours.`);
  baseline.compile({optimizer: 'adam', loss: 'categoricalCrossentropy'});
  const batch = tf.tidy(() => [tf.slice(data.x, 0, 32), tf.slice(data.y, 0, 32)]);
  try {
    const start = Date.now();
    await baseline.trainOnBatch(batch[0], batch[1]);
    console.log(`  one conv1d training step on ${tf.getBackend()}: ${Date.now() - start} ms`);
  } catch (e) {
    console.log(`  tf.layers.conv1d cannot train on ${tf.getBackend()}: ${(e as Error).message}`);
  }
  tf.dispose(batch);
  baseline.dispose();
  if (opts.baselineEpochs > 0) {
    const backend = opts.backend === 'wasm' ? 'cpu' : opts.backend;
    await useBackend(backend);
    const trained = convnet(opts.width, false);
    const theirs = await train(`conv1d on ${backend}`, trained, data, test, opts.baselineEpochs);
    console.log(`tf.layers.conv1d net: test accuracy ${(100 * theirs.acc).toFixed(1)}% after ${
        opts.baselineEpochs} epochs, ${theirs.seconds.toFixed(1)} s on ${backend}.`);
    trained.dispose();
    await useBackend(opts.backend);
  }
}

async function main(): Promise<void> {
  await useBackend(opts.backend);
  console.log(`Backend ${tf.getBackend()}; ${opts.train} training and ${opts.test} test waves of ` +
              `width ${opts.width}; classes ${CLASSES.join(', ')}.`);
  const data = makeDataset(opts.train, opts.width, 1);
  const test = makeDataset(opts.test, opts.width, 2);

  const model = convnet(opts.width, true);
  model.summary(undefined, undefined, line => console.log('  ' + line));
  const ours = await train('DepthSeparableConv1d', model, data, test);
  console.log(`DepthSeparableConv1d net: test accuracy ${(100 * ours.acc).toFixed(1)}% ` +
              `(chance 25%), ${model.countParams()} parameters, ${ours.seconds.toFixed(1)} s.`);

  await compareWithConv1d(model, data, test);

  const saveResult = await model.save(fileSystem(opts.out));
  console.log(`Saved to ${opts.out}/model.json + weights.bin ` +
              `(${saveResult.modelArtifactsInfo.weightDataBytes} bytes of weights).`);
  const loaded = await tfl.loadLayersModel(fileSystem(opts.out));
  const [a, b] = [model.predict(test.x) as tf.Tensor, loaded.predict(test.x) as tf.Tensor];
  const [va, vb] = [await a.data(), await b.data()];
  const identical = va.length === vb.length && va.every((v, i) => v === vb[i]);
  console.log(`Loaded it back: predictions on ${opts.test} test waves are ` +
              `${identical ? 'identical' : 'DIFFERENT'}.`);
  tf.dispose([a, b, data.x, data.y, test.x, test.y]);
  model.dispose();
  loaded.dispose();

  const failures = [];
  if (ours.acc < 0.9) failures.push(`test accuracy ${(100 * ours.acc).toFixed(1)}% is below 90%`);
  if (!identical) failures.push('the reloaded model predicts differently');
  if (failures.length > 0) throw new Error(failures.join('; '));
  console.log('Done: trained, beat chance, saved, reloaded, identical.');
}

main().catch(e => {
  console.error(`FAILED: ${e instanceof Error ? e.message : e}`);
  process.exit(1);
});
