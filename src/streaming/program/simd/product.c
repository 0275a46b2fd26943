// The streaming program's pointwise product in wasm SIMD (f32x4), built by scripts/build-wasm.mjs
// into product_wasm.ts. acc[r][o] += sum_j v[r][j] * w[j][o] for `rows` rows: each pass holds
// 16 accumulators in registers over all j, so w is read once per row and 16 outputs.
#include <wasm_simd128.h>

__attribute__((export_name("product"))) void product(float *acc, const float *v, int n,
                                                     const float *w, int O, int rows) {
  for (int r = 0; r < rows; r++, acc += O, v += n) {
    int o = 0;
    for (; o + 16 <= O; o += 16) {
      v128_t a0 = wasm_v128_load(acc + o), a1 = wasm_v128_load(acc + o + 4);
      v128_t a2 = wasm_v128_load(acc + o + 8), a3 = wasm_v128_load(acc + o + 12);
      const float *row = w + o;
      for (int j = 0; j < n; j++, row += O) {
        v128_t s = wasm_f32x4_splat(v[j]);
        a0 = wasm_f32x4_add(a0, wasm_f32x4_mul(s, wasm_v128_load(row)));
        a1 = wasm_f32x4_add(a1, wasm_f32x4_mul(s, wasm_v128_load(row + 4)));
        a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(s, wasm_v128_load(row + 8)));
        a3 = wasm_f32x4_add(a3, wasm_f32x4_mul(s, wasm_v128_load(row + 12)));
      }
      wasm_v128_store(acc + o, a0);
      wasm_v128_store(acc + o + 4, a1);
      wasm_v128_store(acc + o + 8, a2);
      wasm_v128_store(acc + o + 12, a3);
    }
    for (; o + 4 <= O; o += 4) {
      v128_t a = wasm_v128_load(acc + o);
      const float *row = w + o;
      for (int j = 0; j < n; j++, row += O) {
        a = wasm_f32x4_add(a, wasm_f32x4_mul(wasm_f32x4_splat(v[j]), wasm_v128_load(row)));
      }
      wasm_v128_store(acc + o, a);
    }
    for (; o < O; o++) {
      float a = acc[o];
      for (int j = 0; j < n; j++) a += v[j] * w[j * O + o];
      acc[o] = a;
    }
  }
}
