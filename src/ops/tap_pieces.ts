/** Taps `[first, first + taps)` of a filter, run as one call with the filter padded to `runAs`. */
export interface TapPiece {
  first: number;
  taps: number;
  runAs: number;
}

// Costs in units of one tap of a fast loop, fitted to tfjs-wasm on the benchmark's shapes: a
// generic tap costs ~3.5 fast ones; a call, with its slice of the input and its share of the
// sum, ~14 (so K = 5 runs as one generic call, 0.55 ms against 1.2 as 4 + 1 on row D, and
// K = 15 as 9 + 3 + 3, 3.6 ms against 9.8 on row C).
const CALL_COST = 14;
const GENERIC_TAP_COST = 3.5;

/**
 * How to run a `k`-tap filter on a backend whose depthwise kernel is fast for the widths
 * `fast` (ascending). Each piece's taps are real taps of the filter.
 *
 * With `zeroTapsAllowed` (the data the filter reads is finite), a piece may be padded with zero
 * taps up to a fast width: pieces of the widest fast size, the last one padded. A zero tap
 * reads an input that no real tap of that output reads, and `0 x NaN = NaN`, `0 x Inf = NaN`:
 * so without it every piece runs exactly its taps, the cheapest such cover of the filter.
 */
export function tapPieces(
  k: number,
  fast: readonly number[],
  zeroTapsAllowed: boolean
): TapPiece[] {
  const widest = fast[fast.length - 1];
  const pieces: TapPiece[] = [];
  let first = 0;
  if (zeroTapsAllowed) {
    for (; first < k; first += widest) {
      const taps = Math.min(widest, k - first);
      pieces.push({first, taps, runAs: fast.find(n => n >= taps)!});
    }
    return pieces;
  }
  // Whole widest pieces up to the last two widths' worth, then the cheapest exact cover of the
  // rest (at most 2 * widest - 1 taps) by dynamic programming over piece widths.
  for (; k - first >= 2 * widest; first += widest)
    pieces.push({first, taps: widest, runAs: widest});
  const rest = k - first;
  const cost = [0];
  const last = [0];
  for (let n = 1; n <= rest; n++) {
    cost[n] = Infinity;
    for (let taps = 1; taps <= Math.min(n, widest); taps++) {
      const c = cost[n - taps] + CALL_COST + taps * (fast.includes(taps) ? 1 : GENERIC_TAP_COST);
      if (c < cost[n]) {
        cost[n] = c;
        last[n] = taps;
      }
    }
  }
  const tail: TapPiece[] = [];
  for (let n = rest; n > 0; n -= last[n]) {
    tail.unshift({first: first + n - last[n], taps: last[n], runAs: last[n]});
  }
  return pieces.concat(tail);
}
