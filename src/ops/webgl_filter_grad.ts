import {env, getKernel, KernelConfig, NamedAttrMap, registerKernel, TensorInfo} from '@tensorflow/tfjs-core';

// A dedicated WebGL 2 kernel for the depthwise filter gradient, registered with
// tf.registerKernel. tfjs's own kernels express it badly: as a depthwise convolution it needs
// a batch x width filter, whose loops tfjs unrolls into one enormous shader (SwiftShader
// hangs), and tap by tap it is K passes over the data (5x slower, measured). Sizes are
// uniforms, so one compiled program serves every geometry and no loop is unrolled. (The
// input gradient stays a tfjs depthwise convolution: a gather shader was 1.3-2x slower.)

/** Kernel name of the depthwise filter gradient: inputs `x [B, L, C]`, `dd [B*T, C*M]`. */
export const FILTER_GRAD_KERNEL = 'DepthSeparableConv1dFilterGrad';
/**
 * The tfjs flag that turns the dedicated kernel on (the default) or off; off, webgl runs the
 * filter gradient as a composite of tfjs ops. `tf.env().set(KERNELS_FLAG, false)`.
 */
export const KERNELS_FLAG = 'DEPTH_SEPARABLE_CONV1D_KERNELS';

/** What the kernel needs to know beyond its inputs' shapes. */
export interface GradAttrs extends NamedAttrMap {
  kernelSize: number;
  inWidth: number;
  outWidth: number;
  stride: number;
  dilation: number;
  padLeft: number;
}

// The parts of tfjs-backend-webgl's program and backend types used here, so the package does
// not depend on the webgl backend at run time.
interface Program {
  variableNames: string[];
  outputShape: number[];
  userCode: string;
  customUniforms: Array<{name: string, type: 'int'}>;
}
interface WebGLBackend {
  runWebGLProgram(program: Program, inputs: TensorInfo[], dtype: 'float32',
                  uniforms: number[][]): TensorInfo;
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
    customUniforms: intUniforms(['scMultiplier', 'scChunk', 'scChunks', 'scOutWidth', 'scStride',
                                 'scDilation', 'scPadLeft', 'scInWidth']),
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
      }`
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
      }`
  };
}

const filterGradConfig: KernelConfig = {
  kernelName: FILTER_GRAD_KERNEL,
  backendName: 'webgl',
  kernelFunc: ({inputs, backend, attrs}) => {
    const {x, dd} = inputs as {x: TensorInfo, dd: TensorInfo};
    const {kernelSize, inWidth, outWidth, stride, dilation, padLeft} =
        attrs as unknown as GradAttrs;
    const [batch, , inChannels] = x.shape;
    const channels = dd.shape[1];
    const multiplier = channels / inChannels;
    // About 2 sqrt(T) outputs a chunk keeps both passes' loops short (measured: 0.25 to 1000
    // sqrt(T) were within noise on SwiftShader but for small widths, which like longer chunks).
    const chunk = Math.min(outWidth, Math.ceil(2 * Math.sqrt(outWidth)));
    const chunks = Math.ceil(outWidth / chunk);
    const webgl = backend as unknown as WebGLBackend;
    const partials = webgl.runWebGLProgram(
        filterGradPartials(kernelSize, channels, batch * chunks), [x, dd], 'float32',
        [[multiplier], [chunk], [chunks], [outWidth], [stride], [dilation], [padLeft], [inWidth]]);
    try {
      return webgl.runWebGLProgram(sumPartials([kernelSize, inChannels, multiplier]), [partials],
                                   'float32', [[batch * chunks]]);
    } finally {
      webgl.disposeIntermediateTensorInfo(partials);
    }
  }
};

let registered = false;

/** Registers the kernel and its flag once; safe to call again, and from a second copy. */
export function registerKernels(): void {
  if (registered) return;
  registered = true;
  // Registering a flag again keeps any value already set.
  env().registerFlag(KERNELS_FLAG, () => true);
  if (getKernel(FILTER_GRAD_KERNEL, 'webgl') == null) registerKernel(filterGradConfig);
}

/**
 * Whether the active backend runs the dedicated kernel: webgl with WebGL 2 (the programs loop
 * to run-time bounds, which WebGL 1 shaders cannot), unless the flag turns it off.
 */
export function dedicatedKernelActive(backendName: string): boolean {
  registerKernels();
  return backendName === 'webgl' && env().getBool(KERNELS_FLAG) &&
      env().getNumber('WEBGL_VERSION') === 2;
}
