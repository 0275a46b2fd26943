import {ArrayActivation, activationOf} from './activations.js';
import {RecurrentSettings} from './description.js';
import {Scratch} from './frame_buffers.js';
import {NodeState, ProgramNode} from './node.js';
import {SimdKernel, SimdRows} from './simd/simd.js';
import {pointwise} from './window_node.js';
import {WeightSource} from './weights.js';

/**
 * One cell's arithmetic on typed arrays: `step` reads `C` input values of `x` from `xAt` and
 * moves its states (h, and c for an LSTM: `units` values each from `at`) one frame on, in
 * place; h is the output.
 */
interface CellArithmetic {
  refresh(): void;
  step(x: Float32Array, xAt: number, states: Float32Array[], at: number): void;
}

/**
 * `bias + v · w` for one row `v` of `n` values and a row-major `n x O` matrix `w`, into `out`:
 * through wasm SIMD where the runtime has it (float32 sums, as tfjs's own product), else JS
 * loops with float64 sums.
 */
class RowProduct {
  readonly out: Float32Array | Float64Array;
  private readonly rows: SimdRows | null;
  private w: Float32Array = new Float32Array(0);

  constructor(
    simd: SimdKernel | null,
    private readonly n: number,
    private readonly O: number
  ) {
    this.rows = simd == null ? null : new SimdRows(simd, n, O);
    this.out = simd == null ? new Float64Array(O) : new Float32Array(O);
  }

  load(w: Float32Array): void {
    this.w = w;
    this.rows?.load(w);
  }

  run(v: Float32Array, at: number, bias: Float32Array | null): void {
    if (this.rows == null) {
      pointwise(v, this.n, this.w, bias, this.out as Float64Array, this.O, at);
      return;
    }
    const {heap, at: to} = this.rows.input(1);
    heap.set(v.subarray(at, at + this.n), to);
    this.rows.run(1, bias, this.out as Float32Array);
  }
}

/** The cell's activation and recurrent activation, or undefined if the program lacks one. */
function cellActivations(
  settings: RecurrentSettings
): {activation: ArrayActivation | null; gate: ArrayActivation | null} | undefined {
  const activation = activationOf(settings.activation);
  const gate = activationOf(settings.recurrentActivation);
  return activation === undefined || gate === undefined ? undefined : {activation, gate};
}

/** Applies an activation (null: linear) in place to the first `n` values of `v`. */
function activate(f: ArrayActivation | null, v: Float32Array, n: number): void {
  if (f != null) f(v, 1, n);
}

/**
 * tfjs's (and Keras's) GRU, gates z, r, h: with `resetAfter` the reset gate multiplies the
 * recurrent product, bias included (bias `[2, 3 units]`: input half, then recurrent half);
 * without, it multiplies h before its product (bias `[3 units]`, on the input side).
 */
function gruCell(
  settings: RecurrentSettings,
  weights: WeightSource,
  C: number,
  U: number,
  simd: SimdKernel | null
): CellArithmetic | undefined {
  const f = cellActivations(settings);
  if (f == null) return undefined;
  const {resetAfter} = settings;
  const input = new RowProduct(simd, C, 3 * U);
  // Reset after: one product with the whole recurrent kernel. Before: its z and r columns,
  // then its h columns on r * h, each a contiguous matrix.
  const recurrent = new RowProduct(simd, U, resetAfter ? 3 * U : 2 * U);
  const recurrentH = resetAfter ? null : new RowProduct(simd, U, U);
  const z = new Float32Array(U);
  const r = new Float32Array(U);
  const candidate = new Float32Array(U);
  const resetH = new Float32Array(U);
  let inputBias: Float32Array | null = null;
  let recurrentBias: Float32Array | null = null;
  return {
    refresh() {
      if (!weights.refresh()) return;
      input.load(weights.get('kernel')!);
      const rk = weights.get('recurrent_kernel')!;
      const bias = weights.get('bias');
      inputBias = bias?.subarray(0, 3 * U) ?? null;
      recurrentBias = resetAfter ? (bias?.subarray(3 * U) ?? null) : null;
      if (recurrentH == null) {
        recurrent.load(rk);
        return;
      }
      const zr = new Float32Array(U * 2 * U);
      const h = new Float32Array(U * U);
      for (let j = 0; j < U; j++) {
        zr.set(rk.subarray(j * 3 * U, j * 3 * U + 2 * U), j * 2 * U);
        h.set(rk.subarray(j * 3 * U + 2 * U, (j + 1) * 3 * U), j * U);
      }
      recurrent.load(zr);
      recurrentH.load(h);
    },
    step(x, xAt, [h], at) {
      input.run(x, xAt, inputBias);
      recurrent.run(h, at, recurrentBias);
      const fromX = input.out;
      const fromH = recurrent.out;
      for (let u = 0; u < U; u++) {
        z[u] = fromX[u] + fromH[u];
        r[u] = fromX[U + u] + fromH[U + u];
      }
      activate(f.gate, z, U);
      activate(f.gate, r, U);
      if (recurrentH == null) {
        for (let u = 0; u < U; u++) candidate[u] = fromX[2 * U + u] + r[u] * fromH[2 * U + u];
      } else {
        for (let u = 0; u < U; u++) resetH[u] = r[u] * h[at + u];
        recurrentH.run(resetH, 0, null);
        for (let u = 0; u < U; u++) candidate[u] = fromX[2 * U + u] + recurrentH.out[u];
      }
      activate(f.activation, candidate, U);
      for (let u = 0; u < U; u++) h[at + u] = z[u] * h[at + u] + (1 - z[u]) * candidate[u];
    },
  };
}

