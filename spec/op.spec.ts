import * as tf from '@tensorflow/tfjs-core';

import {
  DEPTHWISE_KERNEL,
  FILTER_GRAD_KERNEL,
  INPUT_GRAD_KERNEL,
  KERNELS_FLAG,
  MATMUL_KERNEL,
  SEPARABLE_KERNEL,
  separableConv1d,
} from '../src';
import {wasmProductsUsable} from '../src/ops/kernels/wasm_separable_module';

import {specBackend} from './backend';
import {opGrid} from './grid';
import {expectClose, liveTensors} from './helpers';
import {Operands} from './operands';
import {randomArray, refForward, refGradients, seededRandom} from './reference';

// cpu and webgl have dedicated kernels for parts of the op; the composite of tfjs ops that
// they replace stays the fallback (flag off; WebGL 1), so there the grids run on both.
const DEDICATED: Record<string, string[]> = {
  cpu: [MATMUL_KERNEL, INPUT_GRAD_KERNEL],
  webgl: [FILTER_GRAD_KERNEL],
  wasm: [DEPTHWISE_KERNEL, FILTER_GRAD_KERNEL, INPUT_GRAD_KERNEL],
};
/**
 * On tfjs-wasm's heap with one thread the products module runs the forward pass as one kernel
 * and the products: the depthwise kernel is then left to stride-1 input gradients.
 */
const ON_WASM_HEAP = [FILTER_GRAD_KERNEL, INPUT_GRAD_KERNEL, MATMUL_KERNEL, SEPARABLE_KERNEL];
const modes = DEDICATED[specBackend()]
  ? [
      {kernels: true, title: ' (dedicated kernels)'},
      {kernels: false, title: ' (composite of tfjs ops, kernel flag off)'},
    ]
  : [{kernels: true, title: ''}];

/** Defines the specs of `body` once per mode, with the kernel flag set while they run. */
function describeInModes(title: string, body: () => void): void {
  for (const mode of modes) {
    describe(`${title}${mode.title}`, () => {
      beforeAll(() => tf.env().set(KERNELS_FLAG, mode.kernels));
      afterAll(() => tf.env().set(KERNELS_FLAG, true));
      body();
    });
  }
}

describeInModes('separableConv1d forward matches the float64 reference', () => {
  opGrid().forEach((c, i) => {
    it(c.name, async () => {
      const ops = new Operands(c, 1000 + i);
      const before = liveTensors();
      const {x, dw, pw} = ops.tensors();
      const y = separableConv1d(
        x as tf.Tensor3D,
        dw,
        pw,
        c.stride,
        c.pad,
        c.dilation,
        c.ncw ? 'NCW' : 'NWC'
      );
      const expected = ops.expectedY();
      expect(y.shape).toEqual(expected.shape);
      expectClose(await y.data(), expected.data, 'y');
      tf.dispose([x as tf.Tensor, dw, pw, y]);
      expect(liveTensors()).withContext('live tensors after the call').toBe(before);
    });
  });
});

describeInModes('separableConv1d gradients match the float64 reference', () => {
  opGrid().forEach((c, i) => {
    it(c.name, async () => {
      const ops = new Operands(c, 2000 + i);
      const tensors = ops.tensors();
      const x =
        tensors.x instanceof tf.Tensor
          ? tensors.x
          : tf.tensor(tensors.x as number[], undefined, 'float32');
      const yShape = ops.expectedY().shape;
      const gData = randomArray(
        yShape.reduce((a, b) => a * b, 1),
        seededRandom(3000 + i)
      );
      const g = tf.tensor(Float32Array.from(gData), yShape);
      const before = liveTensors();
      const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, p: tf.Tensor) =>
        tf.sum(
          tf.mul(
            separableConv1d(
              a as tf.Tensor3D,
              b as tf.Tensor3D,
              p as tf.Tensor3D,
              c.stride,
              c.pad,
              c.dilation,
              c.ncw ? 'NCW' : 'NWC'
            ),
            g
          )
        )
      );
      const [dx, ddw, dpw] = grads([x, tensors.dw, tensors.pw]);
      expect(liveTensors())
        .withContext('only the three gradients are new')
        .toBe(before + 3);
      const expected = ops.expectedGrads(gData);
      expect(dx.shape).toEqual(x.shape);
      expectClose(await dx.data(), expected.dx, 'dx');
      expectClose(await ddw.data(), expected.ddw, 'ddepthwise');
      expectClose(await dpw.data(), expected.dpw, 'dpointwise');
      tf.dispose([x, tensors.dw, tensors.pw, g, dx, ddw, dpw]);
    });
  });
});

describe('the dedicated kernels', () => {
  it(`run where they exist unless ${KERNELS_FLAG} is off`, async () => {
    const x = tf.randomNormal([2, 20, 3]);
    const dw = tf.randomNormal([3, 3, 2]);
    const pw = tf.randomNormal([1, 6, 4]);
    const before = liveTensors();
    const kernelsRun = async () => {
      const info = await tf.profile(() => {
        const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, p: tf.Tensor) =>
          separableConv1d(a as tf.Tensor3D, b as tf.Tensor3D, p as tf.Tensor3D, 2, 'same', 2)
        )([x, dw, pw]);
        tf.dispose(grads);
      });
      return info.kernelNames.filter(name => name.startsWith('DepthSeparableConv1d')).sort();
    };
    try {
      const onHeap = tf.getBackend() === 'wasm' && wasmProductsUsable(tf.backend());
      expect(await kernelsRun()).toEqual(
        [...(onHeap ? ON_WASM_HEAP : (DEDICATED[tf.getBackend()] ?? []))].sort()
      );
      tf.env().set(KERNELS_FLAG, false);
      expect(await kernelsRun()).toEqual([]);
    } finally {
      tf.env().set(KERNELS_FLAG, true);
    }
    expect(liveTensors()).toBe(before);
    tf.dispose([x, dw, pw]);
  });
});

describe('the float64 reference itself', () => {
  it('has gradients that agree with central finite differences of its forward pass', () => {
    const c = {
      batch: 2,
      width: 9,
      channels: 2,
      kernel: 3,
      multiplier: 2,
      outChannels: 3,
      stride: 2,
      dilation: 2,
      pad: [2, 1] as [number, number],
    };
    const rand = seededRandom(7);
    const x = randomArray(2 * 9 * 2, rand);
    const dw = randomArray(3 * 2 * 2, rand);
    const pw = randomArray(4 * 3, rand);
    const out = refForward(c, x, dw, pw).out;
    const g = randomArray(2 * out * 3, rand);
    const loss = () => refForward(c, x, dw, pw).y.reduce((s, v, j) => s + v * g[j], 0);
    const grads = refGradients(c, x, dw, pw, g);
    const h = 1e-6;
    for (const [arr, grad] of [
      [x, grads.dx],
      [dw, grads.ddw],
      [pw, grads.dpw],
    ]) {
      for (let j = 0; j < arr.length; j++) {
        const keep = arr[j];
        arr[j] = keep + h;
        const up = loss();
        arr[j] = keep - h;
        const down = loss();
        arr[j] = keep;
        expect(Math.abs((up - down) / (2 * h) - grad[j])).toBeLessThan(1e-6);
      }
    }
  });
});
