import {describe, ValueError} from '../errors.js';

/**
 * The frames in a `pushArray` chunk, after checking it: `data` a Float32Array (one of another
 * realm, a worker's or an iframe's, copied into this one) of `frames` frames of `perFrame`
 * values (`frames` defaults to all of them). Throws a `ValueError` naming `method` otherwise.
 */
export function pushedFrames(
  method: string,
  data: Float32Array,
  frames: number | undefined,
  batch: number,
  channels: number
): {data: Float32Array; n: number} {
  const tag = Object.prototype.toString.call(data).slice(8, -1);
  if (!(data instanceof Float32Array)) {
    if (tag !== 'Float32Array') {
      // A typed array of another kind is named by its kind, not its (long) contents.
      const kind = ArrayBuffer.isView(data)
        ? `a ${tag} of ${(data as unknown as ArrayLike<number>).length} values ` +
          `(Float32Array.from(data) converts it)`
        : describe(data);
      throw new ValueError(`${method}: data must be a Float32Array, but got ${kind}.`);
    }
    data = Float32Array.from(data);
  }
  const perFrame = batch * channels;
  const n = frames ?? data.length / perFrame;
  if (!Number.isInteger(n) || n < 0 || n * perFrame !== data.length) {
    throw new ValueError(
      `${method}: data must hold frames * ${perFrame} values ` +
        `(batch ${batch} x ${channels} channels per frame), but got ${data.length} values${
          frames == null ? '' : ` for frames = ${describe(frames)}`
        }.`
    );
  }
  return {data, n};
}
