import {KernelConfig, TensorInfo} from '@tensorflow/tfjs-core';

import {TRANSPOSE_KERNEL} from './names';
import {transposeInto} from './transpose_loop';

// A dedicated wasm kernel for the 2-D transposes of the gradient's matrix products: a blocked
// JS loop over the wasm heap. tfjs-wasm's Transpose walks the output element by element,
// 2.4x slower on a 1M-value matrix, and the product before a transpose is XNNPACK's and fast.

// The parts of tfjs-backend-wasm's backend used here (no run-time dependency).
interface WasmBackend {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array;
}

export const wasmTransposeConfig: KernelConfig = {
  kernelName: TRANSPOSE_KERNEL,
  backendName: 'wasm',
  kernelFunc: ({inputs, backend}) => {
    const {x} = inputs as {x: TensorInfo};
    const [rows, cols] = x.shape;
    const wasm = backend as unknown as WasmBackend;
    const out = wasm.makeOutput([cols, rows], 'float32');
    // Views after the allocation: it may grow the heap and detach older ones.
    transposeInto(wasm.typedArrayFromHeap(x), rows, cols, wasm.typedArrayFromHeap(out));
    return out;
  }
};
