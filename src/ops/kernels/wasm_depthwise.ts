import {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {checkDepthwise, checkDepthwiseForward} from './checks.js';
import {
  DEPTHWISE_KERNEL,
  DepthwiseAttrs,
  DepthwiseForwardAttrs,
  FILTER_GRAD_KERNEL,
  INPUT_GRAD_KERNEL,
} from './names.js';
import {
  DEPTHWISE_WASM_IMPORTED_MEMORY,
  DEPTHWISE_WASM_OWN_MEMORY,
  DEPTHWISE_WASM_SHARED_MEMORY,
} from './wasm/depthwise_wasm.js';
import {decode, heapLinker, heapOffset, WasmBackend} from './wasm_heap.js';

// The depthwise correlation on tfjs-wasm as our own WebAssembly SIMD module (wasm/depthwise.c):
// vectorised over channels in the NWC layout, any filter width, stride, dilation and
// multiplier, zero padding by bounds. It replaces tfjs-wasm's tap pieces, their pad and the
// finiteness check that their zero taps need (see strategy.ts for the measurements).
//
// Three builds of the module (scripts/build-wasm.mjs). Where tfjs-wasm's heap is reachable
// (its Emscripten module's memory), the module imports that very memory, unshared (tfjs's
// SIMD build) or shared (its threaded build, which cross-origin-isolated pages load even for
// one thread), and runs on the tensors where they are: no copies (row B's depthwise half: 1.5
// ms, against 3.8 with copies). Where it is not, the module has a memory of its own: each call copies the input window and the filter in and the result out,
// through typed-array views made after every allocation, since an allocation may grow and so
// replace a heap. Long inputs then run in windows of outputs, so that memory stays near
// WINDOW_BYTES whatever the tensor sizes.

/** The exports take (x or dd, w or dd, out, N, L, C, M, K, S, D, padLeft, T), as in depthwise.c. */
type ModuleFn = (
  x: number,
  w: number,
  y: number,
  n: number,
  l: number,
  c: number,
  m: number,
  k: number,
  s: number,
  d: number,
  padLeft: number,
  t: number
) => void;

interface Functions {
  depthwise: ModuleFn;
  filterGrad: ModuleFn;
  inputGrad: ModuleFn;
}

interface Module extends Functions {
  memory: WebAssembly.Memory;
  heapBase: number;
}

/** Bytes of input and output that one call into the module moves at most (beyond the filter). */
const WINDOW_BYTES = 8 * 2 ** 20;

const PAGE = 65536;

let instance: Module | null | undefined;

/**
 * The module, made on first use: it is under 4 KB, which Chrome compiles synchronously on the
 * main thread too. Null where WebAssembly SIMD is missing (the op then runs tfjs's kernels).
 */
function module(): Module | null {
  if (instance !== undefined) return instance;
  instance = null;
  const bytes = decode(DEPTHWISE_WASM_OWN_MEMORY);
  if (typeof WebAssembly === 'undefined' || !WebAssembly.validate(bytes)) return null;
  const exports = new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports;
  instance = {
    memory: exports.memory as WebAssembly.Memory,
    heapBase: (exports.__heap_base as WebAssembly.Global).value as number,
    depthwise: exports.depthwise as ModuleFn,
    filterGrad: exports.filter_grad as ModuleFn,
    inputGrad: exports.input_grad as ModuleFn,
  };
  return instance;
}

/** Whether this JavaScript engine can run the kernel (WebAssembly with SIMD). */
export function wasmDepthwiseAvailable(): boolean {
  return module() != null;
}

let copiesOnly = false;

/**
 * @internal For specs: whether to copy through the module's own memory even where tfjs-wasm's
 * heap could be imported (the path of tfjs-wasm's threaded build).
 */
export function copyThroughOwnMemory(on: boolean): void {
  copiesOnly = on;
}

const linkToHeap = heapLinker(
  DEPTHWISE_WASM_IMPORTED_MEMORY,
  DEPTHWISE_WASM_SHARED_MEMORY,
  (exports): Functions => ({
    depthwise: exports.depthwise as ModuleFn,
    filterGrad: exports.filter_grad as ModuleFn,
    inputGrad: exports.input_grad as ModuleFn,
  })
);

/** The module linked to tfjs-wasm's own memory, or null where that memory cannot be imported. */
function heapModule(backend: WasmBackend): Functions | null {
  return copiesOnly ? null : linkToHeap(backend);
}

/** Grows the module's memory to at least `bytes`. */
function reserve(mod: Module, bytes: number): void {
  const have = mod.memory.buffer.byteLength;
  if (bytes > have) mod.memory.grow(Math.ceil((bytes - have) / PAGE));
}

/** Offset of the first 16-byte boundary at or after `bytes`. */
const aligned = (bytes: number) => Math.ceil(bytes / 16) * 16;

const depthwise: KernelFunc = ({inputs, backend, attrs}) => {
  const {x, filter} = inputs as {x: TensorInfo; filter: TensorInfo};
  const [n, l, c, k, m] = checkDepthwiseForward(DEPTHWISE_KERNEL, x, filter, attrs);
  const {stride: s, dilation: d, padLeft, outWidth: t} = attrs as unknown as DepthwiseForwardAttrs;
  const mod = module();
  if (mod == null) throw new Error(`${DEPTHWISE_KERNEL}: this engine has no WebAssembly SIMD`);
  const wasm = backend as unknown as WasmBackend;
  const out = wasm.makeOutput([n, t, c * m], 'float32');
  const at = (info: TensorInfo) => heapOffset(wasm, info);
  const inHeap = heapModule(wasm);
  if (inHeap != null) {
    inHeap.depthwise(at(x), at(filter), at(out), n, l, c, m, k, s, d, padLeft, t);
    return out;
  }
  const cm = c * m;
  const span = (k - 1) * d + 1;
  // The whole batch in one call where input and output fit the window; else each example in
  // windows of outputs whose input rows ((outputs - 1) * S + span) and outputs fit it.
  const whole = n * (l * c + t * cm) <= WINDOW_BYTES / 4;
  const perWindow = whole
    ? t
    : Math.max(1, Math.floor((WINDOW_BYTES / 4 - span * c) / (s * c + cm)) + 1);
  const inputRows = whole ? n * l : Math.min(l, (Math.min(perWindow, t) - 1) * s + span);
  const filterAt = aligned(mod.heapBase);
  const inputAt = aligned(filterAt + 4 * k * cm);
  const outputAt = aligned(inputAt + 4 * inputRows * c);
  const outputs = (whole ? n : 1) * Math.min(perWindow, t) * cm;
  reserve(mod, outputAt + 4 * outputs);
  // Views made after every allocation: growing a memory replaces its buffer (tfjs-wasm's heap
  // may have grown for the output, the module's just now).
  const heap = wasm.wasm.HEAPU8.buffer;
  const memory = mod.memory.buffer;
  const tensor = (info: TensorInfo, begin: number, end: number) =>
    new Float32Array(heap, at(info) + 4 * begin, end - begin);
  const local = (at: number, size: number) => new Float32Array(memory, at, size);
  local(filterAt, k * cm).set(tensor(filter, 0, k * cm));
  if (whole) {
    local(inputAt, n * l * c).set(tensor(x, 0, n * l * c));
    mod.depthwise(inputAt, filterAt, outputAt, n, l, c, m, k, s, d, padLeft, t);
    tensor(out, 0, n * t * cm).set(local(outputAt, n * t * cm));
    return out;
  }
  for (let b = 0; b < n; b++) {
    for (let t0 = 0; t0 < t; t0 += perWindow) {
      const t1 = Math.min(t, t0 + perWindow);
      // The input rows [i0, i1) that the taps of outputs [t0, t1) read inside [0, L): the
      // window's edges are the input's own edges or lie beyond every tap of these outputs.
      const i0 = Math.min(l, Math.max(0, t0 * s - padLeft));
      const i1 = Math.max(i0, Math.min(l, (t1 - 1) * s - padLeft + span));
      local(inputAt, (i1 - i0) * c).set(tensor(x, (b * l + i0) * c, (b * l + i1) * c));
      mod.depthwise(
        inputAt,
        filterAt,
        outputAt,
        1,
        i1 - i0,
        c,
        m,
        k,
        s,
        d,
        padLeft + i0 - t0 * s,
        t1 - t0
      );
      tensor(out, (b * t + t0) * cm, (b * t + t1) * cm).set(local(outputAt, (t1 - t0) * cm));
    }
  }
  return out;
};

/**
 * A gradient kernel of two operands, `first` and `second` (in the module's argument order), to
 * `out` of `outShape`. Without tfjs-wasm's heap it copies both whole into the module's memory.
 */
function gradient(
  kernel: string,
  fn: (f: Functions) => ModuleFn,
  first: TensorInfo,
  second: TensorInfo,
  outShape: number[],
  backend: unknown,
  g: DepthwiseAttrs,
  c: number,
  m: number
): TensorInfo {
  const {batch: n, inWidth: l, outWidth: t, kernelSize: k, stride: s, dilation: d, padLeft} = g;
  const mod = module();
  if (mod == null) throw new Error(`${kernel}: this engine has no WebAssembly SIMD`);
  const wasm = backend as WasmBackend;
  const out = wasm.makeOutput(outShape, 'float32');
  const at = (info: TensorInfo) => heapOffset(wasm, info);
  const inHeap = heapModule(wasm);
  if (inHeap != null) {
    fn(inHeap)(at(first), at(second), at(out), n, l, c, m, k, s, d, padLeft, t);
    return out;
  }
  const size = (info: {shape: number[]}) => info.shape.reduce((p, q) => p * q, 1);
  const sizes = [size(first), size(second), size({shape: outShape})];
  const firstAt = aligned(mod.heapBase);
  const secondAt = aligned(firstAt + 4 * sizes[0]);
  const outAt = aligned(secondAt + 4 * sizes[1]);
  reserve(mod, outAt + 4 * sizes[2]);
  const heap = wasm.wasm.HEAPU8.buffer;
  const memory = mod.memory.buffer;
  new Float32Array(memory, firstAt, sizes[0]).set(new Float32Array(heap, at(first), sizes[0]));
  new Float32Array(memory, secondAt, sizes[1]).set(new Float32Array(heap, at(second), sizes[1]));
  fn(mod)(firstAt, secondAt, outAt, n, l, c, m, k, s, d, padLeft, t);
  new Float32Array(heap, at(out), sizes[2]).set(new Float32Array(memory, outAt, sizes[2]));
  return out;
}

/**
 * The depthwise filter gradient, `x [B, L, C]` and `dd [B*T, C*M]` to `[K, C, M]`, over the taps
 * inside the input.
 */
const filterGrad: KernelFunc = ({inputs, backend, attrs}) => {
  const {x, dd} = inputs as {x: TensorInfo; dd: TensorInfo};
  const [c, m] = checkDepthwise(FILTER_GRAD_KERNEL, dd, x, 'x', attrs);
  const g = attrs as unknown as DepthwiseAttrs;
  return gradient(
    FILTER_GRAD_KERNEL,
    f => f.filterGrad,
    x,
    dd,
    [g.kernelSize, c, m],
    backend,
    g,
    c,
    m
  );
};

/**
 * The depthwise input gradient, `dd [B*T, C*M]` and `filter [K, C, M]` to `[B, L, C]`, at any
 * stride: each output row adds its share to the input rows its taps read (no spread zeros).
 */
const inputGrad: KernelFunc = ({inputs, backend, attrs}) => {
  const {dd, filter} = inputs as {dd: TensorInfo; filter: TensorInfo};
  const [c, m] = checkDepthwise(INPUT_GRAD_KERNEL, dd, filter, 'filter', attrs);
  const g = attrs as unknown as DepthwiseAttrs;
  return gradient(
    INPUT_GRAD_KERNEL,
    f => f.inputGrad,
    dd,
    filter,
    [g.batch, g.inWidth, c],
    backend,
    g,
    c,
    m
  );
};

/** The input gradient's registration for the wasm backend. */
export const wasmInputGradConfig: KernelConfig = {
  kernelName: INPUT_GRAD_KERNEL,
  backendName: 'wasm',
  kernelFunc: inputGrad,
};

/** The filter gradient's registration for the wasm backend. */
export const wasmFilterGradConfig: KernelConfig = {
  kernelName: FILTER_GRAD_KERNEL,
  backendName: 'wasm',
  kernelFunc: filterGrad,
};

/** The kernel's registration for the wasm backend. */
export const wasmDepthwiseConfig: KernelConfig = {
  kernelName: DEPTHWISE_KERNEL,
  backendName: 'wasm',
  kernelFunc: depthwise,
};
