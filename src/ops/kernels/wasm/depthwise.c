// A depthwise correlation along the width, for tfjs-depth-separable-conv1d's wasm kernel.
// Built by scripts/build-wasm.mjs (clang --target=wasm32 -msimd128 -O3 -nostdlib) into
// depthwise_wasm.ts. No libc, no allocation: the caller places every array in this module's
// memory, from __heap_base on.
//
// x [N, L, C], w [K, C, M], y [N, T, C*M]:
//   y[n, t, c*M + m] = sum_k xp[n, t*S + k*D - padLeft, c] * w[k, c, m],
// where xp is x with zeros outside [0, L). Taps that fall outside read no input: outputs whose
// taps are all inside (the interior) never look at the padding, and the few at the edges add
// 0 * w for each outside tap, as the zero padding of the definition does (0 * NaN = NaN in a
// filter stays exact, and no input value is ever multiplied by a zero tap).
#include <wasm_simd128.h>

#include "row_general.h"

// One output row of the interior (every tap inside), M = 1: channels in blocks of 4, then one
// at a time (most rows run four at once, in rows4_interior).
static void row_interior(const f32 *x0, const f32 *w, f32 *y, int C, int K, int step) {
  int c = 0;
  for (; c + 4 <= C; c += 4) {
    v128_t a = wasm_f32x4_splat(0);
    const f32 *xp = x0 + c, *wp = w + c;
    for (int k = 0; k < K; k++, xp += step, wp += C) {
      a = wasm_f32x4_add(a, wasm_f32x4_mul(wasm_v128_load(xp), wasm_v128_load(wp)));
    }
    wasm_v128_store(y + c, a);
  }
  for (; c < C; c++) {
    f32 a = 0;
    const f32 *xp = x0 + c, *wp = w + c;
    for (int k = 0; k < K; k++, xp += step, wp += C) a += *xp * *wp;
    y[c] = a;
  }
}

// Four output rows of the interior, M = 1, sharing each load of the filter: `step` floats
// between taps, `next` between the four outputs' first taps. Channels in blocks of 8, then of
// 4; the last C % 4 channels go one row at a time (row_interior's scalar tail).
static void rows4_interior(const f32 *x0, const f32 *w, f32 *y, int C, int K, int step, int next) {
  int c = 0;
  for (; c + 8 <= C; c += 8) {
    v128_t a00 = wasm_f32x4_splat(0), a01 = a00, a10 = a00, a11 = a00;
    v128_t a20 = a00, a21 = a00, a30 = a00, a31 = a00;
    const f32 *xp = x0 + c, *wp = w + c;
    for (int k = 0; k < K; k++, xp += step, wp += C) {
      const v128_t w0 = wasm_v128_load(wp), w1 = wasm_v128_load(wp + 4);
      const f32 *x1 = xp + next, *x2 = x1 + next, *x3 = x2 + next;
      a00 = wasm_f32x4_add(a00, wasm_f32x4_mul(wasm_v128_load(xp), w0));
      a01 = wasm_f32x4_add(a01, wasm_f32x4_mul(wasm_v128_load(xp + 4), w1));
      a10 = wasm_f32x4_add(a10, wasm_f32x4_mul(wasm_v128_load(x1), w0));
      a11 = wasm_f32x4_add(a11, wasm_f32x4_mul(wasm_v128_load(x1 + 4), w1));
      a20 = wasm_f32x4_add(a20, wasm_f32x4_mul(wasm_v128_load(x2), w0));
      a21 = wasm_f32x4_add(a21, wasm_f32x4_mul(wasm_v128_load(x2 + 4), w1));
      a30 = wasm_f32x4_add(a30, wasm_f32x4_mul(wasm_v128_load(x3), w0));
      a31 = wasm_f32x4_add(a31, wasm_f32x4_mul(wasm_v128_load(x3 + 4), w1));
    }
    f32 *yc = y + c;
    wasm_v128_store(yc, a00);
    wasm_v128_store(yc + 4, a01);
    wasm_v128_store(yc + C, a10);
    wasm_v128_store(yc + C + 4, a11);
    wasm_v128_store(yc + 2 * C, a20);
    wasm_v128_store(yc + 2 * C + 4, a21);
    wasm_v128_store(yc + 3 * C, a30);
    wasm_v128_store(yc + 3 * C + 4, a31);
  }
  for (; c + 4 <= C; c += 4) {
    v128_t a0 = wasm_f32x4_splat(0), a1 = a0, a2 = a0, a3 = a0;
    const f32 *xp = x0 + c, *wp = w + c;
    for (int k = 0; k < K; k++, xp += step, wp += C) {
      const v128_t w0 = wasm_v128_load(wp);
      a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(wasm_v128_load(xp), w0));
      a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(wasm_v128_load(xp + next), w0));
      a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(wasm_v128_load(xp + 2 * next), w0));
      a3 = wasm_f32x4_add(a3, wasm_f32x4_mul(wasm_v128_load(xp + 3 * next), w0));
    }
    wasm_v128_store(y + c, a0);
    wasm_v128_store(y + C + c, a1);
    wasm_v128_store(y + 2 * C + c, a2);
    wasm_v128_store(y + 3 * C + c, a3);
  }
  for (int r = 0; c < C && r < 4; r++) {
    for (int cc = c; cc < C; cc++) {
      f32 a = 0;
      const f32 *xp = x0 + r * next + cc, *wp = w + cc;
      for (int k = 0; k < K; k++, xp += step, wp += C) a += *xp * *wp;
      y[r * C + cc] = a;
    }
  }
}

