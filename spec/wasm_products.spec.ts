// The op's own products module on wasm (wasm/separable.c): the one-kernel forward pass and the
// matrix products, on their own against float64 loops, where the backend runs them (tfjs-wasm
// with one thread). The forward for every K from 1 to 64 with strides, dilations, every
// padding kind, multipliers, output counts on both sides of the 8-column panels, bias, relu and
// NaN/Inf in x and in each filter; the products across the 4 x 8 blocks, their tails, and the
// 512-row passes of a transposed product. The op-level grids (op.spec, wasm_kernel.spec,
// nonfinite.spec) run the op through the same kernels.
import * as tf from '@tensorflow/tfjs-core';

import {MATMUL_KERNEL, SEPARABLE_KERNEL, separableConv1d} from '../src';
import {
  allowRelaxedSimd,
  relaxedSimdAvailable,
  wasmProductsUsable,
} from '../src/ops/kernels/wasm_separable_module';

import {check, liveTensors, mismatch, takeAsync} from './helpers';
import {checkProductKernel} from './product_check';
import {
  kernelCase,
  REF_PADS,
  RefConv,
  randomArray,
  refForward,
  refPadding,
  seededRandom,
  spoilSeeded,
} from './reference';

const PADS = REF_PADS;

function usable(): boolean {
  // The op registers its kernels on first use.
  tf.tidy(() =>
    separableConv1d(
      tf.ones([1, 3, 1]) as tf.Tensor3D,
      tf.ones([1, 1, 1]) as tf.Tensor3D,
      tf.ones([1, 1, 1]) as tf.Tensor3D
    )
  );
  return tf.getBackend() === 'wasm' && wasmProductsUsable(tf.backend());
}

/** A config for each K, the rest varied with a seed: up to 20 outputs (2.5 panels). */
const kernelCase20 = (k: number, seed: number) => kernelCase(k, seed, 60, 20);

interface Spoilt {
  x?: number;
  dw?: number;
  pw?: number;
}

/** The kernel on one config against the reference: y, and d when kept. */
async function checkSeparable(
  c: RefConv,
  seed: number,
  bad: Spoilt,
  withBias: boolean,
  relu: boolean,
  keepDepthwise: boolean
): Promise<void> {
  const rand = seededRandom(seed);
  const cm = c.channels * c.multiplier;
  const x = spoilSeeded(randomArray(c.batch * c.width * c.channels, rand), bad.x ?? 0, rand);
  const dw = spoilSeeded(randomArray(c.kernel * cm, rand), bad.dw ?? 0, rand);
  const pw = spoilSeeded(randomArray(cm * c.outChannels, rand), bad.pw ?? 0, rand);
  const bias = withBias ? randomArray(c.outChannels, rand) : undefined;
  const {left, out} = refPadding(c);
  const ref = refForward(c, x, dw, pw, bias);
  const expected = relu ? ref.y.map(v => (Number.isNaN(v) ? v : Math.max(v, 0))) : ref.y;
  const inputs: Record<string, tf.Tensor> = {
    x: tf.tensor3d(Float32Array.from(x), [c.batch, c.width, c.channels]),
    depthwiseFilter: tf.tensor3d(Float32Array.from(dw), [c.kernel, c.channels, c.multiplier]),
    pointwiseFilter: tf.tensor2d(Float32Array.from(pw), [cm, c.outChannels]),
  };
  if (bias) inputs.bias = tf.tensor1d(Float32Array.from(bias));
  const before = liveTensors();
  const result = tf.engine().runKernel(SEPARABLE_KERNEL, inputs, {
    stride: c.stride,
    dilation: c.dilation,
    padLeft: left,
    outWidth: out,
    activation: relu ? 'relu' : 'linear',
    keepDepthwise,
  }) as tf.Tensor | tf.Tensor[];
  const [y, d] = Array.isArray(result) ? result : [result];
  expect(liveTensors()).toBe(before + (keepDepthwise ? 2 : 1));
  const what = `${JSON.stringify({...c, withBias, relu, bad})}`;
  expect(y.shape).toEqual([c.batch, out, c.outChannels]);
  check(mismatch(await takeAsync(y), expected, `y of ${what}`));
  if (keepDepthwise) {
    expect(d.shape).toEqual([c.batch * out, cm]);
    check(mismatch(await takeAsync(d), ref.d, `d of ${what}`));
  } else {
    expect(d).toBeUndefined();
  }
  tf.dispose(Object.values(inputs));
}

// Both builds of the module: plain SIMD, and relaxed SIMD's fused multiply-add where the
// engine has it (Chromium; Node 20 only behind a flag).
const BUILDS = [
  {relaxed: false, title: ''},
  {relaxed: true, title: ', relaxed-SIMD build'},
];

/** Runs `body`'s specs with the build allowed, pending where it does not run. */
function withBuild(build: (typeof BUILDS)[number], what: string): void {
  beforeEach(() => {
    if (!usable()) pending(`no ${what} on ${tf.getBackend()} here`);
    if (build.relaxed && !relaxedSimdAvailable()) pending('this engine has no relaxed SIMD');
    allowRelaxedSimd(build.relaxed);
  });
  afterEach(() => allowRelaxedSimd(true));
}