/** tfjs's LSTM: gates i, f, c, o from x · kernel + h · recurrent kernel + bias. */
function lstmCell(
  settings: RecurrentSettings,
  weights: WeightSource,
  C: number,
  U: number,
  simd: SimdKernel | null
): CellArithmetic | undefined {
  const f = cellActivations(settings);
  if (f == null) return undefined;
  const input = new RowProduct(simd, C, 4 * U);
  const recurrent = new RowProduct(simd, U, 4 * U);
  const gates = new Float32Array(4 * U);
  const cell = new Float32Array(U);
  let bias: Float32Array | null = null;
  return {
    refresh() {
      if (!weights.refresh()) return;
      input.load(weights.get('kernel')!);
      recurrent.load(weights.get('recurrent_kernel')!);
      bias = weights.get('bias');
    },
    step(x, xAt, [h, c], at) {
      input.run(x, xAt, bias);
      recurrent.run(h, at, null);
      for (let j = 0; j < 4 * U; j++) gates[j] = input.out[j] + recurrent.out[j];
      const candidate = gates.subarray(2 * U, 3 * U);
      activate(f.gate, gates, 2 * U);
      activate(f.activation, candidate, U);
      const out = gates.subarray(3 * U);
      activate(f.gate, out, U);
      for (let u = 0; u < U; u++) {
        c[at + u] = gates[U + u] * c[at + u] + gates[u] * candidate[u];
        cell[u] = c[at + u];
      }
      activate(f.activation, cell, U);
      for (let u = 0; u < U; u++) h[at + u] = out[u] * cell[u];
    },
  };
}

/** tfjs's SimpleRNN: h = activation(x · kernel + bias + h · recurrent kernel). */
function simpleCell(
  settings: RecurrentSettings,
  weights: WeightSource,
  C: number,
  U: number,
  simd: SimdKernel | null
): CellArithmetic | undefined {
  const activation = activationOf(settings.activation);
  if (activation === undefined) return undefined;
  const input = new RowProduct(simd, C, U);
  const recurrent = new RowProduct(simd, U, U);
  const sum = new Float32Array(U);
  let bias: Float32Array | null = null;
  return {
    refresh() {
      if (!weights.refresh()) return;
      input.load(weights.get('kernel')!);
      recurrent.load(weights.get('recurrent_kernel')!);
      bias = weights.get('bias');
    },
    step(x, xAt, [h], at) {
      input.run(x, xAt, bias);
      recurrent.run(h, at, null);
      for (let u = 0; u < U; u++) sum[u] = input.out[u] + recurrent.out[u];
      activate(activation, sum, U);
      h.set(sum, at);
    },
  };
}

type MakeCell = (
  settings: RecurrentSettings,
  weights: WeightSource,
  C: number,
  U: number,
  simd: SimdKernel | null
) => CellArithmetic | undefined;

const CELLS: Record<RecurrentSettings['cell'], {states: number; make: MakeCell}> = {
  GRU: {states: 1, make: gruCell},
  LSTM: {states: 2, make: lstmCell},
  SimpleRNN: {states: 1, make: simpleCell},
};

/**
 * A unidirectional recurrent layer as the tensor step runs it: the cell on each new frame, the
 * states carried from push to push (as one frame `[batch, 1, units]` each, or none before the
 * first frame, which means zeros); each frame's h is an output frame (with `returnSequences`
 * false, the pooled answer for the signal so far). The products through wasm SIMD when `simd`
 * is given. Undefined for a cell or activation the program lacks.
 */
export function recurrentNode(
  settings: RecurrentSettings,
  weights: WeightSource,
  C: number,
  batch: number,
  simd: SimdKernel | null
): ProgramNode | undefined {
  const {cell, units: U} = settings;
  const arithmetic = CELLS[cell].make(settings, weights, C, U, simd);
  if (arithmetic == null) return undefined;
  const states = Array.from({length: CELLS[cell].states}, () => new Float32Array(batch * U));
  const out = new Scratch(n => new Float32Array(n));
  let started = false;
  return {
    refresh: arithmetic.refresh,
    run([x]) {
      if (x.n === 0) return {data: out.array, n: 0};
      const data = out.get(batch * x.n * U);
      for (let b = 0; b < batch; b++) {
        for (let t = 0; t < x.n; t++) {
          const frame = b * x.n + t;
          arithmetic.step(x.data, frame * C, states, b * U);
          data.set(states[0].subarray(b * U, (b + 1) * U), frame * U);
        }
      }
      started = true;
      return {data, n: x.n};
    },
    exportState: () => ({
      buffers: states.map(s =>
        started ? {data: s.slice(), n: 1} : {data: new Float32Array(0), n: 0}
      ),
      skip: 0,
    }),
    importState(state: NodeState) {
      started = state.buffers[0].n > 0;
      states.forEach((s, i) => {
        if (started) s.set(state.buffers[i].data.subarray(0, batch * U));
        else s.fill(0);
      });
    },
  };
}
