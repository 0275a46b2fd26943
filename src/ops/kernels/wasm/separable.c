// The op's matrix products and its whole forward pass in one kernel, for tfjs-depth-separable-
// conv1d on tfjs-wasm. Built by scripts/build-wasm.mjs (clang --target=wasm32 -msimd128 -O3
// -nostdlib) into separable_wasm.ts. It imports tfjs-wasm's heap and writes only to its output
// and to `scratch`, which the caller allocates there (no data segment, no stack).
//
// separable: x [N, L, C], w [K, C, M], p [C*M, O], bias [O] (or 0), y [N, T, O]:
//   d[n, t, c*M + m] = sum_k xp[n, t*S + k*D - padLeft, c] * w[k, c, m]
//   y[n, t, o] = act(bias[o] + sum_j d[n, t, j] * p[j, o])
// with xp zero outside [0, L), as in depthwise.c: an outside tap adds 0 * w and reads no input,
// so NaN and Inf land where the definition puts them. Each block of four output rows is
// correlated into a buffer that stays in the L1 cache and multiplied there: d never goes to
// memory unless `dOut` asks for it (a training step keeps it for the filter gradient).
// act 1 is relu as max(v, 0), which keeps NaN (wasm's f32x4.max propagates it).
#include <wasm_simd128.h>

#include "row_general.h"

// a * b + c. The relaxed build (-DRELAXED) uses relaxed SIMD's f32x4.relaxed_madd, one fused
// multiply-add where the hardware has it: clang 14 emits the instruction under its prototype
// opcode (f32x4.fma, 0xfd 0xaf 0x01), and build-wasm.mjs renumbers it to the final one (0xfd
// 0x85 0x02), whose operands are (a, b, c) -> a * b + c.
#ifdef RELAXED
#define MADD(a, b, c) ((v128_t)__builtin_wasm_fma_f32x4((__f32x4)(a), (__f32x4)(b), (__f32x4)(c)))
#else
#define MADD(a, b, c) wasm_f32x4_add(wasm_f32x4_mul(a, b), c)
#endif

// Output columns per panel of a packed right operand: two vectors.
#define NR 8
// Rows per block: 4 x 2 accumulators, 2 operand vectors and a broadcast fit in x86's 16
// vector registers, where V8 keeps wasm's values.
#define MR 4
// Rows of a transposed product's operands summed per pass: 2 x 512 rows of up to 128 floats
// stay in a 1-2 MB L2 cache while every block of the result reads them.
#define RB 512

// One depthwise output row of C * M values. `start` is the input index of tap 0.
static void depthwise_row(const f32 *xn, const f32 *w, f32 *d, int L, int C, int M, int K, int D,
                          int start) {
  if (M == 1 && start >= 0 && start + (K - 1) * D < L) {
    int c = 0;
    for (; c + 4 <= C; c += 4) {
      v128_t a = wasm_f32x4_splat(0);
      const f32 *xp = xn + start * C + c, *wp = w + c;
      for (int k = 0; k < K; k++, xp += D * C, wp += C) {
        a = MADD(wasm_v128_load(xp), wasm_v128_load(wp), a);
      }
      wasm_v128_store(d + c, a);
    }
    for (; c < C; c++) {
      f32 a = 0;
      const f32 *xp = xn + start * C + c, *wp = w + c;
      for (int k = 0; k < K; k++, xp += D * C, wp += C) a += *xp * *wp;
      d[c] = a;
    }
    return;
  }
  row_general(xn, w, d, L, C, M, K, D, start);
}

// The right operand b as panels of NR columns, each [K][NR] with zeros past the last column,
// then the bias padded the same way. b is [K, N], or [N, K] when `bt`. Returns the bias.
static f32 *pack(const f32 *b, const f32 *bias, f32 *packed, int K, int N, int bt) {
  const int panels = (N + NR - 1) / NR;
  f32 *b8 = packed + panels * K * NR;
  for (int q = 0; q < panels; q++) {
    for (int k = 0; k < K; k++) {
      for (int o = 0; o < NR; o++) {
        const int col = q * NR + o;
        packed[(q * K + k) * NR + o] = col >= N ? 0 : bt ? b[col * K + k] : b[k * N + col];
      }
    }
    for (int o = 0; o < NR; o++) b8[q * NR + o] = bias && q * NR + o < N ? bias[q * NR + o] : 0;
  }
  return b8;
}

