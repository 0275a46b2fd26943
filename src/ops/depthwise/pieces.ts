import {add, dispose, pad, slice, Tensor, Tensor4D, tidy} from '@tensorflow/tfjs-core';

import {effectiveWidth} from '../padding.js';
import {strategy} from '../strategy.js';
import {TapPiece, tapPieces} from '../tap_pieces.js';

import {allFinite} from './finite.js';
import {WidthSteps} from './geometry.js';
import {tfjsDepthwise} from './tfjs_call.js';

/** What `tfjsDepthwiseInPieces` may do beyond the call itself. */
export interface PiecesOptions {
  /**
   * The data `x` holds, or the smaller tensor `x` was spread from: checked for finiteness
   * before zero taps may read it.
   */
  source: Tensor;
  /** Whether the filter may run as more than one piece (default true). */
  split?: boolean;
}

/**
 * `tfjsDepthwise`, in pieces where the backend's kernel is fast only for some filter widths
 * (wasm's XNNPACK: `strategy.ts`, `fastTaps`, `piecesPay`). Zero taps that pad a piece to a
 * fast width read inputs that no real tap of that output reads, exact only where those are
 * finite (0 x NaN = NaN, 0 x Inf = NaN). One reduction read back checks that, on the smaller
 * side: `source` before the call, or the result after it, where a zero tap that met a
 * non-finite value has left a NaN (the call then runs again without zero taps).
 */
export function tfjsDepthwiseInPieces(
  x: Tensor4D,
  filter: Tensor4D,
  steps: WidthSteps,
  {source, split = true}: PiecesOptions
): Tensor4D {
  const [, k, c, m] = filter.shape;
  const fast = strategy().fastTaps;
  if (fast == null || filter.shape[0] !== 1) return tfjsDepthwise(x, filter, steps);
  const {stride, dilation, left, right} = steps;
  const width = x.shape[2] + left + right;
  const outWidth = Math.floor((width - effectiveWidth(k, dilation)) / stride) + 1;
  // Many pieces lose to one call where the outputs are few against what each piece copies.
  const [n, h] = x.shape;
  const pieces =
    split &&
    (strategy().piecesPay?.(c * m, n * h * outWidth * c * m, n * h * width * c + k * c * m) ??
      true);
  const chooseFrom = (zeroTapsAllowed: boolean) =>
    pieces
      ? tapPieces(k, fast, zeroTapsAllowed)
      : [{first: 0, taps: k, runAs: zeroTapsAllowed ? (fast.find(n => n >= k) ?? k) : k}];
  const run = (pieces: TapPiece[]) => runPieces(x, filter, pieces, steps, outWidth);
  const padded = chooseFrom(true);
  const zeroTaps = padded.reduce((s, p) => s + p.runAs - p.taps, 0);
  if (zeroTaps === 0) return run(padded);
  // Very dilated filters skip zero taps rather than double the width.
  if (zeroTaps * dilation > width) return run(chooseFrom(false));
  if (source.size <= x.shape[0] * x.shape[1] * outWidth * c * m) {
    return run(allFinite(source) ? padded : chooseFrom(false));
  }
  const y = run(padded);
  if (allFinite(y)) return y;
  y.dispose();
  return run(chooseFrom(false));
}

/** One piece of a `[1, K, C, M]` filter as a call, its zero taps (if any) on the right. */
function runPiece(x: Tensor4D, filter: Tensor4D, piece: TapPiece, steps: WidthSteps): Tensor4D {
  return tidy(() => {
    const [, , c, m] = filter.shape;
    let taps =
      piece.taps === filter.shape[1]
        ? filter
        : slice(filter, [0, piece.first, 0, 0], [1, piece.taps, c, m]);
    const zeroTaps = piece.runAs - piece.taps;
    if (zeroTaps > 0)
      taps = pad(taps, [
        [0, 0],
        [0, zeroTaps],
        [0, 0],
        [0, 0],
      ]);
    // As many more zeros of padding on the right as zero taps leave every output as it was.
    return tfjsDepthwise(x, taps, {...steps, right: steps.right + zeroTaps * steps.dilation});
  });
}

/** The pieces, each run on its slice of the padded input, summed. */
function runPieces(
  x: Tensor4D,
  filter: Tensor4D,
  pieces: TapPiece[],
  steps: WidthSteps,
  outWidth: number
): Tensor4D {
  if (pieces.length === 1) return runPiece(x, filter, pieces[0], steps);
  const {stride, dilation, left, right} = steps;
  const [n, h, , c] = x.shape;
  const padded = pad(x, [
    [0, 0],
    [0, 0],
    [left, right],
    [0, 0],
  ]);
  // A running sum, so no more than two pieces' outputs are alive at once.
  let total: Tensor4D | null = null;
  for (const piece of pieces) {
    const reach = (outWidth - 1) * stride + effectiveWidth(piece.taps, dilation);
    const y = tidy(() =>
      runPiece(slice(padded, [0, 0, piece.first * dilation, 0], [n, h, reach, c]), filter, piece, {
        stride,
        dilation,
        left: 0,
        right: 0,
      })
    );
    const next: Tensor4D = total == null ? y : add(total, y);
    if (total != null) dispose([total, y]);
    total = next;
  }
  padded.dispose();
  return total!;
}
