import {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {checkSeparable} from './checks.js';
import {SEPARABLE_KERNEL, SeparableAttrs} from './names.js';
import {heapOffset, WasmBackend} from './wasm_heap.js';
import {linked, packedFloats, withScratch} from './wasm_separable_module.js';

// The op's whole forward pass on tfjs-wasm as one kernel (wasm/separable.c's `separable`): each
// block of four output rows is correlated into the L1 cache and multiplied there by the packed
// pointwise filter. Why: `strategy.ts`, `oneKernelForward`.

/**
 * Floats of scratch that the one-kernel forward pass takes from tfjs-wasm's heap for
 * `channels` (C x M) depthwise channels and `outChannels`: the packed pointwise filter and a
 * block of four depthwise rows.
 */
export function separableScratchFloats(channels: number, outChannels: number): number {
  return packedFloats(channels, outChannels) + 4 * channels;
}

const separable: KernelFunc = ({inputs, backend, attrs}) => {
  const {x, depthwiseFilter, pointwiseFilter, bias} = inputs as {
    x: TensorInfo;
    depthwiseFilter: TensorInfo;
    pointwiseFilter: TensorInfo;
    bias?: TensorInfo;
  };
  const [n, l, c, k, m, o] = checkSeparable(
    SEPARABLE_KERNEL,
    x,
    depthwiseFilter,
    pointwiseFilter,
    bias,
    attrs
  );
  const {
    stride,
    dilation,
    padLeft,
    outWidth: t,
    activation,
    keepDepthwise,
  } = attrs as unknown as SeparableAttrs;
  const wasm = backend as unknown as WasmBackend;
  const fn = linked(SEPARABLE_KERNEL, wasm);
  const at = (info: TensorInfo) => heapOffset(wasm, info);
  // The scratch first: where the heap has no room, the call fails before its outputs exist.
  return withScratch(wasm, SEPARABLE_KERNEL, separableScratchFloats(c * m, o), s => {
    const y = wasm.makeOutput([n, t, o], 'float32');
    const d = keepDepthwise ? wasm.makeOutput([n * t, c * m], 'float32') : null;
    fn.separable(
      at(x),
      at(depthwiseFilter),
      at(pointwiseFilter),
      bias == null ? 0 : at(bias),
      at(y),
      d == null ? 0 : at(d),
      s,
      n,
      l,
      c,
      m,
      k,
      stride,
      dilation,
      padLeft,
      t,
      o,
      activation === 'relu' ? 1 : 0
    );
    return d == null ? y : [y, d];
  });
};

/** The one-kernel forward pass's registration for the wasm backend. */
export const wasmSeparableConfig: KernelConfig = {
  kernelName: SEPARABLE_KERNEL,
  backendName: 'wasm',
  kernelFunc: separable,
};
