// Browser (karma): the backend named in karma's client config (webgl, webgpu, wasm or cpu).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import {setWasmPaths} from '@tensorflow/tfjs-backend-wasm';

import {specBackend} from './backend';

const backend = specBackend();
setWasmPaths('/base/node_modules/@tensorflow/tfjs-backend-wasm/dist/');

jasmine.DEFAULT_TIMEOUT_INTERVAL = 300000;
beforeAll(async () => {
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} failed to start`);
  await tf.ready();
  console.log(`[spec] backend: ${tf.getBackend()}`);
});