// Rows r0 .. r0 + nr - 1 of y [., N] from the four rows a0-a3 (of K values) and the packed
// operand: a short block repeats a row, and stores only its real ones. `tail` holds MR x NR
// values for a last panel narrower than NR.
static void block(const f32 *a0, const f32 *a1, const f32 *a2, const f32 *a3, const f32 *packed,
                  const f32 *b8, int K, int N, f32 *y, int nr, f32 *tail, int act) {
  const v128_t zero = wasm_f32x4_splat(0);
  for (int col = 0; col < N; col += NR) {
    const f32 *pq = packed + col * K;
    v128_t c00 = wasm_v128_load(b8 + col), c01 = wasm_v128_load(b8 + col + 4);
    v128_t c10 = c00, c11 = c01, c20 = c00, c21 = c01, c30 = c00, c31 = c01;
    for (int k = 0; k < K; k++, pq += NR) {
      const v128_t p0 = wasm_v128_load(pq), p1 = wasm_v128_load(pq + 4);
      v128_t v = wasm_v128_load32_splat(a0 + k);
      c00 = MADD(v, p0, c00);
      c01 = MADD(v, p1, c01);
      v = wasm_v128_load32_splat(a1 + k);
      c10 = MADD(v, p0, c10);
      c11 = MADD(v, p1, c11);
      v = wasm_v128_load32_splat(a2 + k);
      c20 = MADD(v, p0, c20);
      c21 = MADD(v, p1, c21);
      v = wasm_v128_load32_splat(a3 + k);
      c30 = MADD(v, p0, c30);
      c31 = MADD(v, p1, c31);
    }
    if (act == 1) {
      c00 = wasm_f32x4_max(c00, zero);
      c01 = wasm_f32x4_max(c01, zero);
      c10 = wasm_f32x4_max(c10, zero);
      c11 = wasm_f32x4_max(c11, zero);
      c20 = wasm_f32x4_max(c20, zero);
      c21 = wasm_f32x4_max(c21, zero);
      c30 = wasm_f32x4_max(c30, zero);
      c31 = wasm_f32x4_max(c31, zero);
    }
    const int wide = N - col >= NR;
    f32 *out = wide ? y + col : tail;
    const int step = wide ? N : NR;
    wasm_v128_store(out, c00);
    wasm_v128_store(out + 4, c01);
    if (nr > 1) {
      wasm_v128_store(out + step, c10);
      wasm_v128_store(out + step + 4, c11);
    }
    if (nr > 2) {
      wasm_v128_store(out + 2 * step, c20);
      wasm_v128_store(out + 2 * step + 4, c21);
    }
    if (nr > 3) {
      wasm_v128_store(out + 3 * step, c30);
      wasm_v128_store(out + 3 * step + 4, c31);
    }
    if (!wide) {
      for (int r = 0; r < nr; r++) {
        for (int o = col; o < N; o++) y[r * N + o] = tail[r * NR + o - col];
      }
    }
  }
}

__attribute__((export_name("separable"))) void separable(const f32 *x, const f32 *w, const f32 *p,
                                                         const f32 *bias, f32 *y, f32 *dOut,
                                                         f32 *scratch, int N, int L, int C, int M,
                                                         int K, int S, int D, int padLeft, int T,
                                                         int O, int act) {
  const int CM = C * M;
  // scratch: the packed filter and bias, MR depthwise rows, one block of a narrow panel.
  const f32 *b8 = pack(p, bias, scratch, CM, O, 0);
  f32 *tile = (f32 *)b8 + (O + NR - 1) / NR * NR;
  f32 *tail = tile + MR * CM;
  const int rows = N * T;
  for (int r0 = 0; r0 < rows; r0 += MR) {
    const int nr = rows - r0 < MR ? rows - r0 : MR;
    f32 *d = dOut ? dOut + r0 * CM : tile;
    for (int r = 0; r < nr; r++) {
      const int n = (r0 + r) / T, t = r0 + r - n * T;
      depthwise_row(x + n * L * C, w, d + r * CM, L, C, M, K, D, t * S - padLeft);
    }
    block(d, d + (nr > 1) * CM, d + (nr > 2) * 2 * CM, d + (nr > 3) * 3 * CM, scratch, b8, CM, O,
          y + r0 * O, nr, tail, act);
  }
}

