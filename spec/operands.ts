import * as tf from '@tensorflow/tfjs-core';

import {GridCase} from './grid';
import {nest} from './helpers';
import {
  randomArray,
  refForward,
  refGradients,
  refPadding,
  seededRandom,
  swapLastAxes,
} from './reference';

/**
 * The seeded operands of a grid case in the layout the op is called with, and the reference
 * results put into that same layout.
 */
export class Operands {
  readonly x: Float64Array; // NWC
  readonly dw: Float64Array;
  readonly pw: Float64Array;
  readonly out: number;

  constructor(
    readonly c: GridCase,
    seed: number
  ) {
    const rand = seededRandom(seed);
    this.x = randomArray(c.batch * c.width * c.channels, rand);
    this.dw = randomArray(c.kernel * c.channels * c.multiplier, rand);
    this.pw = randomArray(c.channels * c.multiplier * c.outChannels, rand);
    this.out = refPadding(c).out;
  }

  /** A flat NWC [B, W, Ch] array put into the case's layout, and that layout's shape. */
  layout(a: ArrayLike<number>, width: number, ch: number): {data: Float64Array; shape: number[]} {
    const c = this.c;
    const data = c.ncw ? swapLastAxes(a, c.batch, width, ch) : Float64Array.from(a);
    const shape = c.ncw ? [c.batch, ch, width] : [c.batch, width, ch];
    return {data, shape: c.unbatched ? shape.slice(1) : shape};
  }

  /** The op's three operands as tensors (or nested arrays for x when the case says so). */
  tensors(): {x: tf.Tensor | unknown; dw: tf.Tensor3D; pw: tf.Tensor3D} {
    const c = this.c;
    const xl = this.layout(this.x, c.width, c.channels);
    return {
      x: c.tensorLike ? nest(xl.data, xl.shape) : tf.tensor(Float32Array.from(xl.data), xl.shape),
      dw: tf.tensor3d(Float32Array.from(this.dw), [c.kernel, c.channels, c.multiplier]),
      pw: tf.tensor3d(Float32Array.from(this.pw), [1, c.channels * c.multiplier, c.outChannels]),
    };
  }

  /** The reference output in the case's layout. */
  expectedY(): {data: Float64Array; shape: number[]} {
    return this.layout(
      refForward(this.c, this.x, this.dw, this.pw).y,
      this.out,
      this.c.outChannels
    );
  }

  /** Reference gradients of sum(y * g) for an upstream g given in the case's layout. */
  expectedGrads(gLayout: ArrayLike<number>) {
    const c = this.c;
    const g = c.ncw ? swapLastAxes(gLayout, c.batch, c.outChannels, this.out) : gLayout;
    const r = refGradients(c, this.x, this.dw, this.pw, g);
    return {...r, dx: this.layout(r.dx, c.width, c.channels).data};
  }
}
