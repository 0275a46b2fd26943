import {PaddingPlan} from '../padding.js';

/** The sizes and settings that the forward pass fixed, shared by its gradients. */
export interface ConvGeometry {
  batch: number;
  inWidth: number;
  inChannels: number;
  kernelSize: number;
  multiplier: number;
  stride: number;
  dilation: number;
  plan: PaddingPlan;
}

/** How one depthwise call steps along the width: stride, dilation and zeros each side. */
export interface WidthSteps {
  stride: number;
  dilation: number;
  left: number;
  right: number;
}
