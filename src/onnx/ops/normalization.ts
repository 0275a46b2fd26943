// BatchNormalization over channels (inference form, or kept by a TrainingMode.PRESERVE export)
// as Keras's BatchNormalization, its moving statistics the running ones.
import {OpHandler} from '../context.js';

const batchNorm: OpHandler = (ctx, inputs) => {
  const x = ctx.tensor(inputs, 0, 'input X');
  // Opset 14 says so in training_mode; before, the running statistics as outputs did.
  const training =
    ctx.opset >= 14
      ? ctx.attrInt('training_mode', 0) !== 0
      : ctx.node.outputs.slice(1).some(o => o);
  if (training) {
    ctx.fail(
      'normalizes with batch statistics (a training-mode export): export with ' +
        'TrainingMode.PRESERVE or EVAL after model.eval().'
    );
  }
  const channels = x.dims[1];
  if (channels === null || x.perm[1] <= 0) ctx.fail('normalizes a channel axis that varies.');
  const shape = [channels!];
  const [scale, bias, mean, variance] = [1, 2, 3, 4].map(i =>
    ctx.floats(inputs, i, ['', 'scale', 'B', 'input_mean', 'input_var'][i], shape)
  );
  const layer = ctx.builder.add(
    'BatchNormalization',
    ctx.node.name || 'batch_norm',
    {
      axis: x.perm[1],
      // ONNX's momentum is Keras's: the running value keeps that share at each step.
      momentum: ctx.attrFloat('momentum', 0.9),
      epsilon: ctx.attrFloat('epsilon', 1e-5),
      center: true,
      scale: true,
    },
    [x.layer],
    [scale, bias, mean, variance].map(data => ({shape, data}))
  );
  return [ctx.out(layer.name, x.perm, x.dims)];
};

/** BatchNormalization. */
export const NORMALIZATION_OPS: Record<string, OpHandler> = {BatchNormalization: batchNorm};
