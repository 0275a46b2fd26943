import {engine} from '@tensorflow/tfjs-core';

/**
 * Whether tfjs is recording operations for a gradient right now (in a gradient function, only
 * when a gradient of that gradient is wanted). tfjs has no public call that says so.
 */
export function isRecordingGradients(): boolean {
  const state = (engine() as unknown as {state?: {gradientDepth?: number}}).state;
  return (state?.gradientDepth ?? 0) > 0;
}
