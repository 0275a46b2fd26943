import {slide} from '../sliding.js';

import {activationOf, productActivation} from './activations.js';
import {
  Conv1dSettings,
  DepthwiseSettings,
  SeparableSettings,
  WindowSettings,
} from './description.js';
import {FrameMemory, FrameQueue, Frames, Scratch} from './frame_buffers.js';
import {NodeState, ProgramNode} from './node.js';
import {SimdDepthwise, SimdKernel, SimdRows} from './simd/simd.js';
import {WeightSource} from './weights.js';

/** Computes `windows` outputs per batch element from the queue's frames into `out`. */
type Convolve = (q: FrameQueue, windows: number, stride: number, out: Float32Array) => void;

/** A layer's arithmetic over windows, with the weights it re-reads when they change. */
export interface WindowArithmetic {
  refresh(): void;
  run: Convolve;
  /** Where the queue keeps its frames, when the arithmetic reads them there (SIMD kernels). */
  memory?: FrameMemory;
}

/**
 * A convolution over a sliding window, as the tensor window step runs it: a queue that starts
 * with the left padding (`padValue` frames) and holds the frames the next window needs, and a
 * skip for strides longer than the window. `convolve` is the layer's arithmetic on the full
 * windows.
 */
export function windowNode(
  settings: WindowSettings,
  convolve: WindowArithmetic,
  inChannels: number,
  outChannels: number,
  batch: number,
  padValue = 0
): ProgramNode {
  const {span, stride, leftPadding} = settings;
  const capacity = 2 * (span + leftPadding + 8);
  const queue = new FrameQueue(batch, inChannels, capacity, convolve.memory ?? null);
  const out = new Scratch(n => new Float32Array(n));
  // The one result object, refilled every push (nothing allocated per push).
  const result: Frames = {data: out.array, n: 0};
  let skip = 0;
  queue.appendZeros(leftPadding, padValue);
  return {
    refresh: convolve.refresh,
    run([x]) {
      const skipped = Math.min(skip, x.n);
      skip -= skipped;
      queue.append(x.data, x.n, skipped, x.n - skipped);
      const {windows, used, skip: next} = slide(queue.length, span, stride);
      result.n = windows;
      if (windows === 0) return result;
      result.data = out.get(batch * windows * outChannels);
      convolve.run(queue, windows, stride, result.data);
      queue.drop(used);
      skip = next;
      return result;
    },
    exportState: () => ({buffers: [{data: queue.read(), n: queue.length}], skip}),
    importState(state: NodeState) {
      queue.load(state.buffers[0].data, state.buffers[0].n);
      skip = state.skip;
    },
  };
}

/**
 * The separable layer: depthwise taps per channel (and multiplier), then the pointwise product,
 * float64 accumulators, then bias and activation.
 */
export function separableWindows(
  settings: SeparableSettings,
  weights: WeightSource,
  C: number,
  O: number,
  simd: SimdKernel | null
): WindowArithmetic | undefined {
  const activation = productActivation(settings.activation, simd != null);
  if (activation === undefined) return undefined;
  const {relu, after} = activation;
  const {kernelSize: K, dilation, multiplier: M} = settings;
  const CM = C * M;
  const depth = new Float64Array(CM);
  const acc = new Float64Array(O);
  let dw: Float32Array = new Float32Array(0);
  let pw: Float32Array = new Float32Array(0);
  let bias: Float32Array | null = null;
  // Through wasm SIMD where the runtime has it (float32 sums, as tfjs's own kernels): the taps
  // (multiplier 1) on the frames kept in the kernel's memory, and the pointwise product with
  // its bias and ReLU; JS loops with float64 sums otherwise.
  const rows = simd == null ? null : new SimdRows(simd, CM, O, relu);
  const taps = simd == null || M !== 1 ? null : new SimdDepthwise(simd, C, K);
  return {
    memory: taps == null ? undefined : simd!,
    refresh() {
      if (!weights.refresh()) return;
      dw = weights.get('depthwise_kernel')!;
      pw = weights.get('pointwise_kernel')!;
      bias = weights.get('bias');
      rows?.load(pw);
      taps?.load(dw);
    },
    run(q, windows, stride, out) {
      const step = dilation * C;
      // Before reading the queue's data: a new scratch may grow the memory (a new heap view).
      const input = rows?.input(q.batch * windows);
      const x = q.data;
      for (let b = 0; b < q.batch; b++) {
        if (input != null && taps != null) {
          taps.run(q.offset(b, 0), windows, stride, dilation, input.at + b * windows * CM);
          continue;
        }
        for (let w = 0; w < windows; w++) {
          const base = q.offset(b, w * stride);
          depthwiseTaps(x, base, step, dw, C, M, K, depth);
          if (input != null) {
            input.heap.set(depth, input.at + (b * windows + w) * CM);
            continue;
          }
          pointwise(depth, CM, pw, bias, acc, O);
          const o0 = (b * windows + w) * O;
          for (let o = 0; o < O; o++) out[o0 + o] = acc[o];
        }
      }
      if (rows != null) rows.run(q.batch * windows, bias, out);
      if (after != null) after(out, q.batch * windows, O);
    },
  };
}

