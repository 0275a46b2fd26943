import {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {ValueError} from '../../errors.js';

import {checkMatMul, checkSeparable} from './checks.js';
import {MATMUL_KERNEL, MatMulAttrs, SEPARABLE_KERNEL, SeparableAttrs} from './names.js';
import {SEPARABLE_WASM_IMPORTED_MEMORY, SEPARABLE_WASM_RELAXED_IMPORTED_MEMORY, SEPARABLE_WASM_RELAXED_SHARED_MEMORY, SEPARABLE_WASM_SHARED_MEMORY} from './wasm/separable_wasm.js';
import {decode, heapLinker, heapOffset, WasmBackend} from './wasm_heap.js';

// The op's matrix products on tfjs-wasm, and its whole forward pass as one kernel, as our own
// WebAssembly SIMD module (wasm/separable.c) in tfjs-wasm's heap: 4 x 8 register blocks over a
// right operand packed in panels of 8 columns, the transposed operand read as it lies (no
// transpose kernel), and in the forward pass the depthwise rows made block by block in the L1
// cache. Measured against tfjs-wasm's (XNNPACK's) matMul and the op's five kernels in
// `strategy.ts` (`oneKernelForward`, `productsReadTransposed`). Where the engine has relaxed
// SIMD, a second build multiplies and adds in one instruction.

type Separable = (x: number, w: number, p: number, bias: number, y: number, d: number,
                  scratch: number, n: number, l: number, c: number, m: number, k: number,
                  s: number, dilation: number, padLeft: number, t: number, o: number,
                  act: number) => void;
type Product = (a: number, b: number, bias: number, y: number, scratch: number, rows: number,
                k: number, n: number, bt: number) => void;
type ProductTN = (a: number, b: number, bias: number, y: number, rows: number, p: number,
                  q: number) => void;

interface Functions {
  separable: Separable;
  product: Product;
  productTN: ProductTN;
}

const functions = (exports: WebAssembly.Exports): Functions => ({
  separable: exports.separable as Separable,
  product: exports.product as Product,
  productTN: exports.product_tn as ProductTN,
});
const plain = heapLinker(SEPARABLE_WASM_IMPORTED_MEMORY, SEPARABLE_WASM_SHARED_MEMORY, functions);
const relaxed = heapLinker(SEPARABLE_WASM_RELAXED_IMPORTED_MEMORY,
                           SEPARABLE_WASM_RELAXED_SHARED_MEMORY, functions);

let relaxedValid: boolean|undefined;
let relaxedAllowed = true;

/**
 * Whether the module runs its relaxed-SIMD build: one fused multiply-add where the engine has
 * relaxed SIMD (Chrome 114+, Node 22+; Node 20 only behind --experimental-wasm-relaxed-simd).
 */
export function relaxedSimdInUse(): boolean {
  return relaxedSimdAvailable() && relaxedAllowed;
}

/** Whether this engine validates the relaxed-SIMD build. */
export function relaxedSimdAvailable(): boolean {
  relaxedValid ??= typeof WebAssembly !== 'undefined' &&
      WebAssembly.validate(decode(SEPARABLE_WASM_RELAXED_IMPORTED_MEMORY));
  return relaxedValid;
}

/** @internal For specs: whether to allow the relaxed-SIMD build where the engine has it. */
export function allowRelaxedSimd(on: boolean): void {
  relaxedAllowed = on;
}

function linkToHeap(backend: WasmBackend): Functions|null {
  return (relaxedSimdInUse() ? relaxed : plain)(backend);
}

/**
 * Whether the active tfjs-wasm backend runs the module: its heap can be imported, and it runs
 * one thread (with more, XNNPACK's products run on all of them and ours on one).
 */
export function wasmProductsUsable(backend: unknown): boolean {
  const wasm = backend as WasmBackend;
  if (wasm?.wasm == null || wasm.dataIdMap == null) return false;
  const threads = wasm.wasm.tfjs?.getThreadsCount?.() ?? 1;
  return threads === 1 && linkToHeap(wasm) != null;
}

function linked(kernel: string, backend: WasmBackend): Functions {
  const fn = linkToHeap(backend);
  if (fn == null) throw new Error(`${kernel}: tfjs-wasm's heap cannot be imported here`);
  return fn;
}

/**
 * Runs `fn` with `floats` floats of scratch in tfjs-wasm's heap (16-byte aligned), freed after.
 * Where the heap has no room, Emscripten's `_malloc` returns 0, and a kernel that packed its
 * operand there would overwrite the heap's first bytes (the backend then aborts on every later
 * call): that is a `ValueError` naming `kernel` and the bytes, before anything is allocated.
 */
function withScratch<R>(backend: WasmBackend, kernel: string, floats: number,
                        fn: (at: number) => R): R {
  const bytes = 4 * floats + 16;
  const raw = backend.wasm._malloc(bytes) >>> 0;
  if (raw === 0) {
    throw new ValueError(
        `${kernel}: tfjs-wasm's heap has no room for the ${bytes} bytes (${
            Math.ceil(bytes / 2 ** 20)} MiB) of scratch this call needs; nothing was run and ` +
        `the backend is as it was. Free some tensors or use smaller operands.`);
  }
  try {
    return fn(Math.ceil(raw / 16) * 16);
  } finally {
    backend.wasm._free(raw);
  }
}

/** Floats the module packs a right operand of `k` x `n` into, bias and a narrow panel's block. */
const packedFloats = (k: number, n: number) => Math.ceil(n / 8) * 8 * (k + 1) + 32;

/**
 * Floats of scratch that the matMul kernel takes from tfjs-wasm's heap for `a . b` with `b` of
 * `inner` x `columns` (as used): its packed copy of `b`; none when `a` is read transposed.
 */
export function productScratchFloats(inner: number, columns: number, transposeA: boolean):
    number {
  return transposeA ? 0 : packedFloats(inner, columns);
}

/**
 * Floats of scratch that the one-kernel forward pass takes from tfjs-wasm's heap for
 * `channels` (C x M) depthwise channels and `outChannels`: the packed pointwise filter and a
 * block of four depthwise rows.
 */
export function separableScratchFloats(channels: number, outChannels: number): number {
  return packedFloats(channels, outChannels) + 4 * channels;
}

const product: KernelFunc = ({inputs, backend, attrs}) => {
  const {a, b, bias} = inputs as {a: TensorInfo, b: TensorInfo, bias?: TensorInfo};
  checkMatMul(MATMUL_KERNEL, a, b, bias, attrs);
  const {transposeA, transposeB} = attrs as unknown as MatMulAttrs;
  if (transposeA && transposeB) {
    throw new Error(`${MATMUL_KERNEL}: wasm takes at most one operand transposed`);
  }
  const wasm = backend as unknown as WasmBackend;
  const fn = linked(MATMUL_KERNEL, wasm);
  const [rows, inner] = transposeA ? [a.shape[1], a.shape[0]] : a.shape;
  const columns = transposeB ? b.shape[0] : b.shape[1];
  const at = (info: TensorInfo) => heapOffset(wasm, info);
  const biasAt = bias == null ? 0 : at(bias);
  if (transposeA || rows * columns === 0) {
    const out = wasm.makeOutput([rows, columns], 'float32');
    if (rows * columns > 0) fn.productTN(at(a), at(b), biasAt, at(out), inner, rows, columns);
    return out;
  }
  // The scratch first: where the heap has no room, the call fails before its output exists.
  return withScratch(wasm, MATMUL_KERNEL, productScratchFloats(inner, columns, false), s => {
    const out = wasm.makeOutput([rows, columns], 'float32');
    fn.product(at(a), at(b), biasAt, at(out), s, rows, inner, columns, transposeB ? 1 : 0);
    return out;
  });
};

const separable: KernelFunc = ({inputs, backend, attrs}) => {
  const {x, depthwiseFilter, pointwiseFilter, bias} = inputs as
      {x: TensorInfo, depthwiseFilter: TensorInfo, pointwiseFilter: TensorInfo, bias?: TensorInfo};
  const [n, l, c, k, m, o] =
      checkSeparable(SEPARABLE_KERNEL, x, depthwiseFilter, pointwiseFilter, bias, attrs);
  const {stride, dilation, padLeft, outWidth: t, activation, keepDepthwise} =
      attrs as unknown as SeparableAttrs;
  const wasm = backend as unknown as WasmBackend;
  const fn = linked(SEPARABLE_KERNEL, wasm);
  const at = (info: TensorInfo) => heapOffset(wasm, info);
  // The scratch first: where the heap has no room, the call fails before its outputs exist.
  return withScratch(wasm, SEPARABLE_KERNEL, separableScratchFloats(c * m, o), s => {
    const y = wasm.makeOutput([n, t, o], 'float32');
    const d = keepDepthwise ? wasm.makeOutput([n * t, c * m], 'float32') : null;
    fn.separable(at(x), at(depthwiseFilter), at(pointwiseFilter), bias == null ? 0 : at(bias),
                 at(y), d == null ? 0 : at(d), s, n, l, c, m, k, stride, dilation, padLeft, t, o,
                 activation === 'relu' ? 1 : 0);
    return d == null ? y : [y, d];
  });
};

/** The products' registration for the wasm backend. */
export const wasmMatMulConfig: KernelConfig = {
  kernelName: MATMUL_KERNEL,
  backendName: 'wasm',
  kernelFunc: product
};

/** The one-kernel forward pass's registration for the wasm backend. */
export const wasmSeparableConfig: KernelConfig = {
  kernelName: SEPARABLE_KERNEL,
  backendName: 'wasm',
  kernelFunc: separable
};
