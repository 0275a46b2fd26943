/**
 * The stream runtime of tfjs-depth-separable-conv1d, as `tfjs-depth-separable-conv1d/runtime`:
 * runs a stream exported by `stream.export()` with no tfjs at all (a few tens of KB), in an
 * `AudioWorklet`, a Worker or Node, exactly as the stream's `pushArray` does.
 *
 * @packageDocumentation
 * @module tfjs-depth-separable-conv1d/runtime
 */
export {loadStream, ProgramStream} from './runtime/program_stream.js';
export type {LoadOptions} from './runtime/program_stream.js';
export {DEFAULT_MAX_BYTES} from './runtime/validate.js';
export {PROGRAM_FORMAT, PROGRAM_VERSION} from './runtime/format.js';
export type {
  ExportedNode,
  ExportedStream,
  ProgramDescription,
  WeightEntry,
} from './runtime/format.js';
export type {StreamState, BufferState, LayerState} from './streaming/state_format.js';
export type {NodeSignature, SettingValue} from './streaming/signature.js';
export type {FrameLayout} from './streaming/program/program.js';
export type {
  ActivationSpec,
  Conv1dSettings,
  DepthwiseSettings,
  GlobalPoolingSettings,
  LocalPoolingSettings,
  MergeSettings,
  NodeOp,
  OpSettings,
  RecurrentSettings,
  SeparableSettings,
  WindowSettings,
} from './streaming/program/description.js';
export {ValueError} from './errors.js';
