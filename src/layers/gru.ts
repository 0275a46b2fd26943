import {
  add,
  dropout,
  matMul,
  mul,
  onesLike,
  serialization,
  split,
  sub,
  Tensor,
  tidy,
  keep,
  unstack,
} from '@tensorflow/tfjs-core';
import type {GRULayerArgs} from '@tensorflow/tfjs-layers';
import type {
  GRU as TfjsGRU,
  GRUCell as TfjsGRUCell,
} from '@tensorflow/tfjs-layers/dist/layers/recurrent.js';
import type {Shape} from '@tensorflow/tfjs-layers';
import type {Kwargs} from '@tensorflow/tfjs-layers/dist/types.js';

import {describe, ValueError} from '../errors.js';

import {baseLayerArgs, checkBoolean, resolveArg} from './args.js';
import {LAYER_ARGS} from './conv1d_base.js';
import {knownConfigEntries, namedAfter, nearestName} from './layer_support.js';
import {SerializableKind} from './serializable.js';

/** Arguments of {@link GRU}: tfjs's `tf.layers.gru` args, and `resetAfter`. */
export interface GRUArgs extends GRULayerArgs {
  /**
   * Whether the reset gate applies after the recurrent product (tf.keras 2's default, PyTorch's
   * and ONNX's GRU: `ĥ = tanh(x Wh + bh + r ⊙ (h Uh + ch))`, bias `[2, 3 units]`), or before
   * it, as tfjs's GRU does (`ĥ = tanh(x Wh + bh + (r ⊙ h) Uh)`, bias `[3 units]`).
   * Default false, as in tfjs.
   */
  resetAfter?: boolean;
}

// tfjs-layers registers its GRU and GRUCell classes without exporting them; the package
// registers its GRU under the same name only after these lines have run.
function registered<T>(className: string): T {
  return serialization.SerializationMap.getMap().classNameMap[className][0] as unknown as T;
}
const TfjsGRUClass = registered<typeof TfjsGRU>('GRU');
const TfjsGRUCellClass = registered<typeof TfjsGRUCell>('GRUCell');

/** Arguments the GRU takes, with what kind of value each is. */
const SERIALIZABLE_ARGS: Record<string, SerializableKind> = {
  activation: 'activation',
  recurrentActivation: 'activation',
  kernelInitializer: 'initializer',
  recurrentInitializer: 'initializer',
  biasInitializer: 'initializer',
  kernelRegularizer: 'regularizer',
  recurrentRegularizer: 'regularizer',
  biasRegularizer: 'regularizer',
  kernelConstraint: 'constraint',
  recurrentConstraint: 'constraint',
  biasConstraint: 'constraint',
};
const BOOLEAN_ARGS = [
  'useBias',
  'resetAfter',
  'returnSequences',
  'returnState',
  'goBackwards',
  'stateful',
  'unroll',
];
const KNOWN_ARGS: readonly string[] = [
  'units',
  ...Object.keys(SERIALIZABLE_ARGS),
  ...BOOLEAN_ARGS,
  'dropout',
  'recurrentDropout',
  'dropoutFunc',
  'implementation',
  'activityRegularizer',
  ...LAYER_ARGS,
];

function unknownArgs(args: object): string[] {
  return Object.keys(args).filter(k => !KNOWN_ARGS.includes(k));
}

/**
 * The args checked (a `ValueError` naming the argument), with initializers, activations,
 * regularizers and constraints resolved as the package's other layers resolve them (Keras's
 * spellings too); what is not given stays undefined, so tfjs's defaults apply.
 */
function checkedArgs(args: GRUArgs): GRUArgs {
  if (args == null || typeof args !== 'object') {
    throw new ValueError(`GRU needs an args object with units, but got ${describe(args)}.`);
  }
  const a = args as unknown as Record<string, unknown>;
  const unknown = unknownArgs(a).filter(k => k !== 'cell');
  if (unknown.length > 0) {
    throw new ValueError(
      `GRU: unknown argument ${describe(unknown[0])}; did you mean ${describe(
        nearestName(unknown[0], KNOWN_ARGS)
      )}?`
    );
  }
  if (!(Number.isInteger(a.units) && (a.units as number) >= 1)) {
    throw new ValueError(`units must be an integer >= 1, but got ${describe(a.units)}.`);
  }
  for (const name of ['dropout', 'recurrentDropout']) {
    const v = a[name];
    if (v != null && !(typeof v === 'number' && v >= 0 && v <= 1)) {
      throw new ValueError(`${name} must be a number in [0, 1], but got ${describe(v)}.`);
    }
  }
  if (a.activityRegularizer != null) {
    throw new ValueError(
      `activityRegularizer is not supported: tfjs-layers 4.x cannot apply ` +
        `activity regularizers (got ${describe(a.activityRegularizer)}).`
    );
  }
  // tfjs's own GRU writes its cell into the args it is given: args reused from
  // `tf.layers.gru` carry it.
  const {cell: _, ...checked} = a;
  for (const name of BOOLEAN_ARGS) {
    if (a[name] != null) checkBoolean(name, a[name]);
  }
  for (const [name, kind] of Object.entries(SERIALIZABLE_ARGS)) {
    if (a[name] === undefined) continue;
    // tfjs reads a null activation as linear, any other null as its default.
    checked[name] =
      a[name] === null && kind !== 'activation' ? undefined : resolveArg(a, name, kind, 'linear');
  }
  // Keras 3 writes a dtype policy object: reduced to its name, as the other layers do.
  checked.dtype = baseLayerArgs(args, {inChannels: null, dataFormat: 'channelsLast'}).dtype;
  return checked as unknown as GRUArgs;
}

