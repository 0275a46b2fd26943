import {
  backend as activeBackend,
  env,
  getBackend,
  getKernel,
  registerKernel,
} from '@tensorflow/tfjs-core';

import {cpuInputGradConfig} from './cpu_input_grad.js';
import {cpuMatMulConfig} from './cpu_matmul.js';
import {
  wasmDepthwiseAvailable,
  wasmDepthwiseConfig,
  wasmFilterGradConfig,
  wasmInputGradConfig,
} from './wasm_depthwise.js';
import {wasmMatMulConfig} from './wasm_matmul.js';
import {wasmSeparableConfig} from './wasm_separable.js';
import {wasmProductsUsable} from './wasm_separable_module.js';
import {webglFilterGradConfig} from './webgl_filter_grad.js';

/**
 * The tfjs flag that turns the dedicated kernels on (the default) or off; off, every backend
 * runs the op as a composite of tfjs's own ops. `tf.env().set(KERNELS_FLAG, false)`.
 *
 * @group Internals
 */
export const KERNELS_FLAG = 'DEPTH_SEPARABLE_CONV1D_KERNELS';

const CONFIGS = [webglFilterGradConfig, cpuMatMulConfig, cpuInputGradConfig];

/** The wasm kernels that need tfjs-wasm's heap and one thread. */
const ON_WASM_HEAP = new Set([wasmMatMulConfig.kernelName, wasmSeparableConfig.kernelName]);

let registered = false;

/** Registers the kernels and their flag once; safe to call again, and from a second copy. */
export function registerKernels(): void {
  if (registered) return;
  registered = true;
  // Registering a flag again keeps any value already set.
  env().registerFlag(KERNELS_FLAG, () => true);
  // The wasm kernel only where the engine has WebAssembly SIMD (Safari before 16.4 has not).
  const configs = wasmDepthwiseAvailable()
    ? [
        ...CONFIGS,
        wasmDepthwiseConfig,
        wasmFilterGradConfig,
        wasmInputGradConfig,
        wasmMatMulConfig,
        wasmSeparableConfig,
      ]
    : CONFIGS;
  for (const config of configs) {
    if (getKernel(config.kernelName, config.backendName) == null) registerKernel(config);
  }
}

/** Whether `kernelName` runs as a dedicated kernel on the active backend. */
export function useDedicatedKernel(kernelName: string): boolean {
  registerKernels();
  const backend = getBackend();
  if (!env().getBool(KERNELS_FLAG) || getKernel(kernelName, backend) == null) return false;
  // The WebGL programs loop to run-time bounds, which WebGL 1 shaders cannot.
  if (backend === 'webgl') return env().getNumber('WEBGL_VERSION') === 2;
  // The separable module runs in tfjs-wasm's heap on one thread (wasm_separable_module.ts).
  if (backend === 'wasm' && ON_WASM_HEAP.has(kernelName))
    return wasmProductsUsable(activeBackend());
  return true;
}
