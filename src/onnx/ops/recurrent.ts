// GRU and LSTM (forward, one layer) as Keras's GRU and LSTM over [batch, L, C]. The Transposes
// torch writes around them only relabel axes (see layout.ts), so Transpose -> GRU -> Squeeze ->
// Transpose is one recurrent layer. ONNX's GRU gates (z, r, h) are Keras's order already and
// linear_before_reset = 1 is reset_after; LSTM's (i, o, f, c) become Keras's (i, f, c, o), and
// the input and recurrent bias halves are summed.
import {Context, OpHandler} from '../context.js';
import {Value} from '../values.js';

import {laidOut} from './layout.js';

const DEFAULT_ACTIVATIONS: Record<string, string[]> = {
  GRU: ['Sigmoid', 'Tanh'],
  LSTM: ['Sigmoid', 'Tanh', 'Tanh'],
};

/** Fails unless the optional input `i` is absent or a zero state known at load. */
function zeroState(ctx: Context, inputs: Array<Value | undefined>, i: number, what: string) {
  const v = inputs[i];
  if (!v) return;
  const name = ctx.node.inputs[i];
  if (v.kind === 'tensor') {
    ctx.fail(
      ctx.isGraphInput(name)
        ? `has its ${what} '${name}' fed as a graph input; export the model without ` +
            'passing a state (torch then starts from zeros), and stream it instead.'
        : `has its ${what} computed by the graph; only a zero state maps.`
    );
  }
  const zero =
    v.kind === 'fill'
      ? v.value === 0
      : Array.from(v.data as ArrayLike<number | string>).every(x => x === 0);
  if (!zero) ctx.fail(`has a ${what} that is not zero; only a zero state maps.`);
}

/** `m` [rows, cols] transposed, rows taken in `order` blocks of `block` (gate reordering). */
function transposed(
  m: Float32Array,
  rows: number,
  cols: number,
  order: number[],
  block: number
): Float32Array {
  const out = new Float32Array(rows * cols);
  order.forEach((src, dst) => {
    for (let r = 0; r < block; r++) {
      for (let c = 0; c < cols; c++) {
        out[c * rows + dst * block + r] = m[(src * block + r) * cols + c];
      }
    }
  });
  return out;
}

function recurrent(ctx: Context, inputs: Array<Value | undefined>) {
  const op = ctx.node.opType;
  const isGru = op === 'GRU';
  const gates = isGru ? 3 : 4;
  const x = ctx.tensor(inputs, 0, 'input X');
  const direction = ctx.attrString('direction', 'forward');
  if (direction !== 'forward') {
    ctx.fail(
      `runs in direction '${direction}'; only forward ${op}s map (export ` + 'bidirectional=False).'
    );
  }
  const acts = ctx.node.attributes
    .get('activations')
    ?.strings.map(s => String.fromCharCode(...Array.from(s.subarray(0, 64))));
  if (acts && acts.length > 0 && acts.join() !== DEFAULT_ACTIVATIONS[op].join()) {
    ctx.fail(`has activations ${JSON.stringify(acts)}; only the defaults map.`);
  }
  if (ctx.node.attributes.has('clip')) ctx.fail('clips its cell; Keras does not.');
  if (ctx.attrInt('input_forget', 0) !== 0) ctx.fail('couples its input and forget gates.');
  if (inputs[4]) ctx.fail('has sequence_lens; export fixed-length sequences (no packing).');
  zeroState(ctx, inputs, 5, 'initial_h');
  if (!isGru) {
    zeroState(ctx, inputs, 6, 'initial_c');
    if (inputs[7]) ctx.fail("has peepholes (P), which Keras's LSTM lacks.");
  }
  const layout = ctx.attrInt('layout', 0);
  const w = ctx.constant(inputs, 1, 'W');
  const [dirs, rows, channels] = w.dims;
  const units = rows / gates;
  if (
    w.dims.length !== 3 ||
    dirs !== 1 ||
    !Number.isInteger(units) ||
    ctx.attrInt('hidden_size', units) !== units
  ) {
    ctx.fail(`has W of shape ${JSON.stringify(w.dims)}.`);
  }
  if (x.dims[2] !== channels) ctx.fail(`has ${x.dims[2]} input features for a W of ${channels}.`);
  const wData = ctx.floats(inputs, 1, 'W', [1, rows, channels]);
  const rData = ctx.floats(inputs, 2, 'R', [1, rows, units]);
  const bData = inputs[3] ? ctx.floats(inputs, 3, 'B', [1, 2 * rows]) : new Float32Array(2 * rows);
  const [yName, hName, cName] = ctx.node.outputs;
  const usesY = !!yName && ctx.uses(yName) > 0,
    usesH = !!hName && ctx.uses(hName) > 0;
  if (cName && ctx.uses(cName) > 0) ctx.fail('has its last cell state Y_c read.');
  if (usesY && usesH) ctx.fail("has both Y and Y_h read; use one (Y_h is Y's last frame).");
  const order = isGru ? [0, 1, 2] : [0, 2, 3, 1];
  const resetAfter = isGru && ctx.attrInt('linear_before_reset', 0) === 1;
  const wb = bData.subarray(0, rows),
    rb = bData.subarray(rows);
  let bias: {shape: number[]; data: Float32Array};
  if (resetAfter) {
    bias = {shape: [2, rows], data: Float32Array.from(bData)};
  } else {
    const summed = Float32Array.from(wb, (v, i) => v + rb[i]);
    bias = {shape: [rows], data: transposed(summed, rows, 1, order, units)};
  }
  const input = layout === 0 ? [1, 0, 2] : [0, 1, 2];
  const layer = ctx.builder.add(
    op,
    ctx.node.name || op.toLowerCase(),
    {
      units,
      activation: 'tanh',
      recurrent_activation: 'sigmoid',
      use_bias: true,
      return_sequences: usesY,
      return_state: false,
      go_backwards: false,
      stateful: false,
      unroll: false,
      // Weights are set right after; the default orthogonal initializer would run a QR for nothing.
      kernel_initializer: {class_name: 'Zeros', config: {}},
      recurrent_initializer: {class_name: 'Zeros', config: {}},
      ...(isGru ? {reset_after: resetAfter} : {unit_forget_bias: false}),
    },
    [laidOut(ctx, x, input)],
    [
      {shape: [channels, rows], data: transposed(wData, rows, channels, order, units)},
      {shape: [units, rows], data: transposed(rData, rows, units, order, units)},
      bias,
    ]
  );
  const [n, l] = layout === 0 ? [x.dims[1], x.dims[0]] : [x.dims[0], x.dims[1]];
  if (usesY) {
    return layout === 0
      ? [ctx.out(layer.name, [1, -1, 0, 2], [l, 1, n, units])]
      : [ctx.out(layer.name, [0, 1, -1, 2], [n, l, 1, units])];
  }
  const h =
    layout === 0
      ? ctx.out(layer.name, [-1, 0, 1], [1, n, units], 1)
      : ctx.out(layer.name, [0, -1, 1], [n, 1, units], 1);
  return [undefined, h];
}

/** GRU and LSTM. */
export const RECURRENT_OPS: Record<string, OpHandler> = {GRU: recurrent, LSTM: recurrent};
