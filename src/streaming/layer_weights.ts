import {layers} from '@tensorflow/tfjs-layers';

import {WeightSource} from './program/weights.js';

type Layer = layers.Layer;
type LayerVariable = Layer['weights'][number];

/**
 * A layer's weights as Float32Arrays, read once and again only when a variable changed:
 * `Variable.assign` (setWeights, an optimizer's update in `fit`) gives the variable a new
 * `dataId`, so comparing the dataIds is the cheap check each push makes.
 */
export class LayerWeights implements WeightSource {
  private readonly variables: LayerVariable[];
  private readonly ids: unknown[];
  /** The values by weight name (the part after the last '/': kernel, bias, gamma, ...). */
  readonly values = new Map<string, Float32Array>();

  constructor(layer: Layer) {
    this.variables = layer.weights;
    this.ids = this.variables.map(() => null);
  }

  /** Whether the layer has a weight of this name. */
  has(name: string): boolean {
    return this.variables.some(v => shortName(v) === name);
  }

  /** Reads the variables that changed since the last call; true when any did. */
  refresh(): boolean {
    let changed = false;
    for (let i = 0; i < this.variables.length; i++) {
      const v = this.variables[i].read();
      if (v.dataId === this.ids[i]) continue;
      // A copy: a backend may hand out a view of its own memory (wasm's heap).
      this.values.set(
        shortName(this.variables[i]),
        Float32Array.from(v.dataSync() as Float32Array)
      );
      this.ids[i] = v.dataId;
      changed = true;
    }
    return changed;
  }

  /** A weight's shape, as its variable has it (empty when the layer has none of that name). */
  shape(name: string): number[] {
    const v = this.variables.find(w => shortName(w) === name);
    return v == null ? [] : v.shape.map(d => d as number);
  }

  /** A weight's values (after `refresh`), or null when the layer has none of that name. */
  get(name: string): Float32Array | null {
    return this.values.get(name) ?? null;
  }
}

function shortName(v: LayerVariable): string {
  const name = v.originalName ?? v.name;
  return name.slice(name.lastIndexOf('/') + 1);
}
