// ONNX Runtime as the bench's peer in Node: the bench TCN exported from the tfjs model's weights
// by bench/tcn_onnx.py (torch.onnx.export), run by onnxruntime-web (wasm, one thread, SIMD)
// and onnxruntime-node (native, one thread). Every run pays what a user pays: a tensor made from
// a Float32Array, the run, the output read.
import {execFileSync} from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

import {Peer, PeerFactory} from './streaming';

const OUT = path.join('bench', 'out');

type Ort = typeof import('onnxruntime-web');

async function peerOf(
  name: string,
  ort: Ort,
  files: Record<number, string>,
  options: object
): Promise<Peer> {
  const sessions = new Map<number, Awaited<ReturnType<Ort['InferenceSession']['create']>>>();
  for (const [frames, file] of Object.entries(files)) {
    sessions.set(Number(frames), await ort.InferenceSession.create(file, options));
  }
  return {
    name,
    async run(x, frames) {
      const session = sessions.get(frames)!;
      const out = await session.run({x: new ort.Tensor('float32', x, [1, 1, frames])});
      return out.y.data as Float32Array;
    },
  };
}

/** The ORT peers, or why they are missing (no torch to make the ONNX files). */
export const ortPeers: PeerFactory = async (weights, window, sequence) => {
  fs.mkdirSync(OUT, {recursive: true});
  const weightsFile = path.join(OUT, 'tcn_weights.json');
  fs.writeFileSync(weightsFile, JSON.stringify(weights));
  let torchRamp: number[];
  try {
    const printed = execFileSync(
      '/usr/bin/python3',
      ['bench/tcn_onnx.py', weightsFile, OUT, String(window), String(sequence)],
      {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe']}
    );
    torchRamp = JSON.parse(printed.trim().split('\n').pop()!).ramp;
  } catch (e) {
    return {
      peers: [],
      missing: `no ONNX files: /usr/bin/python3 with torch failed (${String((e as Error).message)
        .split('\n')[0]
        .slice(0, 80)})`,
    };
  }
  const files = {
    [window]: path.join(OUT, 'tcn_window.onnx'),
    [sequence]: path.join(OUT, 'tcn_sequence.onnx'),
  };
  const web = require('onnxruntime-web') as Ort;
  web.env.wasm.numThreads = 1;
  const node = require('onnxruntime-node') as Ort;
  const one = {intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential'};
  return {
    peers: [
      await peerOf('ORT-web', web, files, {executionProviders: ['wasm']}),
      await peerOf('ORT-node', node, files, {executionProviders: ['cpu'], ...one}),
    ],
    torchRamp,
  };
};
