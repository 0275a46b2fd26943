// The depthwise half on its own kernel where the backend has one (wasm: WebAssembly SIMD,
// padding by bounds), against the float64 reference: the kernel by itself, and the op through
// it, for every K from 1 to 64, with strides, dilations, every padding kind, both layouts,
// multipliers, NaN/Inf at seeded places, odd channel counts (the SIMD tails), batch > 1 and
// widths near 0. On the other backends the op-level cases run their own paths. Also: very
// wide filters stay about as cheap as one tfjs kernel (issue 19, item 9).
import * as tf from '@tensorflow/tfjs-core';

import {DEPTHWISE_KERNEL, FILTER_GRAD_KERNEL, INPUT_GRAD_KERNEL, separableConv1d} from '../src';

import {copyThroughOwnMemory} from '../src/ops/kernels/wasm_depthwise';

import {check, mismatch, onGpuBackend, takeAsync} from './helpers';
import {checkNonFinite, NonFiniteConfig} from './nonfinite_check';
import {
  kernelCase,
  NON_FINITE,
  REF_PADS,
  RefConv,
  RefPadding,
  randomArray,
  refForward,
  refPadding,
  seededRandom,
  spoilSeeded,
} from './reference';

const PADS = REF_PADS;

/** The depthwise output `d [B, T, C*M]` of the reference. */
function refDepthwise(c: RefConv, x: Float64Array, dw: Float64Array): Float64Array {
  return refForward({...c, outChannels: 1}, x, dw, new Float64Array(c.channels * c.multiplier)).d;
}

/** The kernel itself on one config: its d against the reference's, bits of NaN/Inf included. */
async function checkKernel(c: RefConv, seed: number, bad: number, filterBad = 0): Promise<void> {
  const rand = seededRandom(seed);
  const x = spoilSeeded(randomArray(c.batch * c.width * c.channels, rand), bad, rand);
  const dw = spoilSeeded(randomArray(c.kernel * c.channels * c.multiplier, rand), filterBad, rand);
  const {left, out} = refPadding(c);
  const xt = tf.tensor3d(Float32Array.from(x), [c.batch, c.width, c.channels]);
  const wt = tf.tensor3d(Float32Array.from(dw), [c.kernel, c.channels, c.multiplier]);
  const before = tf.memory().numTensors;
  const d = tf
    .engine()
    .runKernel(
      DEPTHWISE_KERNEL,
      {x: xt, filter: wt},
      {stride: c.stride, dilation: c.dilation, padLeft: left, outWidth: out}
    ) as tf.Tensor;
  expect(d.shape).toEqual([c.batch, out, c.channels * c.multiplier]);
  check(mismatch(await takeAsync(d), refDepthwise(c, x, dw), `d of ${JSON.stringify(c)}`));
  expect(tf.memory().numTensors).toBe(before);
  tf.dispose([xt, wt]);
}

/** The attributes of the depthwise gradient kernels for one config. */
function gradAttrs(c: RefConv) {
  const {left, out} = refPadding(c);
  return {
    batch: c.batch,
    inWidth: c.width,
    outWidth: out,
    kernelSize: c.kernel,
    stride: c.stride,
    dilation: c.dilation,
    padLeft: left,
  };
}

/** Calls `fn(b, t, k, i)` for every output and tap that reads input index `i` inside x. */
function forEachTapInside(c: RefConv, fn: (b: number, t: number, k: number, i: number) => void) {
  const {left, out} = refPadding(c);
  for (let b = 0; b < c.batch; b++) {
    for (let t = 0; t < out; t++) {
      for (let k = 0; k < c.kernel; k++) {
        const i = t * c.stride + k * c.dilation - left;
        if (i >= 0 && i < c.width) fn(b, t, k, i);
      }
    }
  }
}

/** `dw [K, C, M]` of `x` and `dd [B, T, C*M]`, in float64, over the taps inside x. */
function refFilterGrad(c: RefConv, x: Float64Array, dd: Float64Array): Float64Array {
  const {out} = refPadding(c);
  const cm = c.channels * c.multiplier;
  const dw = new Float64Array(c.kernel * cm);
  forEachTapInside(c, (b, t, k, i) => {
    for (let j = 0; j < cm; j++) {
      dw[k * cm + j] +=
        x[(b * c.width + i) * c.channels + Math.floor(j / c.multiplier)] *
        dd[(b * out + t) * cm + j];
    }
  });
  return dw;
}

