/**
 * The Node-only part of tfjs-depth-separable-conv1d, as `tfjs-depth-separable-conv1d/node`:
 * saving and loading models in a folder without `@tensorflow/tfjs-node`. Kept out of the main
 * entry so that browser bundles never see `fs`.
 *
 * @packageDocumentation
 * @module tfjs-depth-separable-conv1d/node
 */
export {fileSystem} from './node/file_system.js';
export {readStreamFiles, writeStreamFiles} from './node/stream_files.js';
