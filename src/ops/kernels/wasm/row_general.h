// A depthwise output row in general, shared by depthwise.c and separable.c (each a module of
// its own): any multiplier, taps outside [0, L) as zeros, each adding 0 * w and reading no
// input, as the definition's zero padding does.
#ifndef ROW_GENERAL_H
#define ROW_GENERAL_H

#include <wasm_simd128.h>

typedef float f32;

// One output row in general: any multiplier, taps outside [0, L) as zeros. `start` is the
// input index of tap 0; `x0` the start of this example's input.
static void row_general(const f32 *x0, const f32 *w, f32 *y, int L, int C, int M, int K, int D,
                        int start) {
  const int CM = C * M;
  for (int j = 0; j < CM; j++) y[j] = 0;
  for (int k = 0; k < K; k++) {
    const int i = start + k * D;
    const f32 *wk = w + k * CM;
    if (i < 0 || i >= L) {
      for (int j = 0; j < CM; j++) y[j] += 0.0f * wk[j];
      continue;
    }
    const f32 *xi = x0 + i * C;
    for (int c = 0, j = 0; c < C; c++) {
      const f32 v = xi[c];
      for (int m = 0; m < M; m++, j++) y[j] += v * wk[j];
    }
  }
}

#endif