/**
 * Max or average pooling over `span` frames of `C` channels, in float64: NaN where a window
 * reads a NaN (Math.max and the sum keep it), and an average of +Inf and -Inf is NaN. The
 * average divides by the span, or with `insideCount` by the frames inside the signal: its
 * frames then carry one more channel, 1 for a frame and 0 for padding (see local_pooling.ts).
 */
export function localPoolingWindows(
  kind: 'max' | 'average',
  span: number,
  C: number,
  {insideCount = false}: {insideCount?: boolean} = {}
): WindowArithmetic {
  const width = insideCount ? C + 1 : C;
  return {
    refresh: () => {},
    run(q, windows, stride, out) {
      const x = q.data;
      for (let b = 0; b < q.batch; b++) {
        for (let w = 0; w < windows; w++) {
          const base = q.offset(b, w * stride);
          const o0 = (b * windows + w) * C;
          let count = span;
          if (insideCount) {
            count = 0;
            for (let k = 0, i = base + C; k < span; k++, i += width) count += x[i];
          }
          for (let c = 0; c < C; c++) {
            let acc = kind === 'max' ? -Infinity : 0;
            for (let k = 0, i = base + c; k < span; k++, i += width) {
              acc = kind === 'max' ? Math.max(acc, x[i]) : acc + x[i];
            }
            out[o0 + c] = kind === 'max' ? acc : acc / count;
          }
        }
      }
    },
  };
}

/**
 * Average pooling whose windows may cover padding: a window node over the frames with a count
 * channel appended (its state is the tensor step's, `C + 1` channels).
 */
export function insideAverageNode(window: WindowSettings, C: number, batch: number): ProgramNode {
  const C1 = C + 1;
  const average = localPoolingWindows('average', window.span, C, {insideCount: true});
  const inner = windowNode(window, average, C1, C, batch);
  const marked = new Scratch(n => new Float32Array(n));
  const frames: Frames = {data: marked.array, n: 0};
  return {
    ...inner,
    run([x]) {
      const rows = batch * x.n;
      frames.data = marked.get(rows * C1);
      frames.n = x.n;
      for (let r = 0; r < rows; r++) {
        frames.data.set(x.data.subarray(r * C, r * C + C), r * C1);
        frames.data[r * C1 + C] = 1;
      }
      return inner.run([frames]);
    },
  };
}

/**
 * The package's DepthwiseConv1D: each channel's taps (and multiplier), float64 accumulators,
 * then bias and activation; the separable layer's first half.
 */
export function depthwiseWindows(
  settings: DepthwiseSettings,
  weights: WeightSource,
  C: number
): WindowArithmetic | undefined {
  const activation = activationOf(settings.activation);
  if (activation === undefined) return undefined;
  const {kernelSize: K, dilation, multiplier: M} = settings;
  const CM = C * M;
  const depth = new Float64Array(CM);
  let dw: Float32Array = new Float32Array(0);
  let bias: Float32Array | null = null;
  return {
    refresh() {
      if (!weights.refresh()) return;
      dw = weights.get('depthwise_kernel')!;
      bias = weights.get('bias');
    },
    run(q, windows, stride, out) {
      for (let b = 0; b < q.batch; b++) {
        for (let w = 0; w < windows; w++) {
          depthwiseTaps(q.data, q.offset(b, w * stride), dilation * C, dw, C, M, K, depth);
          const o0 = (b * windows + w) * CM;
          for (let j = 0; j < CM; j++) out[o0 + j] = bias == null ? depth[j] : depth[j] + bias[j];
        }
      }
      if (activation != null) activation(out, q.batch * windows, CM);
    },
  };
}

/**
 * One window's depthwise taps into `depth` (C * M, channel-major): frame k of the window starts
 * at `base + k * step` in `x`, tap k of channel c and multiplier m is `dw[(k * C + c) * M + m]`.
 */
