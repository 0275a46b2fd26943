// ONNX Runtime Web as the bench's peer in Chromium: the ONNX files the Node half of the bench
// wrote (bench/out, from bench/tcn_onnx.py and bench/limit_onnx.py), run by ort.wasm.min.js
// (loaded by bench/index.html as the global `ort`) on wasm with one thread.
import {Peer, PeerFactory} from './streaming';
import {limitFileName, OrtPeerFactory} from './streaming_limit';

type Ort = typeof import('onnxruntime-web');

declare global {
  interface Window {
    ort?: Ort;
  }
}

export const ortWebPeers: PeerFactory = async (_weights, window, sequence) => {
  const ort = self.ort;
  if (ort == null) return {peers: [], missing: 'onnxruntime-web did not load in the page'};
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.wasmPaths = '/node_modules/onnxruntime-web/dist/';
  const sessions = new Map<number, Awaited<ReturnType<Ort['InferenceSession']['create']>>>();
  try {
    for (const [frames, name] of [
      [window, 'window'],
      [sequence, 'sequence'],
    ] as const) {
      const response = await fetch(`/bench/out/tcn_${name}.onnx`);
      if (!response.ok) throw new Error(`no bench/out/tcn_${name}.onnx (the Node bench makes it)`);
      const bytes = new Uint8Array(await response.arrayBuffer());
      sessions.set(
        frames,
        await ort.InferenceSession.create(bytes, {executionProviders: ['wasm']})
      );
    }
  } catch (e) {
    return {peers: [], missing: String((e as Error).message ?? e).slice(0, 100)};
  }
  const peer: Peer = {
    name: 'ORT-web',
    async run(x, frames) {
      const out = await sessions
        .get(frames)!
        .run({x: new ort.Tensor('float32', x, [1, 1, frames])});
      return out.y.data as Float32Array;
    },
  };
  return {peers: [peer]};
};

/** The ORT session of a bench/streaming_limit.ts model, from the file the Node half exported. */
export const ortLimitPeer: OrtPeerFactory = async name => {
  const ort = self.ort;
  if (ort == null) return {missing: 'onnxruntime-web did not load in the page'};
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.wasmPaths = '/node_modules/onnxruntime-web/dist/';
  const file = `/bench/out/limit/${limitFileName(name)}.onnx`;
  const response = await fetch(file);
  if (!response.ok) return {missing: `no ${file.slice(1)} (the Node half of the bench makes it)`};
  const bytes = new Uint8Array(await response.arrayBuffer());
  try {
    const session = await ort.InferenceSession.create(bytes, {
      executionProviders: ['wasm'],
      graphOptimizationLevel: 'all',
    });
    return {ort, session};
  } catch (e) {
    return {missing: `onnxruntime-web refused ${file.slice(1)}: ${String(e).slice(0, 80)}`};
  }
};
