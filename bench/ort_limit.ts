// ONNX Runtime Web in Node as the peer of bench/streaming_limit.ts: each model exported from its
// tfjs weights by bench/limit_onnx.py (torch.onnx.export) into bench/out/limit/, where the
// browser half of the bench fetches the same files, and run on wasm with one thread.
import {execFileSync} from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

import {limitFileName, OrtPeerFactory} from './streaming_limit';

type Ort = typeof import('onnxruntime-web');

const OUT = path.join('bench', 'out', 'limit');

/** Exports the model with torch and opens it in onnxruntime-web; without torch, says why not. */
export const ortLimitPeer: OrtPeerFactory = async (name, graph) => {
  fs.mkdirSync(OUT, {recursive: true});
  const base = path.join(OUT, limitFileName(name));
  fs.writeFileSync(`${base}.json`, JSON.stringify(graph));
  try {
    execFileSync('/usr/bin/python3', ['bench/limit_onnx.py', `${base}.json`, `${base}.onnx`], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch (e) {
    const why = String((e as {stderr?: Buffer}).stderr ?? (e as Error).message).trim();
    const last = why.split('\n').pop()!.slice(0, 100);
    return {missing: `no ONNX file: /usr/bin/python3 with torch failed (${last})`};
  }
  const ort = require('onnxruntime-web') as Ort;
  ort.env.wasm.numThreads = 1;
  try {
    const session = await ort.InferenceSession.create(`${base}.onnx`, {
      executionProviders: ['wasm'],
      graphOptimizationLevel: 'all',
    });
    return {ort, session};
  } catch (e) {
    return {missing: `onnxruntime-web refused ${base}.onnx: ${String(e).slice(0, 80)}`};
  }
};
