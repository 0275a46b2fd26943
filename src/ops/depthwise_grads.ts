import {customGrad, reshape, Tensor, Tensor2D, Tensor3D} from '@tensorflow/tfjs-core';

import {ConvGeometry, depthwiseFilterGrad, depthwiseForward, depthwiseInputGrad} from './depthwise';

// The depthwise half's three bilinear maps as differentiable ops: the correlation F(x, w), its
// input gradient G(dd, w) and its filter gradient H(x, dd). They are one trilinear form,
// <F(x, w), dd> = <x, G(dd, w)> = <w, H(x, dd)>, so the gradients of each are the other two:
// gradients of any order run on forward kernels only, on every backend and dilation (tfjs has
// no dilated depthwise gradient, and wasm no depthwise backprop kernel at all).

type Save = (tensors: Tensor[]) => void;

/** F: `x [B, L, C]`, `w [K, C, M]` to `d [B*T, C*M]`. */
export function correlation(x: Tensor3D, w: Tensor3D, g: ConvGeometry): Tensor2D {
  return customGrad((...args: unknown[]) => {
    const [sx, sw] = args as Tensor3D[];
    (args[2] as Save)([sx, sw]);
    const d = depthwiseForward(sx, sw, g);
    return {
      value: reshape(d, [g.batch * g.plan.outWidth, -1]),
      gradFunc: (u: Tensor, saved: Tensor[]) => {
        const [x0, w0] = saved as Tensor3D[];
        return [inputGradient(u as Tensor2D, w0, g), filterGradient(x0, u as Tensor2D, g)];
      }
    };
  })(x, w) as Tensor2D;
}

/** G: `dd [B*T, C*M]`, `w [K, C, M]` to `dx [B, L, C]`. */
export function inputGradient(dd: Tensor2D, w: Tensor3D, g: ConvGeometry): Tensor3D {
  return customGrad((...args: unknown[]) => {
    const [sdd, sw] = args as [Tensor2D, Tensor3D];
    (args[2] as Save)([sdd, sw]);
    return {
      value: depthwiseInputGrad(sdd, sw, g),
      gradFunc: (v: Tensor, saved: Tensor[]) => {
        const [dd0, w0] = saved as [Tensor2D, Tensor3D];
        return [correlation(v as Tensor3D, w0, g), filterGradient(v as Tensor3D, dd0, g)];
      }
    };
  })(dd, w) as Tensor3D;
}

/** H: `x [B, L, C]`, `dd [B*T, C*M]` to `dw [K, C, M]`. */
export function filterGradient(x: Tensor3D, dd: Tensor2D, g: ConvGeometry): Tensor3D {
  return customGrad((...args: unknown[]) => {
    const [sx, sdd] = args as [Tensor3D, Tensor2D];
    (args[2] as Save)([sx, sdd]);
    return {
      value: depthwiseFilterGrad(sx, sdd, g),
      gradFunc: (z: Tensor, saved: Tensor[]) => {
        const [x0, dd0] = saved as [Tensor3D, Tensor2D];
        return [inputGradient(dd0, z as Tensor3D, g), correlation(x0, z as Tensor3D, g)];
      }
    };
  })(x, dd) as Tensor3D;
}
