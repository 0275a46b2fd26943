import {getBackend, Tensor, tensor} from '@tensorflow/tfjs-core';

import {framesShape} from '../edge.js';
import {Plan} from '../plan.js';
import {StepState} from '../steps.js';

import {Program} from './program.js';

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

let programEnabled = true;
let wasmMaxFrames = WASM_PROGRAM_MAX_FRAMES;
let simdEnabled = true;

/**
 * Whether streams made from now on may run the typed-array program (true by default; false:
 * the tensor steps alone, as before the program), up to how many frames a push runs it on
 * wasm, and whether its products may use wasm SIMD (else its JS loops): for the bench's
 * comparisons and the specs.
 * @internal
 */
export function setProgramEnabled(enabled: boolean, maxWasmFrames = WASM_PROGRAM_MAX_FRAMES,
                                  simd = true): void {
  programEnabled = enabled;
  wasmMaxFrames = maxWasmFrames;
  simdEnabled = simd;
}

/**
 * The typed-array program beside a stream's tensor steps, and which of the two holds the
 * current state: the program's buffers after a program push, the tensors after a tensor push,
 * `setState` or `reset`. The state moves over (in the tensor steps' form, so the JSON of
 * `getState` is the same) only when the other path runs next.
 */
export class FastPath {
  private programCurrent = false;
  private tensorsCurrent = true;

  private constructor(private readonly program: Program, private readonly plan: Plan,
                      private readonly batch: number, private readonly backend: string) {}

  /** The fast path for a plan, or null when the program does not cover every node. */
  static compile(plan: Plan, batch: number): FastPath|null {
    if (!programEnabled) return null;
    const backend = getBackend();
    const program = Program.compile(plan, batch, backend, simdEnabled);
    return program == null ? null : new FastPath(program, plan, batch, backend);
  }

  /**
   * Whether a push of `frames` input frames runs here rather than through the tensor steps:
   * when it is faster, and on the backend the program was compiled for (whose NaN rules it
   * follows; after a `tf.setBackend` the tensor steps run).
   */
  takes(frames: number): boolean {
    const backend = getBackend();
    return backend === this.backend && (backend !== 'wasm' || frames <= wasmMaxFrames);
  }

  /**
   * Runs a chunk given as values in the input layout; returns the new output values in the
   * output layout (a fresh array the caller owns) and the output frame count.
   * `tensors` is the tensor steps' state, read when it is newer than the program's.
   */
  run(values: Float32Array, frames: number, tensors: (StepState|null)[]):
      {values: Float32Array, frames: number} {
    if (!this.programCurrent) {
      this.program.importStates(tensors.map((s, i) => s == null ? null : {
        skip: s.skip,
        buffers: s.buffers.map((b, j) => ({
          data: b.dataSync() as Float32Array,
          n: b.shape[this.plan.nodes[i].step.buffers[j].edge.timeAxis] as number,
        })),
      }));
      this.programCurrent = true;
    }
    this.tensorsCurrent = false;
    const out = this.program.run(values, frames);
    const size = this.batch * out.n * this.program.output.channels;
    return {values: out.data.slice(0, size), frames: out.n};
  }

  /** `run` on a tensor chunk: one read of the chunk, one tensor made of the result. */
  runTensor(chunk: Tensor, timeAxis: 1|2, tensors: (StepState|null)[]): Tensor {
    const {values, frames} = this.run(chunk.dataSync() as Float32Array, chunk.shape[timeAxis] as number,
                                      tensors);
    return tensor(values, framesShape(this.program.output, this.batch, frames), 'float32');
  }

  /**
   * The program's state as the tensor steps' (new tensors the caller then owns), or null when
   * the tensors are already current.
   */
  tensorStates(): (StepState|null)[]|null {
    if (this.tensorsCurrent) return null;
    this.tensorsCurrent = true;
    return this.program.exportStates().map((s, i) => s == null ? null : {
      skip: s.skip,
      buffers: s.buffers.map((b, j) => tensor(
          b.data, framesShape(this.plan.nodes[i].step.buffers[j].edge, this.batch, b.n), 'float32')),
    });
  }

  /** The tensor steps changed the state (a tensor push, setState, reset): they hold it now. */
  tensorsChanged(): void {
    this.programCurrent = false;
    this.tensorsCurrent = true;
  }
}
