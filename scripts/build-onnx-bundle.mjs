// Builds dist/tfjs-depth-separable-conv1d-onnx.min.js: the main <script> bundle's exports plus
// loadOnnxModel (and protobufjs, which it parses with), as `tfjsDepthSeparableConv1d` too. Load
// it instead of the main bundle, after tfjs's own script(s): it takes tfjs from the global `tf`.
import {build} from 'esbuild';

const globalTf = {
  name: 'global-tf',
  setup(b) {
    b.onResolve({filter: /^@tensorflow\/tfjs-(core|layers)$/}, args => ({path: args.path, namespace: 'global-tf'}));
    b.onLoad({filter: /.*/, namespace: 'global-tf'}, () => ({
      contents: `if (typeof tf === 'undefined') throw new Error('tfjs-depth-separable-conv1d: load ` +
                `@tensorflow/tfjs (or tfjs-core and tfjs-layers) before this script');\n` +
                `module.exports = tf;`,
      loader: 'js',
    }));
  },
};

await build({
  stdin: {
    contents: "export * from './src/index.ts';\nexport * from './src/onnx.ts';\n",
    resolveDir: '.',
    loader: 'ts',
  },
  bundle: true,
  // package.json's sideEffects names dist/ files; from src/ the core's registrations must stay.
  ignoreAnnotations: true,
  format: 'iife',
  globalName: 'tfjsDepthSeparableConv1d',
  platform: 'browser',
  target: 'es2017',
  minify: true,
  sourcemap: true,
  plugins: [globalTf],
  outfile: 'dist/tfjs-depth-separable-conv1d-onnx.min.js',
  logLevel: 'warning',
});