__attribute__((export_name("depthwise"))) void depthwise(const f32 *x, const f32 *w, f32 *y, int N,
                                                         int L, int C, int M, int K, int S, int D,
                                                         int padLeft, int T) {
  const int CM = C * M;
  for (int n = 0; n < N; n++) {
    const f32 *xn = x + (long)n * L * C;
    f32 *yn = y + (long)n * T * CM;
    for (int t = 0; t < T; t++) {
      const int start = t * S - padLeft;
      const int inside = start >= 0 && start + (K - 1) * D < L;
      if (inside && M == 1 && t + 3 < T && start + 3 * S + (K - 1) * D < L) {
        rows4_interior(xn + start * C, w, yn + t * CM, C, K, D * C, S * C);
        t += 3;
      } else if (inside && M == 1) {
        row_interior(xn + start * C, w, yn + t * CM, C, K, D * C);
      } else {
        row_general(xn, w, yn + t * CM, L, C, M, K, D, start);
      }
    }
  }
}

// The filter gradient of the same correlation, for the upstream gradient dd [N, T, C*M]:
//   dw[k, c, m] = sum over n and t of x[n, t*S + k*D - padLeft, c] * dd[n, t, c*M + m],
// over the taps inside [0, L) only (padding is not read: a NaN in dd reaches only the taps
// whose window held real inputs). M = 1 runs blocks of 16 channels in four vector sums (the
// module must stay under 4 KB: the other channels one at a time).
#define TB 64

