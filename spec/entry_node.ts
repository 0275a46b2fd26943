import './setup_node';
import './specs';
import './specs_1d';
import './node/file_system.spec';
import './node/wasm_heap.spec';
import './node/onnx_testdata.spec';
import './node/onnx_ort.spec';
import './node/stream_runtime_bundle.spec';
