/**
 * `tfjs-depth-separable-conv1d/onnx`: `loadOnnxModel` turns a 1-D ONNX model (a PyTorch export
 * of a keyword spotter, TCN, CRNN, LSTM tagger, ECG or activity net) into a tf.LayersModel of
 * tfjs-layers layers and this package's layers, channels-last, that predicts, trains, saves and
 * loads back like any other. This entry point alone loads the protobuf parser.
 *
 * @packageDocumentation
 * @module tfjs-depth-separable-conv1d/onnx
 */
import type {LayersModel} from '@tensorflow/tfjs-layers';

import {ValueError} from './errors.js';
// The package's layers (and kernels) register with tfjs: an imported model is made of them.
import './index.js';
import {SeparableConv1D} from './layers/depth_separable_conv1d.js';
import {convertGraph} from './onnx/convert.js';
import {parseOnnx} from './onnx/parse.js';

import {Cropping1D, ZeroPadding1D} from './layers/temporal.js';

/**
 * The layer classes of this package an imported model may use besides tfjs-layers' own:
 * importing this module registers them with tfjs, so a saved imported model loads back.
 */
export const ONNX_LAYER_CLASSES = [SeparableConv1D, ZeroPadding1D, Cropping1D];

/** Options of `loadOnnxModel`. */
export interface OnnxLoadOptions {
  /** The model's name (default: 'onnx_model'). */
  name?: string;
}

function toBytes(source: unknown): Uint8Array {
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (ArrayBuffer.isView(source)) {
    return new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  }
  // Another realm's ArrayBuffer (an iframe, a worker message) fails instanceof.
  if (Object.prototype.toString.call(source) === '[object ArrayBuffer]') {
    return new Uint8Array(source as ArrayBuffer);
  }
  throw new ValueError(
    'loadOnnxModel: source must be an ArrayBuffer or a Uint8Array of an ' +
      `.onnx file, but got ${source === null ? 'null' : typeof source}.`
  );
}

/**
 * Loads the bytes of an `.onnx` file as a `tf.LayersModel`: ONNX inputs `[N, C, L]` become
 * model inputs `[batch, L, C]` (L null where the ONNX axis is dynamic); an output ONNX leaves
 * `[N, C', L']` is `[batch, L', C']`, a time-major `[N, L', K]` one stays so, and `[N, K]`
 * stays `[batch, K]`. A depthwise Conv followed by a 1x1 Conv is one `SeparableConv1D`, a
 * zero Pad or a Chomp1d Slice folds into the conv's padding, BatchNormalization stays a layer,
 * Gemm / MatMul + Add are Dense, GRU and LSTM are Keras's GRU (reset_after for
 * linear_before_reset = 1) and LSTM, and shape arithmetic folds at load.
 *
 * Unsupported graphs (Conv with 1 < group < C, 2-D/3-D ops, ConvTranspose, control flow,
 * peepholes, sequence_lens, a recurrent state fed as an input, external data, unknown ops) and
 * malformed or hostile bytes are a `ValueError` naming the node (name and op type) and why,
 * raised before anything large is allocated, with no tensor left behind.
 */
export async function loadOnnxModel(
  source: ArrayBuffer | Uint8Array,
  options: OnnxLoadOptions = {}
): Promise<LayersModel> {
  const graph = parseOnnx(toBytes(source));
  return convertGraph(graph, options.name ?? 'onnx_model');
}
