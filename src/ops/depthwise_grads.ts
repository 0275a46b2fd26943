import {customGrad, reshape, Tensor, Tensor2D, Tensor3D} from '@tensorflow/tfjs-core';

import {
  ConvGeometry,
  depthwiseFilterGrad,
  depthwiseForward,
  depthwiseInputGrad,
} from './depthwise.js';

// The depthwise half's three bilinear maps as differentiable ops: the forward F(x, w), its
// input gradient G(dd, w) and its filter gradient H(x, dd). They are one trilinear form,
// <F(x, w), dd> = <x, G(dd, w)> = <w, H(x, dd)>, so the gradients of each are the other two:
// gradients of any order run on forward kernels only, on every backend and dilation (tfjs has
// no dilated depthwise gradient, and wasm no depthwise backprop kernel at all). The raw maps
// (`depthwise.ts`) are named `depthwise*`; these, their differentiable forms, `differentiable*`.

/** `value(a, b)` as an op whose gradients, for the upstream `u`, are `grads(u, a, b)`. */
function bilinear<R extends Tensor, A extends Tensor, B extends Tensor>(
  a: A,
  b: B,
  value: (a: A, b: B) => Tensor,
  grads: (u: Tensor, a: A, b: B) => Tensor[]
): R {
  return customGrad((...args: unknown[]) => {
    const [sa, sb] = args as [A, B];
    (args[2] as (tensors: Tensor[]) => void)([sa, sb]);
    return {
      value: value(sa, sb),
      gradFunc: (u: Tensor, saved: Tensor[]) => grads(u, saved[0] as A, saved[1] as B),
    };
  })(a, b) as R;
}

/** F: `x [B, L, C]`, `w [K, C, M]` to `d [B*T, C*M]`. */
export function differentiableForward(x: Tensor3D, w: Tensor3D, g: ConvGeometry): Tensor2D {
  return bilinear(
    x,
    w,
    (sx, sw) => reshape(depthwiseForward(sx, sw, g), [g.batch * g.plan.outWidth, -1]),
    (u, x0, w0) => [
      differentiableInputGrad(u as Tensor2D, w0, g),
      differentiableFilterGrad(x0, u as Tensor2D, g),
    ]
  );
}

/** G: `dd [B*T, C*M]`, `w [K, C, M]` to `dx [B, L, C]`. */
export function differentiableInputGrad(dd: Tensor2D, w: Tensor3D, g: ConvGeometry): Tensor3D {
  return bilinear(
    dd,
    w,
    (sdd, sw) => depthwiseInputGrad(sdd, sw, g),
    (v, dd0, w0) => [
      differentiableForward(v as Tensor3D, w0, g),
      differentiableFilterGrad(v as Tensor3D, dd0, g),
    ]
  );
}

/** H: `x [B, L, C]`, `dd [B*T, C*M]` to `dw [K, C, M]`. */
export function differentiableFilterGrad(x: Tensor3D, dd: Tensor2D, g: ConvGeometry): Tensor3D {
  return bilinear(
    x,
    dd,
    (sx, sdd) => depthwiseFilterGrad(sx, sdd, g),
    (z, x0, dd0) => [
      differentiableInputGrad(dd0, z as Tensor3D, g),
      differentiableForward(x0, z as Tensor3D, g),
    ]
  );
}
