// Gemm and MatMul by a constant over the last axis: a Dense layer (a following Add of a
// constant folds into its bias, see elementwise.ts).
import {Context, OpHandler} from '../context.js';
import {kerasRank, TensorValue} from '../values.js';

/** A Dense layer of `units` on the last axis of `x`, kernel [in, units] row-major. */
function dense(
  ctx: Context,
  x: TensorValue,
  kernel: Float32Array,
  bias: Float32Array | null,
  inputs: number,
  units: number
) {
  const last = x.dims.length - 1;
  if (x.perm[last] !== kerasRank(x) - 1) {
    ctx.fail(
      'multiplies over an axis that is not the last of the tensor here (transpose ' +
        'the features last first).'
    );
  }
  if (x.dims[last] !== inputs) {
    ctx.fail(`multiplies ${x.dims[last]} features by a weight for ${inputs}.`);
  }
  const layer = ctx.builder.add(
    'Dense',
    ctx.node.name || 'dense',
    {units, activation: 'linear', use_bias: bias !== null},
    [x.layer],
    [{shape: [inputs, units], data: kernel}, ...(bias ? [{shape: [units], data: bias}] : [])]
  );
  return [ctx.out(layer.name, x.perm, [...x.dims.slice(0, last), units])];
}

const matmul: OpHandler = (ctx, inputs) => {
  const x = ctx.tensor(inputs, 0, 'input A');
  const w = ctx.constant(inputs, 1, 'input B');
  if (w.dims.length !== 2) ctx.fail(`multiplies by a weight of ${w.dims.length} dims.`);
  return dense(ctx, x, ctx.floats(inputs, 1, 'input B'), null, w.dims[0], w.dims[1]);
};

const gemm: OpHandler = (ctx, inputs) => {
  const x = ctx.tensor(inputs, 0, 'input A');
  if (ctx.attrInt('transA', 0) !== 0 || x.dims.length !== 2) {
    ctx.fail('needs A as [N, K] (transA = 0).');
  }
  const wc = ctx.constant(inputs, 1, 'input B');
  const w = ctx.floats(inputs, 1, 'input B');
  const alpha = ctx.attrFloat('alpha', 1),
    beta = ctx.attrFloat('beta', 1);
  const transB = ctx.attrInt('transB', 0) === 1;
  const [inputs_, units] = transB ? [wc.dims[1], wc.dims[0]] : [wc.dims[0], wc.dims[1]];
  const kernel = new Float32Array(inputs_ * units);
  for (let i = 0; i < inputs_; i++) {
    for (let u = 0; u < units; u++) {
      kernel[i * units + u] = alpha * w[transB ? u * inputs_ + i : i * units + u];
    }
  }
  let bias: Float32Array | null = null;
  if (inputs[2]) {
    const c = ctx.floats(inputs, 2, 'input C');
    if (c.length !== units && c.length !== 1) ctx.fail(`has C of ${c.length} values.`);
    bias = Float32Array.from({length: units}, (_, u) => beta * c[c.length === 1 ? 0 : u]);
  }
  return dense(ctx, x, kernel, bias, inputs_, units);
};

/** Gemm and MatMul. */
export const DENSE_OPS: Record<string, OpHandler> = {Gemm: gemm, MatMul: matmul};
