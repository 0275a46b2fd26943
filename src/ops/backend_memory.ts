import {getBackend, memory} from '@tensorflow/tfjs-core';

import {ValueError} from '../errors.js';

import {ConvGeometry} from './depthwise.js';
import {productScratchFloats} from './kernels/wasm_matmul.js';
import {separableScratchFloats} from './kernels/wasm_separable.js';
import {strategy} from './strategy.js';
import {isRecordingGradients} from './tape.js';

/** Room kept free for what tensors do not count: the backend's own buffers and workspaces. */
const SLACK_BYTES = 64 * 2 ** 20;

const MIB = 2 ** 20;

/**
 * An upper estimate of the bytes that one stage of the op keeps alive at once, beyond its
 * inputs: the depthwise output `d` (twice while pieces of a wide filter are summed), the output
 * `y`, layout copies for NCW, the padded input of a filter run in pieces; for the gradient
 * also `dy`, `dd`, its stride-spread copy, the input gradient before the multiplier sum, and
 * the narrower of `d` and `dy` transposed for the pointwise filter gradient (twice: a tiled
 * transpose keeps its first pass alive during the second). Beside them, the scratch that
 * wasm's products take from the same heap: the packed pointwise filter (the forward's, or the
 * input gradient's `dd = dy . pw^T`), as big as the filter itself.
 */
function stageBytes(
  g: ConvGeometry,
  ncw: boolean,
  stage: 'forward' | 'gradient',
  outChannels: number
): number {
  const {batch: b, inWidth: l, inChannels: c, multiplier: m, stride: s, plan} = g;
  const t = plan.outWidth;
  const x = b * l * c;
  const padded = b * (l + plan.left + plan.right) * c;
  const d = b * t * c * m;
  const y = b * t * outChannels;
  const layout = ncw ? 1 : 0;
  const pieces = g.kernelSize > 4 ? 2 : 1;
  const elements =
    stage === 'forward'
      ? layout * x +
        (pieces - 1) * 2 * padded +
        pieces * d +
        (1 + layout) * y +
        separableScratchFloats(c * m, outChannels)
      : (1 + layout) * y +
        2 * Math.min(d, y) +
        d +
        2 * s * d +
        2 * padded +
        2 * b * l * c * m +
        layout * x +
        productScratchFloats(outChannels, c * m, false);
  return 4 * elements;
}

/**
 * The bytes that new tensors may still take on the active backend, keeping room for what
 * tensors do not count; null where the backend reports its own limit.
 */
export function addressableRoom(): number | null {
  const limit = strategy().addressableBytes;
  return limit == null ? null : limit - memory().numBytes - SLACK_BYTES;
}

/**
 * Throws a `ValueError` when `need` more bytes, beside the tensors alive, would exceed what the
 * active backend can address; `what` needs them (`detail` says for what), `advice` says how to
 * ask for less.
 */
function checkAddressable(need: number, what: string, detail: string, advice: string): void {
  const room = addressableRoom();
  if (room == null || need <= room) return;
  throw new ValueError(
    `${what} needs about ${Math.ceil(need / MIB)} MiB (${detail}) with ${Math.ceil(
      memory().numBytes / MIB
    )} MiB of tensors alive, but the ${getBackend()} ` +
      `backend can address ${strategy().addressableBytes! / MIB} MiB in all. ${advice}`
  );
}

/**
 * Throws a `ValueError` before any kernel runs when a stage of the op would need more memory
 * than the active backend can address (wasm32: 4 GiB in all, tensors already alive included):
 * past it tfjs-wasm's allocator returns bad pointers and the backend is corrupted. A forward
 * pass that tfjs records for a gradient is checked for its gradient too, so that a training
 * step fails before it starts rather than halfway through.
 */
export function checkBackendMemory(
  g: ConvGeometry,
  ncw: boolean,
  stage: 'forward' | 'gradient',
  outChannels: number
): void {
  const training = stage === 'forward' && isRecordingGradients();
  const need = !training
    ? stageBytes(g, ncw, stage, outChannels)
    : Math.max(
        stageBytes(g, ncw, 'forward', outChannels),
        stageBytes(g, ncw, 'gradient', outChannels)
      );
  checkAddressable(
    need,
    `separableConv1d: this ${training ? 'training step' : stage}`,
    `batch ${g.batch}, width ${g.inWidth} -> ${g.plan.outWidth}, ${g.inChannels} channels x ` +
      `multiplier ${g.multiplier}, ${outChannels} output channels`,
    'Use a smaller batch, a shorter width or fewer channels (or the cpu backend).'
  );
}

/**
 * Throws a `ValueError` before a layer creates its weights when the active backend cannot
 * address them (wasm32: 4 GiB, tensors already alive included), for the same reason as
 * `checkBackendMemory`. While it builds, the layer also holds a trial value of one weight and
 * that value's constraint projection: twice the largest weight is counted beside them all.
 */
export function checkWeightMemory(layerName: string, weights: Record<string, number[]>): void {
  const sizes = Object.values(weights).map(shape => shape.reduce((a, b) => a * b, 1));
  const need = 4 * (sizes.reduce((a, b) => a + b, 0) + 2 * Math.max(...sizes));
  checkAddressable(
    need,
    `${layerName}: building the weights`,
    Object.entries(weights)
      .map(([name, shape]) => `${name} [${shape.join(', ')}]`)
      .join(', '),
    'Use a smaller kernelSize, depthMultiplier or filters, fewer input channels, or the cpu ' +
      'backend.'
  );
}
