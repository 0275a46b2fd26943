// `npm run build`: the package's three builds into dist/. ESM (dist/esm) and CommonJS
// (dist/cjs), each with its own types, and a package.json in each folder that tells Node which
// module system the folder's .js files use (the package root has no "type"); source maps embed
// the TypeScript sources, which the package does not ship. Then the <script> bundles: the main
// one, and one with the ONNX importer too (it carries protobufjs, which the main one must not).
import {execFileSync} from 'node:child_process';
import {readFileSync, rmSync, writeFileSync} from 'node:fs';

const tsc = args =>
  execFileSync(
    process.execPath,
    ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json', ...args],
    {stdio: 'inherit'}
  );

rmSync('dist', {recursive: true, force: true});
tsc([]);
writeFileSync('dist/esm/package.json', JSON.stringify({type: 'module'}, null, 2) + '\n');
tsc(['--module', 'commonjs', '--outDir', 'dist/cjs']);
writeFileSync('dist/cjs/package.json', JSON.stringify({type: 'commonjs'}, null, 2) + '\n');
await import('./build-bundle.mjs');

// Users of the core entry point never load the ONNX parser: its bundle and module graph hold
// none of it.
const core = readFileSync('dist/tfjs-depth-separable-conv1d.min.js', 'utf8');
for (const marker of ['protobuf', 'loadOnnxModel', 'ModelProto']) {
  if (core.includes(marker)) {
    throw new Error(
      `dist/tfjs-depth-separable-conv1d.min.js contains '${marker}': the core ` +
        'entry point must not load the ONNX importer'
    );
  }
}
