// The spec files that run on every backend, in Node and in the browser.
import './op.spec';
import './layer.spec';
import './errors.spec';
import './torch.spec';
import './keras.spec';
import './property.spec';
import './edge.spec';
import './scale.spec';
import './kernels.spec';
import './nonfinite.spec';
import './second_order.spec';
import './limits.spec';
import './streaming.spec';
import './streaming_exact.spec';
import './streaming_reach.spec';
import './streaming_program.spec';
import './wasm_kernel.spec';
