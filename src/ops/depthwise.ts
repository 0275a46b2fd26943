// The depthwise half of the op, its raw forward and gradients; the pieces live in
// `depthwise/`, one job a file:
//   geometry.ts       the call's sizes (`ConvGeometry`) and one call's steps (`WidthSteps`)
//   forward.ts        `depthwiseForward`: x to d
//   gradients.ts      `depthwiseInputGrad`, `depthwiseFilterGrad`: dd to dx and to dw
//   choice.ts         which kernel runs a correlation: `depthwise3d`, `depthwise4d`
//   pieces.ts         tfjs's kernel in XNNPACK's fast widths: `tfjsDepthwiseInPieces`
//   tfjs_call.ts      one tf.depthwiseConv2d with the backend's workarounds: `tfjsDepthwise`
//   one_tap.ts        the one-tap filter that keeps NaN (`oneTapKeepingNaN`)
//   webgl_packing.ts  webgl's packed program turned off (`withoutPackedDepthwise`)
//   finite.ts         the one-reduction finiteness check (`allFinite`)
// `depthwise_grads.ts` makes the three maps differentiable to any order.
export type {ConvGeometry} from './depthwise/geometry.js';
export {depthwiseForward} from './depthwise/forward.js';
export {depthwiseFilterGrad, depthwiseInputGrad} from './depthwise/gradients.js';
