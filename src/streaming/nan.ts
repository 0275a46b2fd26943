import {
  cast,
  equal,
  fill,
  greater,
  isNaN as isNaNOp,
  logicalAnd,
  logicalOr,
  maximum,
  minimum,
  Tensor,
  where,
} from '@tensorflow/tfjs-core';
import {layers} from '@tensorflow/tfjs-layers';

type Layer = layers.Layer;

/**
 * The activations whose tfjs-wasm kernels (XNNPACK's clamps, and its integer max of the float
 * bits for relu) may give a number for NaN: relu6 gives 6 or 0, hardSigmoid 0, relu 0 for a NaN
 * whose sign bit is set. The stream keeps NaN there on every backend and path (the math's
 * answer, as tfjs's cpu kernels give), so its output does not depend on the push size.
 */
const LOSES_NAN: readonly string[] = ['relu', 'relu6', 'hardSigmoid'];

interface Activation {
  getClassName(): string;
  apply(x: Tensor): Tensor;
}

const LINEAR: Activation = {getClassName: () => 'linear', apply: x => x};

/** NaN where `x` is NaN, `y` (computed from `x` elementwise) elsewhere. */
export function keepNaN(x: Tensor, y: Tensor): Tensor {
  return where(isNaNOp(x), x, y);
}

/** Whether an activation (a name from a layer's config) may lose NaN on some backend. */
export function losesNaN(activation: unknown): boolean {
  return LOSES_NAN.includes(activation as string);
}

/** Where a layer keeps its activation object: tfjs-layers' `activation`, or ours' settings. */
function activationHolder(layer: Layer): {activation?: Activation} | null {
  const own = layer as unknown as {activation?: Activation; settings?: {activation?: Activation}};
  if (own.settings?.activation != null) return own.settings;
  return own.activation != null ? own : null;
}

/**
 * Runs a layer call (`run`) with its activation kept from losing NaN: when the layer's
 * activation is one that may, the call runs linear and the activation is applied after it,
 * NaN kept where the pre-activation is NaN. `keeps`: activations the layer's own call keeps
 * NaN through (ours applies relu in the op's kernels, which do).
 */
export function keepingNaN(layer: Layer, run: () => Tensor, keeps: readonly string[] = []): Tensor {
  const holder = activationHolder(layer);
  const activation = holder?.activation;
  const name = activation?.getClassName();
  if (holder == null || activation == null || !losesNaN(name) || keeps.includes(name!)) {
    return run();
  }
  holder.activation = LINEAR;
  let pre: Tensor;
  try {
    pre = run();
  } finally {
    holder.activation = activation;
  }
  return keepNaN(pre, activation.apply(pre));
}

/**
 * Runs `run` with the activations that `holder` keeps under `keys` (a recurrent cell's
 * `activation` and `recurrentActivation`) kept from losing NaN: each one that may is applied
 * with NaN kept where its input is NaN (tfjs's GRU gates default to hardSigmoid, which
 * tfjs-wasm turns from NaN into 0).
 */
export function keepingNaNIn<T>(holder: object, keys: readonly string[], run: () => T): T {
  const fields = holder as Record<string, Activation | undefined>;
  const saved = keys.map(k => fields[k]);
  keys.forEach((k, i) => {
    const activation = saved[i];
    if (activation == null || !losesNaN(activation.getClassName())) return;
    fields[k] = {
      getClassName: () => activation.getClassName(),
      apply: x => keepNaN(x, activation.apply(x)),
    };
  });
  try {
    return run();
  } finally {
    keys.forEach((k, i) => {
      fields[k] = saved[i];
    });
  }
}

/**
 * Elementwise maximum or minimum that gives NaN where either operand is NaN (tfjs-wasm's give
 * the other operand when the second one is NaN).
 */
export function extremum(kind: 'max' | 'min'): (a: Tensor, b: Tensor) => Tensor {
  const f = kind === 'max' ? maximum : minimum;
  return (a, b) => where(isNaNOp(a), a, where(isNaNOp(b), b, f(a, b)));
}

/**
 * A pooling window's answer with NaN wherever the math has it: where the window reads a NaN,
 * and for an average, where it reads both +Inf and -Inf. tfjs-cpu's and tfjs-wasm's maxPool
 * skip NaN; tfjs-wasm's avgPool clamps a NaN sum to -Infinity. `pool` pools a float tensor of
 * the same frames; pooled flags (0 or 1) are above 0 exactly where a window reads a flagged
 * frame, for max and average pooling alike.
 */
export function poolKeepingNaN(
  x: Tensor,
  pool: (frames: Tensor) => Tensor,
  kind: 'max' | 'average'
): Tensor {
  const y = pool(x);
  // greater, not a cast to bool: tfjs-wasm casts 0.33 to false (it truncates first).
  const reads = (flags: Tensor) => greater(pool(cast(flags, 'float32')), 0);
  let nan = reads(isNaNOp(x));
  if (kind === 'average') {
    nan = logicalOr(nan, logicalAnd(reads(equal(x, Infinity)), reads(equal(x, -Infinity))));
  }
  return where(nan, fill(y.shape, NaN), y);
}
