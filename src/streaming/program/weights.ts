/**
 * Where a program node reads its weights (kernel, bias, gamma, ... by their short names): a
 * layer's variables in a stream (`LayerWeights`, which re-reads the ones a `fit` changed), or
 * fixed arrays in an exported program (`FixedWeights`).
 */
export interface WeightSource {
  /** Reads the weights that changed since the last call; true when any did (first call: true). */
  refresh(): boolean;
  /** A weight's values (after `refresh`), or null when there is none of that name. */
  get(name: string): Float32Array | null;
}

/** Weights that never change: an exported program's, by name. */
export class FixedWeights implements WeightSource {
  private fresh = true;

  constructor(private readonly values: ReadonlyMap<string, Float32Array>) {}

  refresh(): boolean {
    const fresh = this.fresh;
    this.fresh = false;
    return fresh;
  }

  get(name: string): Float32Array | null {
    return this.values.get(name) ?? null;
  }
}