function depthwiseTaps(
  x: Float32Array,
  base: number,
  step: number,
  dw: Float32Array,
  C: number,
  M: number,
  K: number,
  depth: Float64Array
): void {
  depth.fill(0);
  const CM = C * M;
  for (let k = 0; k < K; k++) {
    const at = base + k * step;
    const tap = k * CM;
    if (M === 1) {
      for (let c = 0; c < C; c++) depth[c] += x[at + c] * dw[tap + c];
    } else {
      for (let c = 0; c < C; c++) {
        const v = x[at + c];
        const row = tap + c * M;
        for (let m = 0; m < M; m++) depth[c * M + m] += v * dw[row + m];
      }
    }
  }
}

/** acc = bias + v · w for a row vector `v` (n, from `vOffset`) and a row-major matrix `w` (n x O). */
export function pointwise(
  v: ArrayLike<number>,
  n: number,
  w: Float32Array,
  bias: Float32Array | null,
  acc: Float64Array,
  O: number,
  vOffset = 0
): void {
  if (bias != null) {
    for (let o = 0; o < O; o++) acc[o] = bias[o];
  } else {
    acc.fill(0);
  }
  addProduct(acc, v, vOffset, n, w, 0, O);
}

/**
 * acc += v[vOffset .. vOffset + n) · w[wOffset ..] (n rows of O). Four rows a pass: each pass
 * loads and stores the accumulators once for four products (measured 2.3x faster in V8 than
 * one row a pass, for 64 x 64).
 */
export function addProduct(
  acc: Float64Array,
  v: ArrayLike<number>,
  vOffset: number,
  n: number,
  w: Float32Array,
  wOffset: number,
  O: number
): void {
  let j = 0;
  for (; j + 3 < n; j += 4) {
    const a0 = v[vOffset + j];
    const a1 = v[vOffset + j + 1];
    const a2 = v[vOffset + j + 2];
    const a3 = v[vOffset + j + 3];
    const r0 = wOffset + j * O;
    const r1 = r0 + O;
    const r2 = r1 + O;
    const r3 = r2 + O;
    for (let o = 0; o < O; o++) {
      acc[o] += a0 * w[r0 + o] + a1 * w[r1 + o] + a2 * w[r2 + o] + a3 * w[r3 + o];
    }
  }
  for (; j < n; j++) {
    const a = v[vOffset + j];
    const r = wOffset + j * O;
    for (let o = 0; o < O; o++) acc[o] += a * w[r + o];
  }
}

/**
 * A dense 1-D convolution (tf.layers.conv1d or ours; 'valid', channels last): kernel [K, C, O],
 * which is row-major [K * C, O], so a window's K frames side by side make one row of a
 * product: through wasm SIMD where the runtime has it (float32 sums, as tfjs's own product),
 * else K products of the taps with float64 accumulators; then bias and activation.
 */
export function conv1dWindows(
  settings: Conv1dSettings,
  weights: WeightSource,
  C: number,
  O: number,
  simd: SimdKernel | null
): WindowArithmetic | undefined {
  const activation = productActivation(settings.activation, simd != null);
  if (activation === undefined) return undefined;
  const {relu, after} = activation;
  const {kernelSize: K, dilation} = settings;
  const acc = new Float64Array(O);
  let kernel: Float32Array = new Float32Array(0);
  let bias: Float32Array | null = null;
  const rows = simd == null ? null : new SimdRows(simd, K * C, O, relu);
  return {
    refresh() {
      if (!weights.refresh()) return;
      kernel = weights.get('kernel')!;
      bias = weights.get('bias');
      rows?.load(kernel);
    },
    run(q, windows, stride, out) {
      const x = q.data;
      const input = rows?.input(q.batch * windows);
      for (let b = 0; b < q.batch; b++) {
        for (let w = 0; w < windows; w++) {
          const base = q.offset(b, w * stride);
          if (input != null) {
            const row = input.at + (b * windows + w) * K * C;
            for (let k = 0; k < K; k++) {
              const from = base + k * dilation * C;
              input.heap.set(x.subarray(from, from + C), row + k * C);
            }
            continue;
          }
          if (bias != null) {
            for (let o = 0; o < O; o++) acc[o] = bias[o];
          } else {
            acc.fill(0);
          }
          for (let k = 0; k < K; k++)
            addProduct(acc, x, base + k * dilation * C, C, kernel, k * C * O, O);
          const o0 = (b * windows + w) * O;
          for (let o = 0; o < O; o++) out[o0 + o] = acc[o];
        }
      }
      if (rows != null) rows.run(q.batch * windows, bias, out);
      if (after != null) after(out, q.batch * windows, O);
    },
  };
}
