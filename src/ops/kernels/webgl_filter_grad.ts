import {KernelConfig, TensorInfo} from '@tensorflow/tfjs-core';

import {checkDepthwise} from './checks.js';
import {DepthwiseAttrs, FILTER_GRAD_KERNEL} from './names.js';

// A dedicated WebGL 2 kernel for the depthwise filter gradient, registered with
// tf.registerKernel. tfjs's own kernels express it badly: as a depthwise convolution it needs
// a batch x width filter, whose loops tfjs unrolls into one enormous shader (SwiftShader
// hangs), and tap by tap it is K passes over the data (5x slower, measured). Sizes are
// uniforms, so one compiled program serves every geometry and no loop is unrolled. (The
// input gradient stays a tfjs depthwise convolution: a gather shader was 1.3-2x slower.)

// The parts of tfjs-backend-webgl's program and backend types used here, so the package does
// not depend on the webgl backend at run time.
interface Program {
  variableNames: string[];
  outputShape: number[];
  userCode: string;
  customUniforms: Array<{name: string; type: 'int'}>;
}
interface WebGLBackend {
  runWebGLProgram(
    program: Program,
    inputs: TensorInfo[],
    dtype: 'float32',
    uniforms: number[][]
  ): TensorInfo;
  disposeIntermediateTensorInfo(info: TensorInfo): void;
}

function intUniforms(names: string[]): Program['customUniforms'] {
  return names.map(name => ({name, type: 'int'}));
}

/**
 * Partial sums of the filter gradient over chunks of the width: output `[K, C*M, P]`, where
 * partial `p` covers example `p / chunks` and outputs `chunk * (p % chunks)` onwards.
 */
function filterGradPartials(k: number, channels: number, partials: number): Program {
  return {
    variableNames: ['x', 'dd'],
    outputShape: [k, channels, partials],
    customUniforms: intUniforms([
      'scMultiplier',
      'scChunk',
      'scChunks',
      'scOutWidth',
      'scStride',
      'scDilation',
      'scPadLeft',
      'scInWidth',
    ]),
    userCode: `
      void main() {
        ivec3 coords = getOutputCoords();
        int k = coords.x;
        int j = coords.y;
        int c = j / scMultiplier;
        int b = coords.z / scChunks;
        int t0 = (coords.z - b * scChunks) * scChunk;
        int l0 = t0 * scStride + k * scDilation - scPadLeft;
        float sum = 0.0;
        for (int i = 0; i < scChunk; i++) {
          int t = t0 + i;
          if (t >= scOutWidth) break;
          int l = l0 + i * scStride;
          if (l >= 0 && l < scInWidth) sum += getX(b, l, c) * getDd(b * scOutWidth + t, j);
        }
        setOutput(sum);
      }`,
  };
}

/** Sums `[K, C*M, P]` over its last axis into the filter's shape `[K, C, M]`. */
function sumPartials(filterShape: number[]): Program {
  return {
    variableNames: ['partials'],
    outputShape: filterShape,
    customUniforms: intUniforms(['scPartials']),
    userCode: `
      void main() {
        ivec3 coords = getOutputCoords();
        int j = coords.y * ${filterShape[2]} + coords.z;
        float sum = 0.0;
        for (int p = 0; p < scPartials; p++) sum += getPartials(coords.x, j, p);
        setOutput(sum);
      }`,
  };
}

export const webglFilterGradConfig: KernelConfig = {
  kernelName: FILTER_GRAD_KERNEL,
  backendName: 'webgl',
  kernelFunc: ({inputs, backend, attrs}) => {
    const {x, dd} = inputs as {x: TensorInfo; dd: TensorInfo};
    const [inChannels, multiplier] = checkDepthwise(FILTER_GRAD_KERNEL, dd, x, 'x', attrs);
    const {batch, kernelSize, inWidth, outWidth, stride, dilation, padLeft} =
      attrs as unknown as DepthwiseAttrs;
    const channels = inChannels * multiplier;
    // About 2 sqrt(T) outputs a chunk keeps both passes' loops short (measured: 0.25 to 1000
    // sqrt(T) were within noise on SwiftShader but for small widths, which like longer chunks).
    const chunk = Math.min(outWidth, Math.ceil(2 * Math.sqrt(outWidth)));
    const chunks = Math.ceil(outWidth / chunk);
    const webgl = backend as unknown as WebGLBackend;
    const partials = webgl.runWebGLProgram(
      filterGradPartials(kernelSize, channels, batch * chunks),
      [x, dd],
      'float32',
      [[multiplier], [chunk], [chunks], [outWidth], [stride], [dilation], [padLeft], [inWidth]]
    );
    try {
      return webgl.runWebGLProgram(
        sumPartials([kernelSize, inChannels, multiplier]),
        [partials],
        'float32',
        [[batch * chunks]]
      );
    } finally {
      webgl.disposeIntermediateTensorInfo(partials);
    }
  },
};
