import {getBackend, Tensor, tensor} from '@tensorflow/tfjs-core';

import {describePlan, layerWeights} from './describe.js';
import {framesShape} from './edge.js';
import {Plan} from './plan.js';
import {StepState} from './steps.js';

import {Program} from './program/program.js';

/**
 * Chunks of more input frames than this run through tfjs's kernels on wasm instead of the
 * program. The tensor steps pay a fixed ~0.8 ms a push (about 110 kernel dispatches for the
 * bench TCN) and then ~3 us a frame (XNNPACK's products over all frames at once); the program
 * pays ~10-17 us a frame from the first (its SIMD product runs row by row, the rest is scalar
 * JS). Measured side by side (bench/streaming.ts, the size-switch line; Node wasm, 2 shared
 * cores): 64 frames 0.58 ms program / 0.98 ms tensors, 256 frames 6.2 / 1.6. So: the program up
 * to 64 frames, tfjs above. cpu (tfjs's own kernels are scalar JS loops: the program wins at
 * every size, 21 / 123 ms at 512 frames) and webgl / webgpu (one readback of the chunk and one
 * upload of the result, against ~100 kernel dispatches each waiting on the GPU) run the program
 * at every size.
 */
export const WASM_PROGRAM_MAX_FRAMES = 64;

/**
 * How a stream may run its plan, fixed when it is made: for the bench's comparisons and the
 * specs, which pass it to `openStream` (users get the defaults through `createStream`).
 * @internal
 */
export interface EngineOptions {
  /** Whether pushes may run the typed-array program (default true; false: tensor steps only). */
  program?: boolean;
  /** Up to how many frames a push runs the program on wasm (default `WASM_PROGRAM_MAX_FRAMES`). */
  maxWasmFrames?: number;
  /** Whether the program's products may use wasm SIMD (default true; false: its JS loops). */
  simd?: boolean;
}

/**
 * The typed-array program of a plan, and when a push runs it rather than the tensor steps.
 * It holds no state of its own account: `StreamMemory` decides which form of the state is
 * current and moves it in (`importStates`) and out (`exportStates`).
 */
export class FastPath {
  private constructor(
    private readonly program: Program,
    private readonly plan: Plan,
    private readonly batch: number,
    private readonly backend: string,
    private readonly maxWasmFrames: number
  ) {}

  /** The fast path for a plan, or null when the program does not cover every node. */
  static compile(plan: Plan, batch: number, engine: EngineOptions = {}): FastPath | null {
    if (engine.program === false) return null;
    const backend = getBackend();
    const described = describePlan(plan, batch);
    if (!('layout' in described)) return null;
    const weights = layerWeights(plan);
    const program = Program.build(described.layout, i => weights[i], engine.simd ?? true);
    return program == null
      ? null
      : new FastPath(
          program,
          plan,
          batch,
          backend,
          engine.maxWasmFrames ?? WASM_PROGRAM_MAX_FRAMES
        );
  }

  /**
   * Whether a push of `frames` input frames runs here rather than through the tensor steps:
   * when it is faster, and on the backend the program was compiled for (whose NaN rules it
   * follows; after a `tf.setBackend` the tensor steps run).
   */
  takes(frames: number): boolean {
    const backend = getBackend();
    return backend === this.backend && (backend !== 'wasm' || frames <= this.maxWasmFrames);
  }

  /**
   * Runs a chunk given as values in the input layout; returns the new output values in the
   * output layout (a fresh array the caller owns) and the output frame count.
   */
  run(values: Float32Array, frames: number): {values: Float32Array; frames: number} {
    const out = this.program.run(values, frames);
    const size = this.batch * out.n * this.program.output.channels;
    return {values: out.data.slice(0, size), frames: out.n};
  }

  /** `run` on a tensor chunk: one read of the chunk, one tensor made of the result. */
  runTensor(chunk: Tensor, timeAxis: 1 | 2): Tensor {
    const {values, frames} = this.run(
      chunk.dataSync() as Float32Array,
      chunk.shape[timeAxis] as number
    );
    return tensor(values, framesShape(this.program.output, this.batch, frames), 'float32');
  }

  /** Continues the program from the tensor steps' state (read synchronously). */
  importStates(states: readonly (StepState | null)[]): void {
    this.program.importStates(
      states.map((s, i) =>
        s == null
          ? null
          : {
              skip: s.skip,
              buffers: s.buffers.map((b, j) => ({
                data: b.dataSync() as Float32Array,
                n: b.shape[this.plan.nodes[i].step.buffers[j].edge.timeAxis] as number,
              })),
            }
      )
    );
  }

  /** The program's state as the tensor steps' (new tensors the caller then owns). */
  exportStates(): (StepState | null)[] {
    return this.program.exportStates().map((s, i) =>
      s == null
        ? null
        : {
            skip: s.skip,
            buffers: s.buffers.map((b, j) =>
              tensor(
                b.data,
                framesShape(this.plan.nodes[i].step.buffers[j].edge, this.batch, b.n),
                'float32'
              )
            ),
          }
    );
  }
}