// y [R, N] = a [R, K] . b (+ bias): b is [K, N], or [N, K] used transposed when `bt`.
__attribute__((export_name("product"))) void product(const f32 *a, const f32 *b, const f32 *bias,
                                                     f32 *y, f32 *scratch, int R, int K, int N,
                                                     int bt) {
  const f32 *b8 = pack(b, bias, scratch, K, N, bt);
  f32 *tail = (f32 *)b8 + (N + NR - 1) / NR * NR;
  for (int r0 = 0; r0 < R; r0 += MR) {
    const int nr = R - r0 < MR ? R - r0 : MR;
    const f32 *a0 = a + r0 * K;
    block(a0, a0 + (nr > 1) * K, a0 + (nr > 2) * 2 * K, a0 + (nr > 3) * 3 * K, scratch, b8, K, N,
          y + r0 * N, nr, tail, 0);
  }
}

// y [P, Q] = a [R, P]^T . b [R, Q] (+ bias [Q]): sums over rows, RB at a time, in blocks of
// 4 x 8 results, then 1 x 8; the last Q % 8 columns through the scalar loop.
__attribute__((export_name("product_tn"))) void product_tn(const f32 *a, const f32 *b,
                                                           const f32 *bias, f32 *y, int R, int P,
                                                           int Q) {
  const int P4 = P - P % 4, Q8 = Q - Q % NR;
  for (int i = 0; i < P; i++) {
    for (int j = 0; j < Q; j++) y[i * Q + j] = bias ? bias[j] : 0;
  }
  for (int r0 = 0; r0 < R; r0 += RB) {
    const int r1 = R - r0 < RB ? R : r0 + RB;
    for (int i = 0; i < P4; i += 4) {
      for (int j = 0; j < Q8; j += NR) {
        f32 *y0 = y + i * Q + j;
        v128_t c00 = wasm_v128_load(y0), c01 = wasm_v128_load(y0 + 4);
        v128_t c10 = wasm_v128_load(y0 + Q), c11 = wasm_v128_load(y0 + Q + 4);
        v128_t c20 = wasm_v128_load(y0 + 2 * Q), c21 = wasm_v128_load(y0 + 2 * Q + 4);
        v128_t c30 = wasm_v128_load(y0 + 3 * Q), c31 = wasm_v128_load(y0 + 3 * Q + 4);
        const f32 *ar = a + r0 * P + i, *br = b + r0 * Q + j;
        for (int r = r0; r < r1; r++, ar += P, br += Q) {
          const v128_t p0 = wasm_v128_load(br), p1 = wasm_v128_load(br + 4);
          v128_t v = wasm_v128_load32_splat(ar);
          c00 = MADD(v, p0, c00);
          c01 = MADD(v, p1, c01);
          v = wasm_v128_load32_splat(ar + 1);
          c10 = MADD(v, p0, c10);
          c11 = MADD(v, p1, c11);
          v = wasm_v128_load32_splat(ar + 2);
          c20 = MADD(v, p0, c20);
          c21 = MADD(v, p1, c21);
          v = wasm_v128_load32_splat(ar + 3);
          c30 = MADD(v, p0, c30);
          c31 = MADD(v, p1, c31);
        }
        wasm_v128_store(y0, c00);
        wasm_v128_store(y0 + 4, c01);
        wasm_v128_store(y0 + Q, c10);
        wasm_v128_store(y0 + Q + 4, c11);
        wasm_v128_store(y0 + 2 * Q, c20);
        wasm_v128_store(y0 + 2 * Q + 4, c21);
        wasm_v128_store(y0 + 3 * Q, c30);
        wasm_v128_store(y0 + 3 * Q + 4, c31);
      }
    }
    // The last P % 4 rows of y eight columns at a time (a sum over rows is a [R, 1] x [R, Q]).
    for (int i = P4; i < P; i++) {
      for (int j = 0; j < Q8; j += NR) {
        f32 *y0 = y + i * Q + j;
        v128_t c0 = wasm_v128_load(y0), c1 = wasm_v128_load(y0 + 4);
        const f32 *ar = a + r0 * P + i, *br = b + r0 * Q + j;
        for (int r = r0; r < r1; r++, ar += P, br += Q) {
          const v128_t v = wasm_v128_load32_splat(ar);
          c0 = MADD(v, wasm_v128_load(br), c0);
          c1 = MADD(v, wasm_v128_load(br + 4), c1);
        }
        wasm_v128_store(y0, c0);
        wasm_v128_store(y0 + 4, c1);
      }
    }
    for (int i = 0; i < P; i++) {
      for (int j = Q8; j < Q; j++) {
        f32 s = y[i * Q + j];
        for (int r = r0; r < r1; r++) s += a[r * P + i] * b[r * Q + j];
        y[i * Q + j] = s;
      }
    }
  }
}