/** The filter gradient kernel on one config against `refFilterGrad`. */
async function checkFilterGrad(c: RefConv, seed: number, bad: number): Promise<void> {
  const rand = seededRandom(seed);
  const {out} = refPadding(c);
  const cm = c.channels * c.multiplier;
  const x = spoilSeeded(randomArray(c.batch * c.width * c.channels, rand), bad, rand);
  const dd = spoilSeeded(randomArray(c.batch * out * cm, rand), bad, rand);
  const xt = tf.tensor3d(Float32Array.from(x), [c.batch, c.width, c.channels]);
  const ddt = tf.tensor2d(Float32Array.from(dd), [c.batch * out, cm]);
  const dw = tf.engine().runKernel(FILTER_GRAD_KERNEL, {x: xt, dd: ddt}, gradAttrs(c)) as tf.Tensor;
  expect(dw.shape).toEqual([c.kernel, c.channels, c.multiplier]);
  check(mismatch(await takeAsync(dw), refFilterGrad(c, x, dd), `dw of ${JSON.stringify(c)}`));
  tf.dispose([xt, ddt]);
}

/** `dx [B, L, C]` of `dd [B, T, C*M]` and the filter, in float64, over the taps inside x. */
function refInputGrad(c: RefConv, dd: Float64Array, dw: Float64Array): Float64Array {
  const {out} = refPadding(c);
  const cm = c.channels * c.multiplier;
  const dx = new Float64Array(c.batch * c.width * c.channels);
  forEachTapInside(c, (b, t, k, i) => {
    for (let j = 0; j < cm; j++) {
      dx[(b * c.width + i) * c.channels + Math.floor(j / c.multiplier)] +=
        dd[(b * out + t) * cm + j] * dw[k * cm + j];
    }
  });
  return dx;
}

/** The input gradient kernel on one config against `refInputGrad`. */
async function checkInputGrad(c: RefConv, seed: number, bad: number): Promise<void> {
  const rand = seededRandom(seed);
  const {out} = refPadding(c);
  const cm = c.channels * c.multiplier;
  const dd = spoilSeeded(randomArray(c.batch * out * cm, rand), bad, rand);
  const dw = spoilSeeded(randomArray(c.kernel * cm, rand), bad, rand);
  const ddt = tf.tensor2d(Float32Array.from(dd), [c.batch * out, cm]);
  const wt = tf.tensor3d(Float32Array.from(dw), [c.kernel, c.channels, c.multiplier]);
  const dx = tf
    .engine()
    .runKernel(INPUT_GRAD_KERNEL, {dd: ddt, filter: wt}, gradAttrs(c)) as tf.Tensor;
  expect(dx.shape).toEqual([c.batch, c.width, c.channels]);
  check(mismatch(await takeAsync(dx), refInputGrad(c, dd, dw), `dx of ${JSON.stringify(c)}`));
  tf.dispose([ddt, wt]);
}

const ownKernel = () => tf.getKernel(DEPTHWISE_KERNEL, tf.getBackend()) != null;

