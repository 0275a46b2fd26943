import * as tf from '@tensorflow/tfjs-core';

import {KERNELS_FLAG, separableConv1d} from '../src';

import {expectClose, liveTensors} from './helpers';
import {
  RefConv,
  RefPadding,
  randomArray,
  refGradients,
  refPadding,
  seededRandom,
} from './reference';

// Gradients of gradients (gradient penalties, Hessian-vector products), checked against central
// finite differences of the float64 reference's first-order gradients. The op is linear in each
// operand, so the differences are exact up to float64 rounding.

type Operand = 'x' | 'dw' | 'pw';
const OPERANDS: Operand[] = ['x', 'dw', 'pw'];

interface Case extends RefConv {
  name: string;
}

function conv(
  kernel: number,
  stride: number,
  dilation: number,
  pad: RefPadding,
  multiplier: number
): Case {
  const c = {
    batch: 2,
    width: 11,
    channels: 2,
    kernel,
    multiplier,
    outChannels: 2,
    stride,
    dilation,
    pad,
    name: '',
  };
  c.name = `K=${kernel} S=${stride} D=${dilation} pad=${JSON.stringify(pad)} M=${multiplier}`;
  return c;
}

const CASES: Case[] = [
  conv(3, 1, 1, 'same', 1),
  conv(3, 2, 2, 'causal', 2),
  conv(1, 1, 1, 'valid', 1),
  conv(5, 3, 1, [2, 1], 1),
  conv(2, 1, 3, 'valid', 2),
];

/** The reference's first-order gradient `which` of sum(y * g), dotted with `probe`. */
function refDot(
  c: Case,
  ops: Record<Operand, Float64Array>,
  g: Float64Array,
  which: Operand,
  probe: Float64Array
): number {
  const r = refGradients(c, ops.x, ops.dw, ops.pw, g);
  const grad = {x: r.dx, dw: r.ddw, pw: r.dpw}[which];
  return grad.reduce((s, v, i) => s + v * probe[i], 0);
}

/** d/d(wrt) of <gradient `which`, probe>, by central differences of the reference. */
function refSecondOrder(
  c: Case,
  ops: Record<Operand, Float64Array>,
  g: Float64Array,
  which: Operand,
  probe: Float64Array,
  wrt: Operand
): Float64Array {
  const h = 0.5;
  return ops[wrt].map((v, j) => {
    const at = (value: number) => {
      const moved = Float64Array.from(ops[wrt]);
      moved[j] = value;
      return refDot(c, {...ops, [wrt]: moved}, g, which, probe);
    };
    return (at(v + h) - at(v - h)) / (2 * h);
  });
}

function shapes(c: Case): Record<Operand, number[]> {
  return {
    x: [c.batch, c.width, c.channels],
    dw: [c.kernel, c.channels, c.multiplier],
    pw: [1, c.channels * c.multiplier, c.outChannels],
  };
}

for (const kernels of [true, false]) {
  describe(`second-order gradients match finite differences of the reference (kernels ${
    kernels ? 'on' : 'off'
  })`, () => {
    beforeAll(() => tf.env().set(KERNELS_FLAG, kernels));
    afterAll(() => tf.env().set(KERNELS_FLAG, true));
    CASES.forEach((c, ci) => {
      it(c.name, async () => {
        const rand = seededRandom(500 + ci);
        const s = shapes(c);
        const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
        const ops = {
          x: randomArray(size(s.x), rand),
          dw: randomArray(size(s.dw), rand),
          pw: randomArray(size(s.pw), rand),
        };
        const out = refPadding(c).out;
        const g = randomArray(c.batch * out * c.outChannels, rand);
        const before = liveTensors();
        const tensors = {
          x: tf.tensor(Float32Array.from(ops.x), s.x),
          dw: tf.tensor(Float32Array.from(ops.dw), s.dw),
          pw: tf.tensor(Float32Array.from(ops.pw), s.pw),
        };
        const gt = tf.tensor(Float32Array.from(g), [c.batch, out, c.outChannels]);
        for (const which of OPERANDS) {
          const probe = randomArray(size(s[which]), rand);
          const probeT = tf.tensor(Float32Array.from(probe), s[which]);
          // Linear in each operand: a gradient does not depend on its own operand.
          for (const wrt of OPERANDS.filter(o => o !== which)) {
            // <d loss / d which, probe> as a function of `wrt`, the others held.
            const penalty = (v: tf.Tensor) => {
              const args = {...tensors, [wrt]: v};
              const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, p: tf.Tensor) =>
                tf.sum(
                  tf.mul(
                    separableConv1d(
                      a as tf.Tensor3D,
                      b as tf.Tensor3D,
                      p as tf.Tensor3D,
                      c.stride,
                      c.pad,
                      c.dilation
                    ),
                    gt
                  )
                )
              )([args.x, args.dw, args.pw]);
              return tf.sum(tf.mul(grads[OPERANDS.indexOf(which)], probeT));
            };
            const second = tf.grad(penalty)(tensors[wrt]);
            expectClose(
              await second.data(),
              refSecondOrder(c, ops, g, which, probe, wrt),
              `d/d${wrt} <d${which}, probe>`
            );
            second.dispose();
          }
          probeT.dispose();
        }
        tf.dispose([tensors.x, tensors.dw, tensors.pw, gt]);
        expect(liveTensors())
          .withContext('live tensors after the second-order gradients')
          .toBe(before);
      });
    });
  });
}
