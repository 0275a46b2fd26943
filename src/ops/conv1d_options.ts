import type {Tensor1D} from '@tensorflow/tfjs-core';

import type {Padding} from './padding.js';

/** How a 1-D convolution (dense or depthwise) is laid out and padded. */
export interface Conv1dOptions {
  /** Step between outputs. Default 1. */
  stride?: number;
  /** As the separable op takes it. Default `'valid'`. */
  pad?: Padding;
  /** Spacing between taps. Default 1. */
  dilation?: number;
  /** `'NWC'` (default) or `'NCW'`. */
  dataFormat?: 'NWC' | 'NCW';
  /** Added to every output channel (`[outChannels]`, or `[inChannels * multiplier]`). */
  bias?: Tensor1D | null;
  /** Names the caller in errors (a layer's name). Default: the op's name. */
  caller?: string;
}