// wasm: in tfjs-wasm's heap (one thread) and through the module's own memory (threaded builds).
for (const copies of [false, true]) {
  describe(`the depthwise kernel ${DEPTHWISE_KERNEL} (where the backend has it)${
    copies ? ', copying through its own memory' : ''
  }`, () => {
    beforeEach(() => copyThroughOwnMemory(copies));
    afterEach(() => copyThroughOwnMemory(false));
    beforeEach(() => {
      // The op registers its kernels on first use.
      tf.tidy(() =>
        separableConv1d(
          tf.ones([1, 3, 1]) as tf.Tensor3D,
          tf.ones([1, 1, 1]) as tf.Tensor3D,
          tf.ones([1, 1, 1]) as tf.Tensor3D
        )
      );
      if (!ownKernel()) pending(`no ${DEPTHWISE_KERNEL} on ${tf.getBackend()}`);
    });

    it('matches the reference for every K from 1 to 64, finite and with NaN/Inf in x', async () => {
      for (let k = 1; k <= 64; k++) {
        await checkKernel(kernelCase(k, 1000 + k), 2000 + k, 0);
        await checkKernel(kernelCase(k, 3000 + k), 4000 + k, 1 + (k % 3));
      }
    });

    it('every channel count from 1 to 37 (blocks of 16, of 4, and the scalar tail)', async () => {
      for (let c = 1; c <= 37; c++) {
        await checkKernel(
          {
            batch: 2,
            width: 23,
            channels: c,
            kernel: 1 + (c % 7),
            multiplier: 1,
            outChannels: 1,
            stride: 1 + (c % 2),
            dilation: 1 + (c % 3),
            pad: 'same',
          },
          5000 + c,
          c % 2
        );
      }
    });

    it('a NaN or Inf in the filter reaches the outputs whose window covers padding, as 0 x NaN', async () => {
      for (const pad of PADS) {
        await checkKernel(
          {
            batch: 1,
            width: 12,
            channels: 5,
            kernel: 4,
            multiplier: 2,
            outChannels: 1,
            stride: 1,
            dilation: 2,
            pad,
          },
          6000,
          0,
          2
        );
      }
    });

    it('an input longer than one window of the module memory (it runs in windows)', async () => {
      // 2 x 80,000 x 9 inputs and outputs are past the 8 MiB that one call moves.
      for (const [stride, pad] of [
        [1, 'same'],
        [3, 'valid'],
      ] as Array<[number, RefPadding]>) {
        await checkKernel(
          {
            batch: 2,
            width: 80000,
            channels: 9,
            kernel: 7,
            multiplier: 2,
            outChannels: 1,
            stride,
            dilation: 5,
            pad,
          },
          7000,
          3
        );
      }
    });

    it("refuses a filter whose channels differ from x's, and attributes past the input", () => {
      const x = tf.ones([1, 5, 3]);
      const w = tf.ones([2, 4, 1]);
      expect(() =>
        tf
          .engine()
          .runKernel(
            DEPTHWISE_KERNEL,
            {x, filter: w},
            {stride: 1, dilation: 1, padLeft: 0, outWidth: 4}
          )
      ).toThrowError(/must be non-empty \[N, L, C\] and \[K, C, M\]/);
      const w3 = tf.ones([2, 3, 1]);
      expect(() =>
        tf
          .engine()
          .runKernel(
            DEPTHWISE_KERNEL,
            {x, filter: w3},
            {stride: 1.5, dilation: 1, padLeft: 0, outWidth: 4}
          )
      ).toThrowError(/attribute stride must be a whole number/);
      tf.dispose([x, w, w3]);
    });

    it('its input gradient kernel matches float64 loops at every stride, NaN/Inf in dd and the filter', async () => {
      for (let k = 1; k <= 64; k += 3) {
        const c = kernelCase(k, 13000 + k);
        await checkInputGrad({...c, stride: 1 + (k % 4)}, 14000 + k, k % 2);
      }
    });

    it('its filter gradient kernel matches float64 loops, NaN/Inf in x and dd included', async () => {
      for (let k = 1; k <= 64; k += 3) {
        const c = kernelCase(k, 11000 + k);
        await checkFilterGrad(c, 12000 + k, k % 2);
      }
    });
  });
}

describe("the op through the backend's depthwise path, against the reference", () => {
  // Every K on cpu and wasm; every fourth on the GPU backends (shader compiles are slow).
  const ks = Array.from({length: 64}, (_, i) => i + 1);
  it('K = 1-64, both layouts, NaN/Inf in x and in the upstream gradient', async () => {
    // On webgl, K = 25 (one output row, Inf in x) once gave NaN for -Infinity in the pointwise
    // gradient: the packed matMul read the packed depthwise output's padding row (strategy.ts,
    // oddInnerReadsPadding).
    for (const k of ks.filter(k => !onGpuBackend() || k % 4 === 1)) {
      const c = kernelCase(k, 8000 + k);
      const config: NonFiniteConfig = {
        ...c,
        ncw: k % 2 === 0,
        seed: 9000 + k,
        xBad: k % 3 === 0 ? [] : [[(k * 0.37) % 1, NON_FINITE[k % 3]]],
        gBad: k % 5 === 0 ? [[(k * 0.61) % 1, NaN]] : [],
      };
      await checkNonFinite(config);
    }
  });
});

describe('a very wide filter (K = 30,000)', () => {
  it('runs its forward in a handful of kernels, not thousands of tap pieces', async () => {
    // GPU shaders would loop 30,000 taps per output; the count is what matters, on cpu and wasm.
    if (onGpuBackend()) pending('a kernel count of the cpu and wasm paths');
    const [width, channels, k] = [30009, 4, 30000];
    const x = tf.randomNormal([1, width, channels]) as tf.Tensor3D;
    const dw = tf.randomNormal([k, channels, 1]) as tf.Tensor3D;
    const pw = tf.randomNormal([1, channels, 2]) as tf.Tensor3D;
    const info = await tf.profile(() => {
      const y = separableConv1d(x, dw, pw);
      expect(y.shape).toEqual([1, 10, 2]);
      y.dispose();
    });
    // Reshapes, one depthwise call (or ours), one product: it was 4,807 on wasm.
    expect(info.kernels.length).toBeLessThanOrEqual(12);
    tf.dispose([x, dw, pw]);
  });
});
