// The program as data: what each node computes, in JSON-safe settings. The stream's kinds
// describe their layers this way (kinds/*.ts, `program`), `buildNode` turns a description into
// typed-array loops, and an exported stream is these descriptions with its weights.

/**
 * An activation by name as tfjs-layers spells it (`'relu'`, `'tanh'`, ...; null: linear), or one
 * of the activation layers with its parameter.
 */
export type ActivationSpec =
  | string
  | null
  | {name: 'leakyRelu' | 'cappedRelu' | 'thresholdedRelu'; value: number};

/** The window a convolution or a local pooling slides over its input's frames. */
export interface WindowSettings {
  /** Input frames one window reads: (kernelSize - 1) * dilation + 1 for a convolution. */
  span: number;
  stride: number;
  /** Frames of padding before the first input frame (zeros; -Infinity for max pooling). */
  leftPadding: number;
}

/** A depthwise-separable convolution: depthwise taps, then the pointwise product. */
export interface SeparableSettings {
  window: WindowSettings;
  kernelSize: number;
  dilation: number;
  multiplier: number;
  activation: ActivationSpec;
}

/** A dense convolution (kernel `[K, C, O]`). */
export interface Conv1dSettings {
  window: WindowSettings;
  kernelSize: number;
  dilation: number;
  activation: ActivationSpec;
}

/** A depthwise convolution (kernel `[K, C, M]`). */
export type DepthwiseSettings = SeparableSettings;

/** Max or average pooling over a window of frames. */
export interface LocalPoolingSettings {
  window: WindowSettings;
  pool: 'max' | 'average';
  /**
   * Average only: windows divide by the frames inside the signal, not the span ('same'), so
   * the node buffers its frames with a count channel (1 for a frame, 0 for padding) as the
   * tensor step does. Absent: false.
   */
  insideCount?: boolean;
}

/** A global pooling head: each frame pools the last `window` frames. */
export interface GlobalPoolingSettings {
  window: number;
  pool: 'max' | 'average';
}

/** A recurrent layer's cell. */
export interface RecurrentSettings {
  cell: 'GRU' | 'LSTM' | 'SimpleRNN';
  units: number;
  /** GRU only: whether the reset gate multiplies the recurrent product (Keras's reset_after). */
  resetAfter: boolean;
  activation: ActivationSpec;
  /** The gates' activation (GRU, LSTM; null for SimpleRNN). */
  recurrentActivation: ActivationSpec;
}

/** How a merge folds its inputs' frames. */
export interface MergeSettings {
  mode: 'add' | 'multiply' | 'average' | 'maximum' | 'minimum' | 'concatenate';
}

/** Each node operation and its settings. */
export interface OpSettings {
  separableConv: SeparableSettings;
  conv1d: Conv1dSettings;
  depthwiseConv: DepthwiseSettings;
  localPooling: LocalPoolingSettings;
  dense: {activation: ActivationSpec};
  activation: {activation: ActivationSpec};
  batchNorm: {epsilon: number};
  layerNorm: {epsilon: number};
  /** PReLU with an alpha per channel (weight 'alpha', shared over time). */
  prelu: Record<string, never>;
  /** Dropout and noise layers at inference. */
  identity: Record<string, never>;
  recurrent: RecurrentSettings;
  globalPooling: GlobalPoolingSettings;
  merge: MergeSettings;
}

/** A node operation's name. */
export type NodeOp = keyof OpSettings;

/** Every node operation, for checks of a description from elsewhere. */
export const NODE_OPS: readonly NodeOp[] = [
  'separableConv',
  'conv1d',
  'depthwiseConv',
  'localPooling',
  'dense',
  'activation',
  'batchNorm',
  'layerNorm',
  'prelu',
  'identity',
  'recurrent',
  'globalPooling',
  'merge',
];

/** What one node of the program computes, as its kind describes it. */
export type NodeSpec = {[Op in NodeOp]: {op: Op; settings: OpSettings[Op]}}[NodeOp];

/**
 * The weights a node reads, by short name, with the values each holds given its input channels
 * `C` and output channels `O`; `optional` ones (a bias, gamma, beta) may be absent.
 */
export function nodeWeights(
  spec: NodeSpec,
  C: number,
  O: number
): Record<string, {size: number; optional: boolean}> {
  const need = (size: number) => ({size, optional: false});
  const may = (size: number) => ({size, optional: true});
  switch (spec.op) {
    case 'separableConv': {
      const {kernelSize: K, multiplier: M} = spec.settings;
      return {
        depthwise_kernel: need(K * C * M),
        pointwise_kernel: need(C * M * O),
        bias: may(O),
      };
    }
    case 'conv1d':
      return {kernel: need(spec.settings.kernelSize * C * O), bias: may(O)};
    case 'depthwiseConv':
      return {depthwise_kernel: need(spec.settings.kernelSize * O), bias: may(O)};
    case 'dense':
      return {kernel: need(C * O), bias: may(O)};
    case 'batchNorm':
      return {moving_mean: need(C), moving_variance: need(C), gamma: may(C), beta: may(C)};
    case 'layerNorm':
      return {gamma: may(C), beta: may(C)};
    case 'prelu':
      return {alpha: need(C)};
    case 'recurrent': {
      const {cell, units: U, resetAfter} = spec.settings;
      const gates = {GRU: 3, LSTM: 4, SimpleRNN: 1}[cell];
      const biases = cell === 'GRU' && resetAfter ? 2 : 1;
      return {
        kernel: need(C * gates * U),
        recurrent_kernel: need(U * gates * U),
        bias: may(biases * gates * U),
      };
    }
    default:
      return {};
  }
}
