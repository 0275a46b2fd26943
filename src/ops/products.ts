import {
  customGrad,
  engine,
  fused,
  matMul,
  ones,
  pad,
  reshape,
  Tensor,
  Tensor1D,
  Tensor2D,
  tidy,
  transpose,
} from '@tensorflow/tfjs-core';

import {MATMUL_KERNEL} from './kernels/names.js';
import {useDedicatedKernel} from './kernels/registry.js';
import {strategy} from './strategy.js';
import {isRecordingGradients} from './tape.js';

/**
 * `a . b` (either one transposed) plus `bias` when given, for 2-D tensors, the fastest way the
 * active backend has: cpu's dedicated kernel, or else tfjs's matMul with the transposes done
 * first (directly or tiled) or by its flags (`strategy.ts`).
 */
function rawProduct(
  a: Tensor2D,
  b: Tensor2D,
  transposeA: boolean,
  transposeB: boolean,
  bias: Tensor1D | null
): Tensor2D {
  if (useDedicatedKernel(MATMUL_KERNEL)) {
    // Only a gradient of a gradient asks for both transposed: b is transposed first, since the
    // wasm kernel reads at most one operand transposed.
    if (transposeA && transposeB) return tidy(() => rawProduct(a, transpose(b), true, false, bias));
    return engine().runKernel(MATMUL_KERNEL, bias == null ? {a, b} : {a, b, bias}, {
      transposeA,
      transposeB,
    }) as Tensor2D;
  }
  if (strategy().productTransposes === 'flags') {
    return bias == null
      ? matMul(a, b, transposeA, transposeB)
      : (fused.matMul({a, b, transposeA, transposeB, bias}) as Tensor2D);
  }
  const direct = strategy().productTransposes === 'explicit';
  return tidy(() => {
    const left = !transposeA ? a : direct ? transpose(a) : tiledTranspose(a);
    const right = !transposeB ? b : direct ? transpose(b) : tiledTranspose(b);
    const [l, r] =
      strategy().oddInnerReadsPadding && left.shape[1] % 2 === 1
        ? [
            pad(left, [
              [0, 0],
              [0, 1],
            ]),
            pad(right, [
              [0, 1],
              [0, 0],
            ]),
          ]
        : [left, right];
    return bias == null ? matMul(l, r) : (fused.matMul({a: l, b: r, bias}) as Tensor2D);
  });
}

/** Below this many elements a matrix transposes directly: its writes stay in cache anyway. */
const TILED_FROM = 2 ** 16;

/**
 * `t` transposed in two passes that each move memory in order: blocks of up to 64 rows
 * transposed within themselves, then whole runs of a block moved (`strategy.ts`, 'tiled').
 */
function tiledTranspose(t: Tensor2D): Tensor2D {
  const [rows, columns] = t.shape;
  let tile = 64;
  while (rows % tile !== 0) tile /= 2;
  if (tile < 8 || t.size < TILED_FROM) return transpose(t);
  const blocks = tidy(() => transpose(reshape(t, [rows / tile, tile, columns]), [0, 2, 1]));
  // Each pass's input freed at once: a step's peak bytes would otherwise hold a third copy of t
  // (tf.memory() counts a reshaped view's bytes again, too).
  const moved = transpose(blocks, [1, 0, 2]);
  blocks.dispose();
  const transposed = reshape(moved, [columns, rows]) as Tensor2D;
  moved.dispose();
  return transposed;
}

/**
 * `op(a) . op(b)` (+ `bias`), differentiable to any order: its gradients are products again,
 * so they need no gradient of the dedicated kernel.
 */
export function product(
  a: Tensor2D,
  b: Tensor2D,
  transposeA = false,
  transposeB = false,
  bias: Tensor1D | null = null
): Tensor2D {
  // Inference: nothing records a gradient, so the customGrad wrapper would only cost time.
  if (!isRecordingGradients()) return rawProduct(a, b, transposeA, transposeB, bias);
  const f = customGrad((...args: unknown[]) => {
    const [sa, sb] = args as Tensor2D[];
    const save = args[args.length - 1] as (tensors: Tensor[]) => void;
    save([sa, sb]);
    return {
      value: rawProduct(
        sa,
        sb,
        transposeA,
        transposeB,
        bias == null ? null : (args[2] as Tensor1D)
      ),
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const [x, y] = saved as Tensor2D[];
        const g = dy as Tensor2D;
        // For C = op(A) op(B): dA = g op(B)^T (transposed back when A was), dB likewise.
        const grads: Tensor[] = [
          transposeA ? product(y, g, transposeB, true) : product(g, y, false, !transposeB),
          transposeB ? product(g, x, true, transposeA) : product(x, g, !transposeA, false),
        ];
        if (bias != null) grads.push(sumRows(g));
        return grads;
      },
    };
  });
  return (bias == null ? f(a, b) : f(a, b, bias)) as Tensor2D;
}

/**
 * Sums a `[N, Q]` matrix over its rows as a `[1, N] x [N, Q]` product: tfjs reduces only over
 * the last axis, so `sum(t, 0)` would transpose the whole matrix first.
 */
export function sumRows(t: Tensor2D): Tensor1D {
  return tidy(() =>
    reshape(
      transposesInPlace()
        ? product(ones([t.shape[0], 1]), t, true)
        : product(ones([1, t.shape[0]]), t),
      [t.shape[1]]
    )
  );
}

/**
 * Whether `product` reads a transposed operand where it lies (the active backend's dedicated
 * kernel does, `strategy.ts`), so that a transpose costs nothing.
 */
export function transposesInPlace(): boolean {
  return strategy().productsReadTransposed && useDedicatedKernel(MATMUL_KERNEL);
}
