import {KernelConfig, KernelFunc, TensorInfo} from '@tensorflow/tfjs-core';

import {CpuBackend} from './cpu_backend.js';
import {checkDepthwise} from './checks.js';
import {DepthwiseAttrs, INPUT_GRAD_KERNEL} from './names.js';

// A dedicated cpu kernel for the depthwise input gradient. Each (example, output step, tap)
// adds its share of dd back to the input row that tap read; padding, stride and dilation are
// index arithmetic. The composite needs a zero-spread copy of dd for stride > 1, and
// tfjs-cpu's pad is slow: 5x slower on the benchmark's stride-2 shape. At stride 1 tfjs's
// depthwise kernel is a little faster, so the op uses this one for stride > 1 only.
// (Forward and filter-gradient loops like this one measured no faster than tfjs-cpu's own
// depthwise kernel, so those stay tfjs's.) Sums are float64.

const inputGrad: KernelFunc = ({inputs, backend, attrs}) => {
  const {dd, filter} = inputs as {dd: TensorInfo; filter: TensorInfo};
  const [channels, multiplier] = checkDepthwise(INPUT_GRAD_KERNEL, dd, filter, 'filter', attrs);
  const {batch, inWidth, outWidth, kernelSize, stride, dilation, padLeft} =
    attrs as unknown as DepthwiseAttrs;
  const cpu = backend as unknown as CpuBackend;
  const d = cpu.readSync(dd.dataId) as Float32Array;
  const w = cpu.readSync(filter.dataId) as Float32Array;
  const width = channels * multiplier;
  const dx = new Float64Array(batch * inWidth * channels);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < outWidth; t++) {
      const di = (b * outWidth + t) * width;
      const start = t * stride - padLeft;
      // Taps whose input index start + k * D lies in [0, L).
      const kFirst = start >= 0 ? 0 : Math.ceil(-start / dilation);
      const kEnd = Math.min(kernelSize, Math.floor((inWidth - 1 - start) / dilation) + 1);
      for (let k = kFirst; k < kEnd; k++) {
        const xi = (b * inWidth + start + k * dilation) * channels;
        const wi = k * width;
        for (let c = 0, j = 0; c < channels; c++) {
          let sum = 0;
          for (let m = 0; m < multiplier; m++, j++) sum += d[di + j] * w[wi + j];
          dx[xi + c] += sum;
        }
      }
    }
  }
  return cpu.makeTensorInfo([batch, inWidth, channels], 'float32', Float32Array.from(dx));
};

export const cpuInputGradConfig: KernelConfig = {
  kernelName: INPUT_GRAD_KERNEL,
  backendName: 'cpu',
  kernelFunc: inputGrad,
};
