// Builds dist/tfjs-depth-separable-conv1d.min.js: an IIFE for a <script> tag placed after
// tfjs's own script(s). It takes tfjs-core and tfjs-layers from the global `tf` (so it shares
// the page's single tfjs) and exposes the package's exports as `tfjsDepthSeparableConv1d`.
// Then dist/tfjs-depth-separable-conv1d-onnx.min.js: the same exports plus loadOnnxModel (and
// protobufjs, which it parses with), on the same global, to load instead of the first.
// And dist/tfjs-depth-separable-conv1d-runtime.min.js: the stream runtime alone (loadStream),
// which needs no tfjs, as the global `tfjsDepthSeparableConv1dRuntime`; the build fails if any
// tfjs module reaches it.
import {build} from 'esbuild';

const globalTf = {
  name: 'global-tf',
  setup(b) {
    b.onResolve({filter: /^@tensorflow\/tfjs-(core|layers)$/}, args => ({
      path: args.path,
      namespace: 'global-tf',
    }));
    b.onLoad({filter: /.*/, namespace: 'global-tf'}, () => ({
      contents:
        `if (typeof tf === 'undefined') throw new Error('tfjs-depth-separable-conv1d: load ` +
        `@tensorflow/tfjs (or tfjs-core and tfjs-layers) before this script');\n` +
        `module.exports = tf;`,
      loader: 'js',
    }));
  },
};

const common = {
  bundle: true,
  format: 'iife',
  globalName: 'tfjsDepthSeparableConv1d',
  platform: 'browser',
  target: 'es2017',
  minify: true,
  sourcemap: true,
  plugins: [globalTf],
  logLevel: 'warning',
};

await build({
  ...common,
  entryPoints: ['src/index.ts'],
  outfile: 'dist/tfjs-depth-separable-conv1d.min.js',
});
await build({
  ...common,
  stdin: {
    contents: "export * from './src/index.ts';\nexport * from './src/onnx.ts';\n",
    resolveDir: '.',
    loader: 'ts',
  },
  // package.json's sideEffects names dist/ files; from src/ the core's registrations must stay.
  ignoreAnnotations: true,
  outfile: 'dist/tfjs-depth-separable-conv1d-onnx.min.js',
});

const noTfjs = {
  name: 'no-tfjs',
  setup(b) {
    b.onResolve({filter: /^@tensorflow\//}, args => ({
      errors: [{text: `the runtime must not import ${args.path} (from ${args.importer})`}],
    }));
  },
};

await build({
  ...common,
  entryPoints: ['src/runtime.ts'],
  globalName: 'tfjsDepthSeparableConv1dRuntime',
  plugins: [noTfjs],
  outfile: 'dist/tfjs-depth-separable-conv1d-runtime.min.js',
});
