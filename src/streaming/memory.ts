import {keep, Tensor} from '@tensorflow/tfjs-core';

import {Plan} from './plan.js';
import {FastPath} from './fast_path.js';
import {StepState} from './steps.js';

/**
 * The one owner of what a stream remembers between pushes. The state lives in one of two
 * forms: the tensor steps' (tensors per node) or the typed-array program's (its own arrays),
 * and only the form that ran last is current. Every read and write goes through here, which
 * moves the state over when the other form asks for it, so no caller has to remember to.
 *
 * The tensors are the stream's own: each is `tf.keep`-ed when it comes in, so a `tf.tidy`
 * around a stream call (or around `createStream`) does not free them; they are freed here
 * when replaced, and in `dispose`.
 */
export class StreamMemory {
  private states: (StepState | null)[];
  /** Whether `states` holds the current state (false after the program ran). */
  private tensorsCurrent = true;
  /** Whether the program's arrays hold the current state. */
  private programCurrent = false;

  constructor(
    private readonly plan: Plan,
    private readonly batch: number,
    private readonly fast: FastPath | null
  ) {
    this.states = this.owned(this.fresh());
  }

  /** Whether a push of `frames` frames runs the program (it covers the plan, and is faster). */
  programTakes(frames: number): boolean {
    return this.fast != null && this.fast.takes(frames);
  }

  /** Whether the plan has a typed-array program at all. */
  get hasProgram(): boolean {
    return this.fast != null;
  }

  /**
   * Runs `work` on the program with the current state moved into it first; afterwards the
   * program's arrays hold the state (the tensors are stale until `tensors()` asks).
   */
  onProgram<R>(work: (fast: FastPath) => R): R {
    const fast = this.fast;
    if (fast == null) throw new Error('StreamMemory.onProgram: the plan has no program.');
    if (!this.programCurrent) {
      fast.importStates(this.states);
      this.programCurrent = true;
    }
    // Marked before the run: a run that fails half way leaves the program's arrays newest.
    this.tensorsCurrent = false;
    return work(fast);
  }

  /** The current state in the tensor steps' form (moved over from the program if it ran last). */
  tensors(): readonly (StepState | null)[] {
    if (!this.tensorsCurrent) {
      this.swap(this.owned(this.fast!.exportStates()));
      this.tensorsCurrent = true;
    }
    return this.states;
  }

  /**
   * Makes `next` the state (a tensor push's, `setState`'s): the stream keeps its buffers and
   * frees those of the old state that `next` does not reuse.
   */
  replace(next: (StepState | null)[]): void {
    this.swap(this.owned(next));
    this.tensorsCurrent = true;
    this.programCurrent = false;
  }

  /** Back to a fresh stream's state. */
  reset(): void {
    this.replace(this.fresh());
  }

  /** Frees every tensor held. */
  dispose(): void {
    this.swap([]);
  }

  /** The buffers of the current tensor form (for cleanup after a failed tensor push). */
  heldBuffers(): Set<Tensor> {
    return buffersOf(this.states);
  }

  private fresh(): (StepState | null)[] {
    return this.plan.nodes.map(n => n.step.initialState(this.batch));
  }

  /** Keeps every buffer of `states` out of any enclosing `tf.tidy`. */
  private owned(states: (StepState | null)[]): (StepState | null)[] {
    for (const s of states) s?.buffers.forEach(b => keep(b));
    return states;
  }

  private swap(next: (StepState | null)[]): void {
    const kept = buffersOf(next);
    buffersOf(this.states).forEach(t => kept.has(t) || t.dispose());
    this.states = next;
  }
}

/** Every buffer of a state, once. */
export function buffersOf(states: readonly (StepState | null)[]): Set<Tensor> {
  return new Set(states.flatMap(s => s?.buffers ?? []));
}
