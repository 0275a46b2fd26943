// Node: the backend named by TFJS_BACKEND (cpu or wasm), set before any spec runs.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import {setWasmPaths} from '@tensorflow/tfjs-backend-wasm';
import * as path from 'path';

import {specBackend} from './backend';

const backend = specBackend();
setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + path.sep);

jasmine.DEFAULT_TIMEOUT_INTERVAL = 120000;
beforeAll(async () => {
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} failed to start`);
  await tf.ready();
  console.log(`[spec] backend: ${tf.getBackend()}`);
});
