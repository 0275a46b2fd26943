import {TensorInfo} from '@tensorflow/tfjs-core';

// Linking the op's WebAssembly modules to tfjs-wasm's own memory, so that they run on the
// tensors where they are (no copies). Shared by the depthwise module and the products module.

/** The parts of tfjs-backend-wasm's backend that the kernels use (no run-time dependency). */
export interface WasmBackend {
  // The Emscripten module: the SIMD build exports its memory (`asm.memory`), the threaded
  // build makes it in JavaScript (`wasmMemory`).
  wasm: {
    HEAPU8: Uint8Array;
    asm?: {memory?: unknown};
    wasmMemory?: unknown;
    _malloc(bytes: number): number;
    _free(offset: number): void;
    tfjs?: {getThreadsCount?: () => number};
  };
  dataIdMap: {get(dataId: object): {memoryOffset: number} | undefined};
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
}

/** The bytes of a module held as base64. */
export function decode(base64: string): Uint8Array<ArrayBuffer> {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/** Where a tensor's data starts in tfjs-wasm's heap. */
export function heapOffset(backend: WasmBackend, info: TensorInfo): number {
  return backend.dataIdMap.get(info.dataId)!.memoryOffset;
}

/**
 * One module's instances, each linked to the tfjs-wasm heap it was made for: built from the
 * unshared or the shared build (a shared memory links only to a shared import, and the other
 * way round). `link` returns null where the heap cannot be imported.
 */
export function heapLinker<F>(
  unshared: string,
  shared: string,
  exportsOf: (exports: WebAssembly.Exports) => F
) {
  const linked = new WeakMap<WebAssembly.Memory, F | null>();
  return (backend: WasmBackend): F | null => {
    const memory = backend.wasm.asm?.memory ?? backend.wasm.wasmMemory;
    if (!(memory instanceof WebAssembly.Memory)) return null;
    let fn = linked.get(memory);
    if (fn === undefined) {
      fn = null;
      try {
        const isShared =
          typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
        const bytes = decode(isShared ? shared : unshared);
        fn = exportsOf(
          new WebAssembly.Instance(new WebAssembly.Module(bytes), {env: {memory}}).exports
        );
      } catch {
        fn = null;
      }
      linked.set(memory, fn);
    }
    return fn;
  };
}
