import {TensorInfo} from '@tensorflow/tfjs-core';

/** The parts of tfjs-backend-cpu's backend that the cpu kernels use (no run-time dependency). */
export interface CpuBackend {
  readSync(dataId: object): unknown;
  makeTensorInfo(shape: number[], dtype: 'float32', values: Float32Array): TensorInfo;
}