__attribute__((export_name("filter_grad"))) void filter_grad(const f32 *x, const f32 *dd, f32 *dw,
                                                             int N, int L, int C, int M, int K,
                                                             int S, int D, int padLeft, int T) {
  const int CM = C * M;
  for (int j = 0; j < K * CM; j++) dw[j] = 0;
  // Outputs in blocks of TB: every tap and channel block sums over one block while its rows
  // of x and dd are in cache (over the whole width, row B's gradient read them 24 times from
  // memory: 3.2 ms; in blocks 1.6, and row C's 5.4 ms 1.0).
  for (int n = 0; n < N; n++)
    for (int tb = 0; tb < T; tb += TB)
      for (int k = 0; k < K; k++) {
        // Outputs t0 <= t < t1 read input t*S + offset inside [0, L).
        const int offset = k * D - padLeft;
        int t0 = offset >= 0 ? 0 : (-offset + S - 1) / S;
        int t1 = L - 1 - offset < 0 ? 0 : (L - 1 - offset) / S + 1;
        if (t1 > T) t1 = T;
        if (t0 < tb) t0 = tb;
        if (t1 > tb + TB) t1 = tb + TB;
        f32 *out = dw + k * CM;
        int c = 0;
        if (M == 1) {
          for (; c + 16 <= C; c += 16) {
            v128_t a0 = wasm_v128_load(out + c), a1 = wasm_v128_load(out + c + 4);
            v128_t a2 = wasm_v128_load(out + c + 8), a3 = wasm_v128_load(out + c + 12);
            {
              const f32 *xp = x + (n * L + t0 * S + offset) * C + c;
              const f32 *dp = dd + (n * T + t0) * C + c;
              for (int t = t0; t < t1; t++, xp += S * C, dp += C) {
                a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(wasm_v128_load(xp), wasm_v128_load(dp)));
                a1 = wasm_f32x4_add(a1,
                                    wasm_f32x4_mul(wasm_v128_load(xp + 4), wasm_v128_load(dp + 4)));
                a2 = wasm_f32x4_add(a2,
                                    wasm_f32x4_mul(wasm_v128_load(xp + 8), wasm_v128_load(dp + 8)));
                a3 = wasm_f32x4_add(
                    a3, wasm_f32x4_mul(wasm_v128_load(xp + 12), wasm_v128_load(dp + 12)));
              }
            }
            wasm_v128_store(out + c, a0);
            wasm_v128_store(out + c + 4, a1);
            wasm_v128_store(out + c + 8, a2);
            wasm_v128_store(out + c + 12, a3);
          }
        }
        // The rest: the last channels, or every channel and multiple for M > 1.
        for (int j = c * M; j < CM; j++) {
          const int ch = j / M;
          f32 a = out[j];
          for (int t = t0; t < t1; t++)
            a += x[(n * L + t * S + offset) * C + ch] * dd[(n * T + t) * CM + j];
          out[j] = a;
        }
      }
}

// The input gradient of the same correlation, for any stride, as the transpose of the forward
// map: every output row t adds dd[n, t] x w[k] to the input row t*S + k*D - padLeft of each
// tap k inside [0, L) (no zeros spread between the steps, no reversed filter):
//   dx[n, i, c] = sum over t, k with t*S + k*D - padLeft = i, and m, of dd[n, t, c*M + m] * w[k, c, m].
__attribute__((export_name("input_grad"))) void input_grad(const f32 *dd, const f32 *w, f32 *dx,
                                                           int N, int L, int C, int M, int K, int S,
                                                           int D, int padLeft, int T) {
  const int CM = C * M;
  for (int j = 0; j < N * L * C; j++) dx[j] = 0;
  for (int n = 0; n < N; n++)
    for (int t = 0; t < T; t++)
      for (int k = 0; k < K; k++) {
        const int i = t * S + k * D - padLeft;
        if (i < 0 || i >= L) continue;
        f32 *xr = dx + (n * L + i) * C;
        const f32 *dr = dd + (n * T + t) * CM, *wr = w + k * CM;
        int c = 0;
        if (M == 1) {
          for (; c + 4 <= C; c += 4) {
            wasm_v128_store(xr + c, wasm_f32x4_add(wasm_v128_load(xr + c),
                                                   wasm_f32x4_mul(wasm_v128_load(dr + c),
                                                                  wasm_v128_load(wr + c))));
          }
        }
        for (; c < C; c++) {
          f32 a = xr[c];
          for (int m = 0; m < M; m++) a += dr[c * M + m] * wr[c * M + m];
          xr[c] = a;
        }
      }
}
