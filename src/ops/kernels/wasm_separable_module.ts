import {ValueError} from '../../errors.js';

import {
  SEPARABLE_WASM_IMPORTED_MEMORY,
  SEPARABLE_WASM_RELAXED_IMPORTED_MEMORY,
  SEPARABLE_WASM_RELAXED_SHARED_MEMORY,
  SEPARABLE_WASM_SHARED_MEMORY,
} from './wasm/separable_wasm.js';
import {decode, heapLinker, WasmBackend} from './wasm_heap.js';

// The WebAssembly SIMD module built from wasm/separable.c, linked to tfjs-wasm's heap: the
// exports behind two kernels, the op's whole forward pass (`wasm_separable.ts`) and its matrix
// products (`wasm_matmul.ts`), and the scratch they take from that heap. Where the engine has
// relaxed SIMD, a second build multiplies and adds in one instruction.

type Separable = (
  x: number,
  w: number,
  p: number,
  bias: number,
  y: number,
  d: number,
  scratch: number,
  n: number,
  l: number,
  c: number,
  m: number,
  k: number,
  s: number,
  dilation: number,
  padLeft: number,
  t: number,
  o: number,
  act: number
) => void;
type Product = (
  a: number,
  b: number,
  bias: number,
  y: number,
  scratch: number,
  rows: number,
  k: number,
  n: number,
  bt: number
) => void;
type ProductTN = (
  a: number,
  b: number,
  bias: number,
  y: number,
  rows: number,
  p: number,
  q: number
) => void;

/** The module's exports. */
export interface Functions {
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
const relaxed = heapLinker(
  SEPARABLE_WASM_RELAXED_IMPORTED_MEMORY,
  SEPARABLE_WASM_RELAXED_SHARED_MEMORY,
  functions
);

let relaxedValid: boolean | undefined;
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
  relaxedValid ??=
    typeof WebAssembly !== 'undefined' &&
    WebAssembly.validate(decode(SEPARABLE_WASM_RELAXED_IMPORTED_MEMORY));
  return relaxedValid;
}

/** @internal For specs: whether to allow the relaxed-SIMD build where the engine has it. */
export function allowRelaxedSimd(on: boolean): void {
  relaxedAllowed = on;
}

/** The module linked to `backend`'s heap, relaxed where allowed; null where it cannot be. */
function linkToHeap(backend: WasmBackend): Functions | null {
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

/** The module linked to `backend`'s heap, for `kernel` (which throws where it cannot be). */
export function linked(kernel: string, backend: WasmBackend): Functions {
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
export function withScratch<R>(
  backend: WasmBackend,
  kernel: string,
  floats: number,
  fn: (at: number) => R
): R {
  const bytes = 4 * floats + 16;
  const raw = backend.wasm._malloc(bytes) >>> 0;
  if (raw === 0) {
    throw new ValueError(
      `${kernel}: tfjs-wasm's heap has no room for the ${bytes} bytes (${Math.ceil(
        bytes / 2 ** 20
      )} MiB) of scratch this call needs; nothing was run and ` +
        `the backend is as it was. Free some tensors or use smaller operands.`
    );
  }
  try {
    return fn(Math.ceil(raw / 16) * 16);
  } finally {
    backend.wasm._free(raw);
  }
}

/** Floats the module packs a right operand of `k` x `n` into, bias and a narrow panel's block. */
export const packedFloats = (k: number, n: number) => Math.ceil(n / 8) * 8 * (k + 1) + 32;