for (const build of BUILDS) {
  describe(`the one-kernel forward pass ${SEPARABLE_KERNEL} (wasm, one thread${build.title})`, () => {
    withBuild(build, SEPARABLE_KERNEL);

    it('matches the reference for every K from 1 to 64, finite and with NaN/Inf in x', async () => {
      for (let k = 1; k <= 64; k++) {
        await checkSeparable(
          kernelCase20(k, 21000 + k),
          22000 + k,
          {},
          k % 2 === 0,
          k % 3 === 0,
          k % 4 === 0
        );
        await checkSeparable(
          kernelCase20(k, 23000 + k),
          24000 + k,
          {x: 1 + (k % 3)},
          k % 2 === 1,
          k % 5 === 0,
          k % 4 === 1
        );
      }
    });

    it('NaN/Inf in either filter lands where the reference puts it (0 x NaN from padding too)', async () => {
      for (const [i, pad] of PADS.entries()) {
        const c: RefConv = {
          batch: 2,
          width: 12,
          channels: 5,
          kernel: 4,
          multiplier: 2,
          outChannels: 11,
          stride: 1 + (i % 2),
          dilation: 2,
          pad,
        };
        await checkSeparable(c, 25000 + i, {dw: 2}, true, false, true);
        await checkSeparable(c, 26000 + i, {pw: 2}, false, i % 2 === 0, false);
      }
    });

    it('output counts across the 8-column panels, and channel counts across the SIMD blocks', async () => {
      for (let o = 1; o <= 33; o++) {
        const c: RefConv = {
          batch: 3,
          width: 9,
          channels: 1 + (o % 11),
          kernel: 3,
          multiplier: 1,
          outChannels: o,
          stride: 1,
          dilation: 1,
          pad: 'same',
        };
        await checkSeparable(c, 27000 + o, {x: o % 2}, o % 2 === 0, o % 3 === 0, false);
      }
    });

    it('refuses bad attributes and a pointwise filter that does not fit, leaking nothing', () => {
      const x = tf.ones([1, 5, 3]);
      const dw = tf.ones([2, 3, 1]);
      const pw = tf.ones([3, 4]);
      const attrs = {
        stride: 1,
        dilation: 1,
        padLeft: 0,
        outWidth: 4,
        activation: 'linear',
        keepDepthwise: false,
      };
      const before = liveTensors();
      const run = (inputs: Record<string, tf.Tensor>, a: object) => () =>
        tf.engine().runKernel(SEPARABLE_KERNEL, inputs, a as never);
      expect(run({x, depthwiseFilter: dw, pointwiseFilter: tf.ones([4, 4])}, attrs)).toThrowError(
        /pointwiseFilter must be \[C \* M, O\] = \[3, O >= 1\]/
      );
      expect(
        run({x, depthwiseFilter: dw, pointwiseFilter: pw}, {...attrs, activation: 'tanh'})
      ).toThrowError(/activation must be 'linear' or 'relu'/);
      expect(
        run({x, depthwiseFilter: dw, pointwiseFilter: pw, bias: tf.ones([5])}, attrs)
      ).toThrowError(/bias must have shape \[4\]/);
      expect(
        run({x, depthwiseFilter: dw, pointwiseFilter: pw}, {...attrs, stride: 0})
      ).toThrowError(/attribute stride must be a whole number/);
      // The two operands made in the calls above.
      expect(liveTensors()).toBe(before + 2);
      tf.dispose([x, dw, pw]);
    });
  });

  describe(`the products ${MATMUL_KERNEL} on wasm (one thread${build.title})`, () => {
    withBuild(build, 'own products');

    // n x k x m: blocks of 4 rows and 8 columns and their tails; k past the 512-row passes.
    const sizes = [
      [1, 1, 1],
      [4, 8, 8],
      [5, 3, 7],
      [9, 17, 13],
      [13, 2, 24],
      [3, 600, 9],
      [6, 1100, 17],
      [1, 1300, 8],
      [17, 5, 1],
      [2, 0, 3],
    ];
    let seed = 28000;
    for (const [n, k, m] of sizes) {
      for (const [transposeA, transposeB] of [
        [false, false],
        [true, false],
        [false, true],
      ]) {
        it(
          `n=${n} k=${k} m=${m} transposeA=${transposeA} transposeB=${transposeB}, with bias ` +
            `and NaN/Inf`,
          async () => {
            for (const withBias of [false, true]) {
              await checkProductKernel(
                n,
                k,
                m,
                transposeA,
                transposeB,
                withBias,
                seededRandom(seed++),
                withBias ? 2 : 0
              );
            }
          }
        );
      }
    }

    it('refuses both operands transposed (the op transposes b first)', () => {
      const a = tf.ones([3, 2]);
      const b = tf.ones([4, 3]);
      expect(() =>
        tf.engine().runKernel(MATMUL_KERNEL, {a, b}, {transposeA: true, transposeB: true})
      ).toThrowError(/at most one operand transposed/);
      tf.dispose([a, b]);
    });
  });
}
