// Headless Chromium flags for every browser run of the project (karma, e2e, bench), in one
// place. Measured with Debian's chromium 156, as root, in a container without a GPU.

/** WebGL2 through SwiftShader. */
const SWIFTSHADER = [
  '--no-sandbox',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
  '--ignore-gpu-blocklist',
  '--disable-dev-shm-usage',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];

/**
 * WebGPU through SwiftShader's Vulkan. Never with --disable-gpu (karma's ChromeHeadless adds
 * it) or --disable-vulkan-surface: then tfjs-webgpu's dataSync() reads zeros and the device is
 * later destroyed.
 */
const WEBGPU = [
  ...SWIFTSHADER,
  '--enable-unsafe-webgpu',
  '--use-webgpu-adapter=swiftshader',
  '--enable-features=Vulkan',
  '--use-vulkan=swiftshader',
];

module.exports = {SWIFTSHADER, WEBGPU};
