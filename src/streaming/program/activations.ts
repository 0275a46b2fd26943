import type {ActivationSpec} from './description.js';

// tfjs-layers' activations on typed arrays, each the formula tfjs computes (its
// activations.js and the cpu kernels), NaN and infinities included.

/** Applies an activation in place to `rows` rows of `channels` values. */
export type ArrayActivation = (data: Float32Array, rows: number, channels: number) => void;

const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;
// tfjs-core's erf (Abramowitz and Stegun 7.1.26), the one its cpu kernel evaluates.
const ERF_P = 0.3275911;
const ERF_A = [0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429];

function erf(v: number): number {
  const sign = Math.sign(v);
  const a = Math.abs(v);
  const t = 1 / (1 + ERF_P * a);
  return (
    sign *
    (1 -
      ((((ERF_A[4] * t + ERF_A[3]) * t + ERF_A[2]) * t + ERF_A[1]) * t + ERF_A[0]) *
        t *
        Math.exp(-a * a))
  );
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
// log(1 + e^v) without overflow: for large v it is v (what tfjs's thresholds also give).
const softplus = (v: number) => (v > 0 ? v + Math.log1p(Math.exp(-v)) : Math.log1p(Math.exp(v)));

/** Elementwise activations: f(v) with NaN in, NaN out (as every tfjs kernel gives). */
const ELEMENTWISE: Record<string, (v: number) => number> = {
  // Math.max(0, NaN) is NaN, as tfjs's relu and relu6 (minimum(6, relu(x))) give.
  relu: v => Math.max(0, v),
  relu6: v => Math.min(6, Math.max(0, v)),
  elu: v => (v >= 0 ? v : Math.expm1(v)),
  selu: v => (v > 0 ? SELU_SCALE * v : SELU_SCALE * SELU_ALPHA * Math.expm1(v)),
  sigmoid,
  hardSigmoid: v => (v !== v ? v : Math.min(1, Math.max(0, 0.5 + 0.2 * v))),
  tanh: Math.tanh,
  softplus,
  softsign: v => v / (Math.abs(v) + 1),
  swish: v => v * sigmoid(v),
  mish: v => v * Math.tanh(softplus(v)),
  gelu: v => v * 0.5 * (1 + erf(v / Math.SQRT2)),
  gelu_new: v => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v))),
};

function elementwise(f: (v: number) => number): ArrayActivation {
  return (data, rows, channels) => {
    const n = rows * channels;
    for (let i = 0; i < n; i++) data[i] = f(data[i]);
  };
}

/**
 * Softmax / log-softmax over each row as tfjs computes it: subtract the row's max, exp, sum.
 * A NaN or a +Inf in the row makes the whole row NaN (inf - inf), as in tfjs.
 */
function softmaxRows(log: boolean): ArrayActivation {
  return (data, rows, channels) => {
    for (let r = 0, at = 0; r < rows; r++, at += channels) {
      let max = -Infinity;
      let nan = false;
      for (let c = 0; c < channels; c++) {
        const v = data[at + c];
        if (v > max) max = v;
        else if (v !== v) nan = true;
      }
      if (nan) max = NaN;
      let sum = 0;
      for (let c = 0; c < channels; c++) sum += Math.exp(data[at + c] - max);
      if (log) {
        const logSum = Math.log(sum);
        for (let c = 0; c < channels; c++) data[at + c] = data[at + c] - max - logSum;
      } else {
        for (let c = 0; c < channels; c++) data[at + c] = Math.exp(data[at + c] - max) / sum;
      }
    }
  };
}

const RELU: ArrayActivation = (data, rows, channels) => {
  const n = rows * channels;
  for (let i = 0; i < n; i++) {
    const v = data[i];
    if (v <= 0) data[i] = 0;
  }
};

/**
 * The typed-array form of a tfjs-layers activation by its class name, `null` for linear (no
 * work), or `undefined` when it is not one the program knows (the stream then runs tfjs).
 * NaN stays NaN through every one, on every backend: where tfjs-wasm's clamps (relu6,
 * hardSigmoid, relu of a NaN with its sign bit set) give a number, the tensor steps route
 * around them the same way (streaming/nan.ts), so a stream's answer does not depend on the
 * push size.
 */
export function arrayActivation(name: unknown): ArrayActivation | null | undefined {
  if (name == null || name === 'linear') return null;
  if (typeof name !== 'string') return undefined;
  if (name === 'relu') return RELU;
  if (name === 'softmax') return softmaxRows(false);
  if (name === 'logSoftmax') return softmaxRows(true);
  // Own entries only: a description from a file may name 'constructor'.
  const f = Object.prototype.hasOwnProperty.call(ELEMENTWISE, name) ? ELEMENTWISE[name] : null;
  return f == null ? undefined : elementwise(f);
}

/** Leaky ReLU with slope `alpha` below zero (tfjs's leakyRelu: x < 0 ? alpha * x : x). */
export function leakyRelu(alpha: number): ArrayActivation {
  return elementwise(v => (v < 0 ? alpha * v : v));
}

/** The ReLU layer with a cap (`maxValue`): clip(relu(x), 0, maxValue); NaN kept. */
export function cappedRelu(maxValue: number): ArrayActivation {
  return elementwise(v => (v !== v ? v : Math.min(maxValue, Math.max(0, v))));
}

/** Thresholded ReLU: x where x > theta, else 0 (tfjs: x * cast(x > theta)); NaN * 0 is NaN. */
export function thresholdedRelu(theta: number): ArrayActivation {
  return elementwise(v => (v > theta ? v : v * 0));
}

/** An activation as a program description spells it (`ActivationSpec`), as `arrayActivation`. */
export function activationOf(spec: ActivationSpec): ArrayActivation | null | undefined {
  if (spec == null || typeof spec !== 'object') return arrayActivation(spec);
  const known = Object.prototype.hasOwnProperty.call(PARAMETRIZED, spec.name);
  const make = known ? PARAMETRIZED[spec.name] : null;
  return make == null || typeof spec.value !== 'number' ? undefined : make(spec.value);
}

const PARAMETRIZED: Readonly<Record<string, (value: number) => ArrayActivation>> = {
  leakyRelu,
  cappedRelu,
  thresholdedRelu,
};

/**
 * A layer's activation around a product: with `fuseRelu` (the SIMD product, which applies ReLU
 * in its own pass) ReLU goes in the product (`relu`), anything else after it (`after`, null
 * for nothing); undefined for an activation the program does not know.
 */
export function productActivation(
  spec: ActivationSpec,
  fuseRelu: boolean
): {relu: boolean; after: ArrayActivation | null} | undefined {
  const activation = activationOf(spec);
  if (activation === undefined) return undefined;
  const relu = fuseRelu && activation === RELU;
  return {relu, after: relu ? null : activation};
}
