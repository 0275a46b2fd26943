import {decodeBase64} from '../../base64.js';
import {PRODUCT_WASM} from './product_wasm.js';

/** Bytes of a wasm page. */
const PAGE = 65536;
/**
 * The pages the module itself takes (its 4 KB stack and globals, scripts/build-wasm.mjs): the
 * regions handed out start after them.
 */
const MODULE_PAGES = 1;

/** The compiled kernel, shared by every stream (null: this runtime has no wasm SIMD). */
let compiled: WebAssembly.Module | null | undefined;

/**
 * The wasm SIMD product kernel and the memory it works in: a region per weight matrix and per
 * scratch, handed out once (a stream's regions grow geometrically with its largest chunk; the
 * memory goes with the stream).
 */
export class SimdKernel {
  private view: Float32Array;
  private top = (MODULE_PAGES * PAGE) / 4;

  private constructor(
    private readonly memory: WebAssembly.Memory,
    private readonly kernel: (
      acc: number,
      v: number,
      n: number,
      w: number,
      O: number,
      rows: number
    ) => void
  ) {
    this.view = new Float32Array(memory.buffer);
  }

  /**
   * A kernel with a memory of its own (one per stream, freed with it), or null when this
   * runtime cannot run it.
   */
  static create(): SimdKernel | null {
    try {
      if (compiled === undefined) {
        const bytes = decodeBase64(PRODUCT_WASM)!;
        // Small enough (under 4 KB) to compile synchronously on a browser's main thread.
        compiled = typeof WebAssembly === 'object' ? new WebAssembly.Module(bytes) : null;
      }
      if (compiled == null) return null;
      const memory = new WebAssembly.Memory({initial: MODULE_PAGES + 1});
      const instance = new WebAssembly.Instance(compiled, {env: {memory}});
      return new SimdKernel(memory, instance.exports.product as SimdKernel['kernel']);
    } catch {
      // No WebAssembly, or no SIMD in it (the module does not validate): the JS loops run.
      compiled = null;
      return null;
    }
  }

  /** The memory as floats (a new view after the memory grew, which only `alloc` does). */
  get heap(): Float32Array {
    return this.view;
  }

  /** A region of `floats` floats (16-byte aligned): its index in `heap`. */
  alloc(floats: number): number {
    const start = Math.ceil(this.top / 4) * 4;
    const end = start + floats;
    const pages = Math.ceil((end * 4) / PAGE) - this.memory.buffer.byteLength / PAGE;
    if (pages > 0) {
      this.memory.grow(pages);
      this.view = new Float32Array(this.memory.buffer);
    }
    this.top = end;
    return start;
  }

  /**
   * acc[r] += v[r] · w for `rows` rows: `acc` (rows x O), `v` (rows x n) and `w` (n x O) are
   * float indices of regions in `heap`.
   */
  product(acc: number, v: number, n: number, w: number, O: number, rows: number): void {
    this.kernel(acc * 4, v * 4, n, w * 4, O, rows);
  }
}

/** A region of a kernel's memory that grows geometrically (its values are not kept). */
export class SimdScratch {
  private start = 0;
  private size = 0;

  constructor(private readonly kernel: SimdKernel) {}

  /** The float index of a region of at least `floats` floats. */
  get(floats: number): number {
    if (floats > this.size) {
      this.size = Math.max(floats, 2 * this.size, 64);
      this.start = this.kernel.alloc(this.size);
    }
    return this.start;
  }
}

/**
 * Row products `out[r] = bias + v[r] · w` through the kernel for one layer: its weights live in
 * the kernel's memory (copied when they change), its rows in a scratch.
 */
export class SimdRows {
  private readonly weights: number;
  private readonly rows: SimdScratch;
  private readonly accs: SimdScratch;

  constructor(
    private readonly kernel: SimdKernel,
    private readonly n: number,
    private readonly O: number
  ) {
    this.weights = kernel.alloc(n * O);
    this.rows = new SimdScratch(kernel);
    this.accs = new SimdScratch(kernel);
  }

  /** Copies the weight matrix (n x O, row-major) into the kernel's memory. */
  load(w: Float32Array): void {
    this.kernel.heap.set(w.subarray(0, this.n * this.O), this.weights);
  }

  /** Room for `rows` input rows: the heap and the index where row r's n values go (r * n on). */
  input(rows: number): {heap: Float32Array; at: number} {
    const at = this.rows.get(rows * this.n);
    this.accs.get(rows * this.O);
    return {heap: this.kernel.heap, at};
  }

  /** Runs the product on the rows written since `input`, into `out` (rows x O). */
  run(rows: number, bias: Float32Array | null, out: Float32Array): void {
    const acc = this.accs.get(rows * this.O);
    const heap = this.kernel.heap;
    const O = this.O;
    for (let r = 0; r < rows; r++) {
      if (bias != null) heap.set(bias.subarray(0, O), acc + r * O);
      else heap.fill(0, acc + r * O, acc + (r + 1) * O);
    }
    this.kernel.product(acc, this.rows.get(rows * this.n), this.n, this.weights, O, rows);
    out.set(this.kernel.heap.subarray(acc, acc + rows * O));
  }
}
