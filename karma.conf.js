// Runs the shared spec files in headless Chromium on the backend named by TFJS_BACKEND
// (webgl, webgpu, wasm or cpu). scripts/test.mjs starts it once per backend and reads the RESULT line.
const backend = process.env.TFJS_BACKEND || 'webgl';

/** Counts specs and prints `RESULT {...}` for scripts/test.mjs. */
function CountReporter(baseReporterDecorator) {
  baseReporterDecorator(this);
  const counts = {suite: `browser-${backend}`, passed: 0, failed: 0, skipped: 0};
  this.onSpecComplete = (browser, result) => {
    if (result.skipped || result.disabled || result.pending) counts.skipped++;
    else if (result.success) counts.passed++;
    else counts.failed++;
  };
  this.onBrowserError = () => counts.failed++;
  this.onRunComplete = (browsers, results) => {
    if (results.error || results.disconnected) counts.failed++;
    process.stdout.write('\nRESULT ' + JSON.stringify(counts) + '\n');
  };
}
CountReporter.$inject = ['baseReporterDecorator'];

const {SWIFTSHADER, WEBGPU} = require('./scripts/chromium_flags.cjs');

module.exports = config => {
  config.set({
    frameworks: ['jasmine'],
    files: [
      // Bundled from spec/entry_browser.ts by scripts/test.mjs (esbuild, one IIFE).
      // SPEC_BUNDLE: scripts/test.mjs runs each backend once a bundle, each in a page of its own.
      process.env.SPEC_BUNDLE || 'build/spec/browser.js',
      {
        pattern: 'node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm',
        included: false,
        served: true,
        watched: false,
        nocache: true,
      },
    ],
    mime: {'application/wasm': ['wasm']},
    plugins: [
      'karma-jasmine',
      'karma-chrome-launcher',
      {'reporter:count': ['type', CountReporter]},
    ],
    reporters: ['dots', 'count'],
    client: {
      backend,
      jasmine: {random: false, timeoutInterval: 300000},
      captureConsole: true,
      // SPEC_FILTER: run only the specs whose full names match, while working.
      args: process.env.SPEC_FILTER ? ['--grep', process.env.SPEC_FILTER] : [],
    },
    browsers: [backend === 'webgpu' ? 'ChromiumHeadlessWebGPU' : 'ChromiumHeadlessSwiftShader'],
    // karma-chrome-launcher gives every launch a fresh --user-data-dir of its own.
    customLaunchers: {
      ChromiumHeadlessSwiftShader: {base: 'ChromeHeadless', flags: SWIFTSHADER},
      // Not ChromeHeadless, which adds --disable-gpu (see scripts/chromium_flags.cjs).
      ChromiumHeadlessWebGPU: {base: 'Chrome', flags: ['--headless=new', ...WEBGPU]},
    },
    browserNoActivityTimeout: 600000,
    browserDisconnectTimeout: 60000,
    captureTimeout: 120000,
    singleRun: true,
    autoWatch: false,
    logLevel: config.LOG_WARN,
  });
};
