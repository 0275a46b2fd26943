// When a tensor's frames come relative to the input's, without tfjs: the plan's edges carry
// it, and the runtime derives it again from an exported description to check the merges.

/** When one tensor's frames come, counted in input frames. */
export interface Timing {
  /** Input frames per frame of this tensor (the product of the strides before it). */
  rate: number;
  /** Input frames that one frame depends on (Infinity after a recurrent layer). */
  receptiveField: number;
  /**
   * Input frames by which the stream's frames lag the input: the right padding of the windows
   * before it (each in input frames), which only the end of the signal (flush) fills.
   */
  delay: number;
}

/** The stream's input: one frame per frame, no lag. */
export const INPUT_TIMING: Readonly<Timing> = {rate: 1, receptiveField: 1, delay: 0};

/** The timing after a window of `span` frames at `stride`, padded `rightPadding` at the end. */
export function windowTiming(
  input: Timing,
  window: {span: number; stride: number; rightPadding: number}
): Timing {
  const {span, stride, rightPadding} = window;
  return {
    rate: input.rate * stride,
    receptiveField: input.receptiveField + (span - 1) * input.rate,
    delay: input.delay + rightPadding * input.rate,
  };
}

/**
 * The most frames of an input of timing `e` that can wait for the other inputs of a merge
 * whose output lags by `delay`: the frames `e` is ahead by its smaller delay, plus a window of
 * the receptive field and a frame of rounding for strided or valid paths (a recurrent path, of
 * unbounded receptive field, is never ahead by more than its delay).
 */
export function mergeLead(e: Timing, delay: number): number {
  const window = Number.isFinite(e.receptiveField) ? e.receptiveField : 0;
  return window + e.rate + Math.ceil((delay - e.delay) / e.rate) + 1;
}
