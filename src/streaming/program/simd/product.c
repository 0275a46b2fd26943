// The streaming program's kernels in wasm SIMD (f32x4), built by scripts/build-wasm.mjs into
// product_wasm.ts: the pointwise product with its bias and ReLU, and the depthwise taps.
#include <wasm_simd128.h>

// out[r][o] = bias[o] + sum_j v[r][j] * w[j][o] for `rows` rows (bias 0: none), then ReLU when
// `relu` is set (f32x4.max keeps NaN, as tfjs's relu). Each pass holds 16 accumulators in
// registers over all j, so w is read once per row and 16 outputs.
__attribute__((export_name("product"))) void product(float *out, const float *v, int n,
                                                     const float *w, int O, int rows,
                                                     const float *bias, int relu) {
  const v128_t zero = wasm_f32x4_splat(0);
  for (int r = 0; r < rows; r++, out += O, v += n) {
    int o = 0;
    for (; o + 16 <= O; o += 16) {
      v128_t a0 = zero, a1 = zero, a2 = zero, a3 = zero;
      if (bias) {
        a0 = wasm_v128_load(bias + o), a1 = wasm_v128_load(bias + o + 4);
        a2 = wasm_v128_load(bias + o + 8), a3 = wasm_v128_load(bias + o + 12);
      }
      const float *row = w + o;
      for (int j = 0; j < n; j++, row += O) {
        v128_t s = wasm_f32x4_splat(v[j]);
        a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(s, wasm_v128_load(row)));
        a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(s, wasm_v128_load(row + 4)));
        a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(s, wasm_v128_load(row + 8)));
        a3 = wasm_f32x4_add(a3, wasm_f32x4_mul(s, wasm_v128_load(row + 12)));
      }
      if (relu) {
        a0 = wasm_f32x4_max(a0, zero), a1 = wasm_f32x4_max(a1, zero);
        a2 = wasm_f32x4_max(a2, zero), a3 = wasm_f32x4_max(a3, zero);
      }
      wasm_v128_store(out + o, a0);
      wasm_v128_store(out + o + 4, a1);
      wasm_v128_store(out + o + 8, a2);
      wasm_v128_store(out + o + 12, a3);
    }
    for (; o + 4 <= O; o += 4) {
      v128_t a = bias ? wasm_v128_load(bias + o) : zero;
      const float *row = w + o;
      for (int j = 0; j < n; j++, row += O) {
        a = wasm_f32x4_add(a, wasm_f32x4_mul(wasm_f32x4_splat(v[j]), wasm_v128_load(row)));
      }
      wasm_v128_store(out + o, relu ? wasm_f32x4_max(a, zero) : a);
    }
    for (; o < O; o++) {
      float a = bias ? bias[o] : 0;
      for (int j = 0; j < n; j++) a += v[j] * w[j * O + o];
      // NaN fails both comparisons and stays.
      out[o] = relu && a <= 0 ? 0 : a;
    }
  }
}

// Depthwise taps, multiplier 1, for `rows` windows: out[r][c] = sum_k x[r * rowStep + k * step
// + c] * dw[k * C + c] (frames `step` floats apart, windows `rowStep` apart).
__attribute__((export_name("depthwise"))) void depthwise(float *out, const float *x, int rows,
                                                         int rowStep, int step, const float *dw,
                                                         int C, int K) {
  for (int r = 0; r < rows; r++, out += C, x += rowStep) {
    int c = 0;
    for (; c + 4 <= C; c += 4) {
      v128_t a = wasm_f32x4_mul(wasm_v128_load(x + c), wasm_v128_load(dw + c));
      for (int k = 1; k < K; k++) {
        a = wasm_f32x4_add(
            a, wasm_f32x4_mul(wasm_v128_load(x + k * step + c), wasm_v128_load(dw + k * C + c)));
      }
      wasm_v128_store(out + c, a);
    }
    for (; c < C; c++) {
      float a = x[c] * dw[c];
      for (int k = 1; k < K; k++) a += x[k * step + c] * dw[k * C + c];
      out[c] = a;
    }
  }
}