/**
 * tfjs's GRU cell with the reset gate applied after the recurrent product (Keras's
 * `reset_after=True`), gates in Keras's order z, r, h, and a bias `[2, 3 units]`: the input
 * half, then the recurrent half.
 */
class ResetAfterGRUCell extends TfjsGRUCellClass {
  override build(inputShape: Shape | Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
    const inputDim = shape[shape.length - 1] as number;
    const u = this.units;
    this.kernel = this.addWeight(
      'kernel',
      [inputDim, 3 * u],
      undefined,
      this.kernelInitializer,
      this.kernelRegularizer,
      true,
      this.kernelConstraint
    );
    this.recurrentKernel = this.addWeight(
      'recurrent_kernel',
      [u, 3 * u],
      undefined,
      this.recurrentInitializer,
      this.recurrentRegularizer,
      true,
      this.recurrentConstraint
    );
    this.bias = (
      this.useBias
        ? this.addWeight(
            'bias',
            [2, 3 * u],
            undefined,
            this.biasInitializer,
            this.biasRegularizer,
            true,
            this.biasConstraint
          )
        : null
    )!;
    this.built = true;
  }

  override call(inputs: Tensor | Tensor[], kwargs: Kwargs): Tensor[] {
    return tidy(() => {
      let [x, h] = inputs as Tensor[];
      const training = kwargs?.training === true;
      // One mask per layer call, made at its first step; the GRU frees it at the next call.
      const self = this as unknown as {
        dropoutMask: Tensor | null;
        recurrentDropoutMask: Tensor | null;
      };
      if (training && this.dropout > 0 && this.dropout < 1) {
        self.dropoutMask ??= keep(dropout(onesLike(x), this.dropout));
        x = mul(x, self.dropoutMask);
      }
      let hIn = h;
      if (training && this.recurrentDropout > 0 && this.recurrentDropout < 1) {
        self.recurrentDropoutMask ??= keep(dropout(onesLike(h), this.recurrentDropout));
        hIn = mul(h, self.recurrentDropoutMask);
      }
      let fromX = matMul(x, this.kernel.read());
      let fromH = matMul(hIn, this.recurrentKernel.read());
      if (this.useBias) {
        const [inputBias, recurrentBias] = unstack(this.bias.read());
        fromX = add(fromX, inputBias);
        fromH = add(fromH, recurrentBias);
      }
      const [xz, xr, xh] = split(fromX, 3, -1);
      const [hz, hr, hh] = split(fromH, 3, -1);
      const z = this.recurrentActivation.apply(add(xz, hz));
      const r = this.recurrentActivation.apply(add(xr, hr));
      const candidate = this.activation.apply(add(xh, mul(r, hh)));
      h = add(mul(z, h), mul(sub(1, z), candidate));
      return [h, h];
    });
  }

  override getConfig(): serialization.ConfigDict {
    return {...super.getConfig(), resetAfter: true};
  }
}

/**
 * Keras's `GRU`, which takes over tfjs's class of that name once the package is imported. With
 * `resetAfter: false` (the default, tfjs's only mode) it is tfjs's own GRU: same weights, same
 * outputs. With `resetAfter: true` (tf.keras 2's default, and what PyTorch's `nn.GRU` and
 * ONNX's GRU compute) the reset gate multiplies the recurrent product, bias included:
 *
 * `z = σ(x Wz + bz + h Uz + cz)`, `r = σ(x Wr + br + h Ur + cr)`,
 * `ĥ = tanh(x Wh + bh + r ⊙ (h Uh + ch))`, `h' = z ⊙ h + (1 - z) ⊙ ĥ`,
 *
 * with weights `kernel [inputDim, 3 units]`, `recurrent_kernel [units, 3 units]` (gates z, r, h)
 * and `bias [2, 3 units]` (input half, recurrent half), as Keras stores them.
 *
 * ```js
 * const layer = new GRU({units: 64, resetAfter: true, recurrentActivation: 'sigmoid',
 *                        returnSequences: true});
 * ```
 */
export class GRU extends TfjsGRUClass {
  /** Keras's class name, which model.json files use. */
  static override className = 'GRU';

  /** Whether the reset gate applies after the recurrent product. */
  readonly resetAfter: boolean;

  constructor(args: GRUArgs) {
    let checked: GRUArgs;
    try {
      checked = checkedArgs(args);
    } catch (e) {
      throw namedAfter((args as {name?: unknown} | null)?.name ?? 'GRU', e);
    }
    super({...checked, resetAfter: false} as GRULayerArgs);
    this.resetAfter = checked.resetAfter ?? false;
    if (this.resetAfter) {
      // tfjs's cell refuses resetAfter: ours is that cell with another bias and step.
      (this as {cell: unknown}).cell = new ResetAfterGRUCell({
        ...checked,
        resetAfter: false,
      } as GRULayerArgs);
    }
  }

  /** Builds the layer from a config; entries from a newer Keras are dropped with a warning. */
  static override fromConfig<T extends serialization.Serializable>(
    cls: serialization.SerializableConstructor<T>,
    config: serialization.ConfigDict
  ): T {
    if (config?.timeMajor === true) {
      // Dropped like other unknown entries, it would read [time, batch] inputs as [batch, time].
      throw new ValueError(
        `${config.name ?? 'GRU'}: time_major: true is not supported: tfjs ` +
          `recurrent layers take [batch, time, features] inputs.`
      );
    }
    return new cls(knownConfigEntries('GRU', config, unknownArgs));
  }
}
serialization.registerClass(GRU);

/**
 * Creates a {@link GRU} layer, like `tf.layers.gru(args)`, with `resetAfter` too.
 *
 * ```js
 * const layer = gru({units: 32, resetAfter: true, returnSequences: true});
 * ```
 */
export function gru(args: GRUArgs): GRU {
  return new GRU(args);
}
