// ONNX Runtime sessions for bench/cases.ts's benchPeers: onnxruntime-web (wasm, one thread,
// SIMD) in Node and in the browser, onnxruntime-node (native) in Node. Each run pays what a
// user pays: an ort.Tensor from a Float32Array, the run, the result's data read.
import type * as OrtWeb from 'onnxruntime-web';

import {PeerFactory, PeerSession, Shape} from './cases';

type Ort = typeof OrtWeb;

/** A peer factory for an `onnxruntime-web` or `onnxruntime-node` module. */
export function ortPeer(ort: Ort, options: OrtWeb.InferenceSession.SessionOptions): PeerFactory {
  return async (s: Shape, onnx: Uint8Array, x: Float32Array): Promise<PeerSession> => {
    const session = await ort.InferenceSession.create(onnx, options);
    const once = async () => {
      const result = await session.run({x: new ort.Tensor('float32', x, [s.b, s.c, s.l])});
      const y = result.y;
      const data = (await y.getData()) as Float32Array;
      y.dispose();
      return data;
    };
    return {run: async () => void (await once()), output: once};
  };
}

/** onnxruntime-web on wasm with one thread (its second thread spins after each run). */
export function ortWebPeer(ort: Ort, wasmPaths: string): PeerFactory {
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.simd = true;
  ort.env.wasm.wasmPaths = wasmPaths;
  return ortPeer(ort, {executionProviders: ['wasm'], graphOptimizationLevel: 'all'});
}
