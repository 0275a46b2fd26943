// Which tfjs backend the demo page trains on. A GPU backend on a software adapter (SwiftShader,
// llvmpipe: what a browser falls back to without a usable GPU) emulates the GPU on the CPU and
// trains this net many times slower than wasm, so the page looks hung: such adapters are
// detected and wasm is preferred, with the reason shown.
import * as tf from '@tensorflow/tfjs-core';

/** Renderer names of software rasterizers (Chromium's SwiftShader, Mesa's llvmpipe/lavapipe, Windows' WARP). */
const SOFTWARE = /swiftshader|llvmpipe|lavapipe|softpipe|microsoft basic render/i;

/** What a GPU API reports: absent, or its renderer and whether it is emulated on the CPU. */
export interface GpuProbe {
  available: boolean;
  software: boolean;
  /** The adapter's or renderer's description, as the browser gives it. */
  renderer: string;
}

/** The parts of WebGPU's adapter this uses (the DOM types of TypeScript 5.9 have no WebGPU). */
interface Adapter {
  isFallbackAdapter?: boolean;
  info?: {
    vendor?: string;
    architecture?: string;
    device?: string;
    description?: string;
    isFallbackAdapter?: boolean;
  };
}

/** WebGPU's adapter: a fallback adapter, or one that names a software renderer, is software. */
export async function probeWebGpu(): Promise<GpuProbe> {
  const gpu = (navigator as unknown as {gpu?: {requestAdapter(): Promise<Adapter | null>}}).gpu;
  const adapter = gpu ? await gpu.requestAdapter().catch(() => null) : null;
  if (!adapter) return {available: false, software: false, renderer: 'no adapter'};
  const info = adapter.info ?? {};
  const renderer =
    [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' / ') ||
    'unnamed adapter';
  const fallback = info.isFallbackAdapter === true || adapter.isFallbackAdapter === true;
  return {available: true, software: fallback || SOFTWARE.test(renderer), renderer};
}

/** WebGL2's unmasked renderer string (WEBGL_debug_renderer_info). */
export function probeWebGl(): GpuProbe {
  const gl = document.createElement('canvas').getContext('webgl2');
  if (!gl) return {available: false, software: false, renderer: 'no WebGL2'};
  const debug = gl.getExtension('WEBGL_debug_renderer_info');
  const renderer = String(gl.getParameter(debug ? debug.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
  gl.getExtension('WEBGL_lose_context')?.loseContext();
  return {available: true, software: SOFTWARE.test(renderer), renderer};
}

/** The backend the page runs on, and why, in a sentence for the page. */
export interface BackendChoice {
  backend: string;
  reason: string;
}

async function start(name: string): Promise<boolean> {
  try {
    return await tf.setBackend(name);
  } catch {
    return false;
  }
}

/**
 * Starts `forced` if given (`?backend=`), else the first of: webgpu on a hardware adapter,
 * webgl on a hardware renderer, wasm, cpu.
 */
export async function chooseBackend(forced: string | null): Promise<BackendChoice> {
  if (forced) {
    if (await start(forced)) return {backend: forced, reason: `forced by ?backend=${forced}`};
    throw new Error(`backend ${forced} (from ?backend=) did not start in this browser`);
  }
  const webgpu = await probeWebGpu();
  if (webgpu.available && !webgpu.software && (await start('webgpu'))) {
    return {backend: 'webgpu', reason: `WebGPU adapter ${webgpu.renderer}`};
  }
  const webgl = probeWebGl();
  if (webgl.available && !webgl.software && (await start('webgl'))) {
    return {
      backend: 'webgl',
      reason:
        `WebGL renderer ${webgl.renderer}` +
        (webgpu.software ? `; WebGPU's adapter is software (${webgpu.renderer})` : ''),
    };
  }
  const software = [
    webgpu.software ? `WebGPU's adapter (${webgpu.renderer})` : '',
    webgl.software ? `WebGL's renderer (${webgl.renderer})` : '',
  ].filter(Boolean);
  const why =
    software.length > 0
      ? `no hardware GPU: ${software.join(' and ')} ${software.length > 1 ? 'are software renderers' : 'is a software renderer'}, ` +
        `the GPU emulated on the CPU, many times slower than wasm (XNNPACK) for this net; ` +
        `?backend=webgpu or ?backend=webgl forces one`
      : 'no WebGPU or WebGL2 in this browser';
  for (const name of ['wasm', 'cpu']) {
    if (await start(name)) return {backend: name, reason: why};
  }
  throw new Error('no tfjs backend started');
}
