// Keras's ZeroPadding1D and Cropping1D, which tfjs-layers 4.22 lacks: what an imported model
// uses for padding it cannot fold into a conv (before a max pool) and for a slice over time.
import {pad, serialization, slice, Tensor, Tensor3D} from '@tensorflow/tfjs-core';
import {layers} from '@tensorflow/tfjs-layers';
import type {LayerArgs} from '@tensorflow/tfjs-layers/dist/engine/topology.js';

import {ValueError} from '../errors.js';

function pair(name: string, value: unknown): [number, number] {
  const v = typeof value === 'number' ? [value, value] : value;
  if (
    !Array.isArray(v) ||
    v.length !== 2 ||
    !v.every(x => typeof x === 'number' && Number.isInteger(x) && x >= 0)
  ) {
    throw new ValueError(
      `${name} must be an integer >= 0 or a pair of them, but got ` + `${JSON.stringify(value)}.`
    );
  }
  return [v[0], v[1]];
}

function single(inputs: Tensor | Tensor[]): Tensor3D {
  return (Array.isArray(inputs) ? inputs[0] : inputs) as Tensor3D;
}

/** Keras's `ZeroPadding1D`: `padding` ([left, right] or one number) zeros around the time axis. */
export class ZeroPadding1D extends layers.Layer {
  static className = 'ZeroPadding1D';
  readonly padding: [number, number];

  constructor(args: LayerArgs & {padding?: number | [number, number]}) {
    super(args);
    this.padding = pair('ZeroPadding1D padding', args.padding ?? 1);
  }

  override computeOutputShape(
    shape: Array<number | null> | Array<Array<number | null>>
  ): Array<number | null> {
    const s = shape as Array<number | null>;
    return [s[0], s[1] === null ? null : s[1] + this.padding[0] + this.padding[1], s[2]];
  }

  override call(inputs: Tensor | Tensor[]): Tensor {
    return pad(single(inputs), [[0, 0], this.padding, [0, 0]]);
  }

  override getConfig(): serialization.ConfigDict {
    return {...super.getConfig(), padding: [...this.padding]};
  }
}
serialization.registerClass(ZeroPadding1D);

/** Keras's `Cropping1D`: drops `cropping` ([start, end]) frames from the time axis. */
export class Cropping1D extends layers.Layer {
  static className = 'Cropping1D';
  readonly cropping: [number, number];

  constructor(args: LayerArgs & {cropping?: number | [number, number]}) {
    super(args);
    this.cropping = pair('Cropping1D cropping', args.cropping ?? 1);
  }

  override computeOutputShape(
    shape: Array<number | null> | Array<Array<number | null>>
  ): Array<number | null> {
    const s = shape as Array<number | null>;
    return [s[0], s[1] === null ? null : s[1] - this.cropping[0] - this.cropping[1], s[2]];
  }

  override call(inputs: Tensor | Tensor[]): Tensor {
    const x = single(inputs);
    const kept = x.shape[1] - this.cropping[0] - this.cropping[1];
    if (kept < 1) {
      throw new ValueError(
        `Cropping1D '${this.name}': cropping ${this.cropping} leaves no ` +
          `frame of ${x.shape[1]}.`
      );
    }
    return slice(x, [0, this.cropping[0], 0], [-1, kept, -1]);
  }

  override getConfig(): serialization.ConfigDict {
    return {...super.getConfig(), cropping: [...this.cropping]};
  }
}
serialization.registerClass(Cropping1D);
