// The CommonJS twin of consumer.mjs: `require` resolves the package's CommonJS build and types
// condition, sharing the project's one tfjs. Prints one JSON line.
const tf = require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-cpu');
const lib = require('tfjs-depth-separable-conv1d');
const {fileSystem} = require('tfjs-depth-separable-conv1d/node');

(async () => {
  await tf.setBackend('cpu');
  const y = lib.separableConv1d(tf.tensor3d([1, 2, 3, 4], [1, 4, 1]), [[[1]], [[1]]], [[[2]]]);
  if (!(y instanceof tf.Tensor)) throw new Error('another copy of tfjs-core');
  if (Array.from(y.dataSync()).join() !== '6,10,14') throw new Error(`op gave ${y.dataSync()}`);
  if (typeof fileSystem !== 'function' || typeof lib.createStream !== 'function')
    throw new Error('exports missing');
  console.log(JSON.stringify({ok: true, tfjs: tf.version_core}));
})().catch(e => {
  console.error(e);
  process.exit(1);
});
