// The spec files of the 1-D layers tfjs lacks and the ONNX import, on every backend, in Node
// and in the browser. In Chromium they run in a page of their own (spec/entry_browser_1d.ts):
// tfjs-webgpu pools every buffer it ever freed, and one page running every spec file lost its
// SwiftShader device about 900 specs in.
import './streaming_layers.spec';
import './conv1d_layer.spec';
import './depthwise_layer.spec';
import './gru_layer.spec';
import './keras_layers.spec';
import './onnx.spec';
import './onnx_errors.spec';
import './onnx_stream.spec';
import './onnx_layers.spec';
import './onnx_hostile.spec';
