// The seed ConvNet's training step and forward pass as WebAssembly SIMD128 kernels:
//   conv(1→C1, k×k, "same") ReLU maxpool2 → conv(C1→C2, k×k, "same") ReLU maxpool2 →
//   fc F→H ReLU dropout → fc H→K (the log-softmax and the loss are computed by the caller).
// Built by scripts/build-kernels.mjs (clang-16, --target=wasm32 -msimd128, no libc) twice:
// convnet.wasm (SIMD128) and convnetFma.wasm (-mrelaxed-simd -DMNIST_LAB_FMA: fused
// multiply-add); the JavaScript side is src/core/train/convKernel.ts. Everything lives in one imported (shared)
// memory: parameters, gradients, inputs and a scratch region per caller; the module has no
// data of its own, and each instance gets its own stack (its __stack_pointer is set by the
// caller), so replicas on several threads can share one memory.
//
// Layouts (those of src/core/model/convnet.ts): activations NHWC, conv weights [kh][kw][in][out],
// fc weights [in][out], fc1's rows in NHWC flatten order. The parameters and gradients are one
// flat vector in PARAM_NAMES order. Requires C1, C2, H multiples of 4 and C1, C2 ≤ 32; the
// JavaScript side falls back to the tfjs step for other shapes.
//
// Sparsity used (exact: only terms that are exactly zero are skipped): fc1's input is
// ReLU+max-pool output (many zeros), its gradient is needed only where the input is > 0; the
// gradients of the conv outputs are non-zero only at the max of each pool window where the
// ReLU passed, so the conv backward passes scatter from those entries only.
#include <stdint.h>
#include <wasm_simd128.h>

typedef v128_t V;
#define INLINE static inline __attribute__((always_inline))
#define EXPORT(name) __attribute__((export_name(#name)))
#define CVMAX 8

INLINE V ld(const float *p) { return wasm_v128_load(p); }
INLINE void st(float *p, V v) { wasm_v128_store(p, v); }
INLINE V bc(const float *p) { return wasm_v128_load32_splat(p); }
#ifdef MNIST_LAB_FMA
// The relaxed-SIMD build (convnetFma.wasm): relaxed SIMD's multiply-add, one fused instruction
// where the CPU has one (x86-64 with FMA3, ARM64), else a multiply and an add as below. Which of
// the two is the engine's choice for the machine, so a run stays deterministic where it runs;
// the sums round once instead of twice (test/unit/conv-kernel.test.ts checks both builds).
typedef float F4 __attribute__((vector_size(16)));
INLINE V mad(V acc, V a, V b) { return (V)__builtin_wasm_relaxed_madd_f32x4((F4)a, (F4)b, (F4)acc); }
#else
INLINE V mad(V acc, V a, V b) { return wasm_f32x4_add(acc, wasm_f32x4_mul(a, b)); }
#endif
INLINE V relu(V z) { return wasm_f32x4_pmax(wasm_f32x4_splat(0.0f), z); }
INLINE int up4(int x) { return (x + 3) & ~3; }

// ---- the scratch layout (floats from the scratch base) ----
typedef struct {
  int p, Sp, Xs, P1, Q1, P2, F, Kp, KW;
  int xpad, p1pad, flat, hd, dh, logits, dlog, dflat, paircnt, pairrow, pairval, colcnt, colrow, colval,
      arg1, arg2, c1, c2, dp1, dw2t, w2t, dw1, hdcnt, hdidx, w2p, b4p, dw2p, hacc, total;
} Layout;

INLINE Layout layout(int n, int S, int k, int C1, int C2, int H, int K) {
  Layout L;
  L.p = (k - 1) / 2;
  L.Sp = S + k - 1;
  L.Xs = up4(L.Sp + 4);
  L.P1 = S / 2;
  L.Q1 = L.P1 + k - 1;
  L.P2 = L.P1 / 2;
  L.F = L.P2 * L.P2 * C2;
  L.Kp = up4(K);
  L.KW = up4(k);
  int at = 0;
#define REGION(name, size) (L.name = at, at += up4(size))
  REGION(xpad, n * L.Sp * L.Xs + 8);
  REGION(p1pad, n * L.Q1 * L.Q1 * C1 + 4 * C1 + 8);
  REGION(flat, n * L.F);
  REGION(hd, n * H);
  REGION(dh, n * H);
  REGION(logits, n * L.Kp);
  REGION(dlog, n * L.Kp);
  REGION(dflat, n * L.F);
  REGION(paircnt, L.F / 2 + 1);
  REGION(pairrow, (L.F / 2 + 1) * n);
  REGION(pairval, 2 * (L.F / 2 + 1) * n);
  REGION(colcnt, L.F);
  REGION(colrow, n * L.F);
  REGION(colval, n * L.F);
  REGION(arg1, n * L.P1 * L.P1 * C1);
  REGION(arg2, n * L.P2 * L.P2 * C2);
  REGION(c1, L.Sp * L.Sp * C1);
  REGION(c2, L.Q1 * L.Q1 * C2);
  REGION(dp1, L.Q1 * L.Q1 * C1);
  REGION(dw2t, C2 * k * k * C1);
  REGION(w2t, C2 * k * k * C1);
  REGION(dw1, C1 * k * L.KW);
  REGION(hdcnt, n);
  REGION(hdidx, n * H);
  REGION(w2p, H * L.Kp);
  REGION(b4p, L.Kp);
  REGION(dw2p, H * L.Kp);
  REGION(hacc, 16 * n);
#undef REGION
  L.total = at;
  return L;
}

// Parameter offsets in the flat vector (PARAM_NAMES order).
typedef struct { int w1, b1, w2, b2, w3, b3, w4, b4; } Offsets;
INLINE Offsets offsets(int k, int C1, int C2, int F, int H, int K) {
  Offsets o;
  o.w1 = 0;
  o.b1 = o.w1 + k * k * C1;
  o.w2 = o.b1 + C1;
  o.b2 = o.w2 + k * k * C1 * C2;
  o.w3 = o.b2 + C2;
  o.b3 = o.w3 + F * H;
  o.w4 = o.b3 + H;
  o.b4 = o.w4 + H * K;
  return o;
}

// ---- forward ----

// One image: the padded input is ready at x; writes p1pad (interior) and arg1, then flat and arg2.
INLINE void forward_image(const float *P, Offsets o, Layout L, float *s, int b, int S, int k, int C1, int C2) {
  const int CV1 = C1 / 4, CV2 = C2 / 4, p = L.p, Xs = L.Xs, P1 = L.P1, Q1 = L.Q1, P2 = L.P2;
  const float *x = s + L.xpad + b * L.Sp * Xs;
  float *c1 = s + L.c1;
  // conv1 + bias as a scatter of the non-zero pixels (MNIST's background is 0: ≈ 80 % of
  // the pixels): pixel (y, x) adds v·W1[a][b][·] to output (y+p−a, x+p−b). The output buffer
  // has a border of p on every side for the outputs that fall outside; the ReLU comes with
  // the pooling (ReLU(max) = max(ReLU); the same first maximum where it is > 0).
  const int Sp = L.Sp;
  for (int i = 0; i < Sp * Sp; i++)
    for (int cv = 0; cv < CV1; cv++) st(c1 + i * C1 + 4 * cv, ld(P + o.b1 + 4 * cv));
  for (int y = 0; y < S; y++) {
    const float *xr = x + (y + p) * Xs + p;
    for (int xx = 0; xx < S; xx++) {
      const float v = xr[xx];
      if (v == 0.0f) continue;
      const V vv = wasm_f32x4_splat(v);
      float *base = c1 + ((y + 2 * p) * Sp + xx + 2 * p) * C1;
      for (int a = 0; a < k; a++) {
        for (int bb = 0; bb < k; bb++) {
          float *out = base - (a * Sp + bb) * C1;
          const float *w = P + o.w1 + (a * k + bb) * C1;
          for (int cv = 0; cv < CV1; cv++) st(out + 4 * cv, mad(ld(out + 4 * cv), vv, ld(w + 4 * cv)));
        }
      }
    }
  }
  // pool1: the first maximum of each window (row-major), its position, into p1pad's interior.
  float *p1 = s + L.p1pad + b * Q1 * Q1 * C1;
  int32_t *arg1 = (int32_t *)(s + L.arg1) + b * P1 * P1 * C1;
  const V one = wasm_i32x4_splat(1), two = wasm_i32x4_splat(2), three = wasm_i32x4_splat(3), none = wasm_i32x4_splat(-1);
  const V zero = wasm_f32x4_splat(0.0f);
  for (int i = 0; i < P1; i++) {
    for (int j = 0; j < P1; j++) {
      const float *c = c1 + ((2 * i + p) * Sp + 2 * j + p) * C1;
      for (int cv = 0; cv < CV1; cv++) {
        V m = ld(c + 4 * cv), at = wasm_i32x4_splat(0), v, gt;
        v = ld(c + C1 + 4 * cv), gt = wasm_f32x4_gt(v, m), m = wasm_v128_bitselect(v, m, gt), at = wasm_v128_bitselect(one, at, gt);
        v = ld(c + Sp * C1 + 4 * cv), gt = wasm_f32x4_gt(v, m), m = wasm_v128_bitselect(v, m, gt), at = wasm_v128_bitselect(two, at, gt);
        v = ld(c + (Sp + 1) * C1 + 4 * cv), gt = wasm_f32x4_gt(v, m), m = wasm_v128_bitselect(v, m, gt), at = wasm_v128_bitselect(three, at, gt);
        st(p1 + ((i + p) * Q1 + j + p) * C1 + 4 * cv, relu(m));
        wasm_v128_store(arg1 + (i * P1 + j) * C1 + 4 * cv, wasm_v128_bitselect(at, none, wasm_f32x4_gt(m, zero)));
      }
    }
  }
  // conv2 + bias, likewise a scatter of pool1's non-zero outputs into a bordered buffer
  // [Q1][Q1][C2] (ReLU with pool2).
  float *c2 = s + L.c2;
  for (int i = 0; i < Q1 * Q1; i++)
    for (int cv = 0; cv < CV2; cv++) st(c2 + i * C2 + 4 * cv, ld(P + o.b2 + 4 * cv));
  for (int y = 0; y < P1; y++) {
    for (int xx = 0; xx < P1; xx++) {
      const float *in = p1 + ((y + p) * Q1 + xx + p) * C1;
      float *base = c2 + ((y + 2 * p) * Q1 + xx + 2 * p) * C2;
      for (int ci = 0; ci < C1; ci++) {
        const float v = in[ci];
        if (v == 0.0f) continue;
        const V vv = wasm_f32x4_splat(v);
        for (int a = 0; a < k; a++) {
          for (int bb = 0; bb < k; bb++) {
            float *out = base - (a * Q1 + bb) * C2;
            const float *w = P + o.w2 + ((a * k + bb) * C1 + ci) * C2;
            for (int cv = 0; cv < CV2; cv++) st(out + 4 * cv, mad(ld(out + 4 * cv), vv, ld(w + 4 * cv)));
          }
        }
      }
    }
  }
  // pool2 into the flat row and arg2.
  float *flat = s + L.flat + b * L.F;
  int32_t *arg2 = (int32_t *)(s + L.arg2) + b * P2 * P2 * C2;
  for (int i = 0; i < P2; i++) {
    for (int j = 0; j < P2; j++) {
      const float *c = c2 + ((2 * i + p) * Q1 + 2 * j + p) * C2;
      for (int cv = 0; cv < CV2; cv++) {
        V m = ld(c + 4 * cv), at = wasm_i32x4_splat(0), v, gt;
        v = ld(c + C2 + 4 * cv), gt = wasm_f32x4_gt(v, m), m = wasm_v128_bitselect(v, m, gt), at = wasm_v128_bitselect(one, at, gt);
        v = ld(c + Q1 * C2 + 4 * cv), gt = wasm_f32x4_gt(v, m), m = wasm_v128_bitselect(v, m, gt), at = wasm_v128_bitselect(two, at, gt);
        v = ld(c + (Q1 + 1) * C2 + 4 * cv), gt = wasm_f32x4_gt(v, m), m = wasm_v128_bitselect(v, m, gt), at = wasm_v128_bitselect(three, at, gt);
        st(flat + (i * P2 + j) * C2 + 4 * cv, relu(m));
        wasm_v128_store(arg2 + (i * P2 + j) * C2 + 4 * cv, wasm_v128_bitselect(at, none, wasm_f32x4_gt(m, zero)));
      }
    }
  }
}

// The whole forward pass of n images (pixels [n][S][S]); mask [n][H] (0 or 1/(1-p)) or null.
// Writes the logits [n][Kp] and keeps what the backward pass needs in the scratch region.
INLINE void forward_impl(const float *P, const float *pixels, const float *mask, int n, float *s, int S, int k, int C1, int C2, int H, int K) {
  const Layout L = layout(n, S, k, C1, C2, H, K);
  const Offsets o = offsets(k, C1, C2, L.F, H, K);
  const int F = L.F, Kp = L.Kp;
  // The padded images (zero borders; Xs ≥ Sp + 4 leaves a margin for 4-wide reads).
  __builtin_memset(s + L.xpad, 0, sizeof(float) * (n * L.Sp * L.Xs + 8));
  __builtin_memset(s + L.p1pad, 0, sizeof(float) * (n * L.Q1 * L.Q1 * C1 + 4 * C1 + 8));
  for (int b = 0; b < n; b++) {
    float *x = s + L.xpad + b * L.Sp * L.Xs;
    for (int y = 0; y < S; y++) __builtin_memcpy(x + (y + L.p) * L.Xs + L.p, pixels + (b * S + y) * S, sizeof(float) * S);
  }
  for (int b = 0; b < n; b++) forward_image(P, o, L, s, b, S, k, C1, C2);

  // fc1's non-zero inputs per column (input feature): the rows where it is > 0.
  const float *flat = s + L.flat;
  int32_t *colcnt = (int32_t *)(s + L.colcnt), *colrow = (int32_t *)(s + L.colrow);
  float *colval = s + L.colval;
  for (int f = 0; f < F; f++) {
    int c = 0;
    for (int r = 0; r < n; r++) {
      float v = flat[r * F + f];
      colrow[f * n + c] = r;
      colval[f * n + c] = v;
      c += v != 0.0f;
    }
    colcnt[f] = c;
  }
  // ... and per pair of inputs (2q, 2q+1): the rows where either is non-zero, with both values.
  int32_t *paircnt = (int32_t *)(s + L.paircnt), *pairrow = (int32_t *)(s + L.pairrow);
  float *pairval = s + L.pairval;
  for (int q = 0; q < F / 2; q++) {
    int c = 0;
    for (int r = 0; r < n; r++) {
      float v1 = flat[r * F + 2 * q], v2 = flat[r * F + 2 * q + 1];
      pairrow[q * n + c] = r;
      pairval[2 * (q * n + c)] = v1;
      pairval[2 * (q * n + c) + 1] = v2;
      c += (v1 != 0.0f) | (v2 != 0.0f);
    }
    paircnt[q] = c;
  }
  // fc1 + bias + ReLU (+ dropout): hd [n][H], 16 columns at a time: the weight block rows
  // W1[f][j0..j0+16) of two inputs are loaded once into registers and added into the rows where
  // either input is non-zero (accumulators [n][16] in L1; W1's rows 2 KB apart would share few
  // L1 sets). Two inputs per visit halve the accumulators' stores, which bound this loop; the
  // sum's order is that of one input at a time (adding 0·w changes nothing).
  float *hd = s + L.hd, *acc = s + L.hacc;
  const float *W = P + o.w3;
  int j0 = 0;
  for (; j0 + 16 <= H; j0 += 16) {
    __builtin_memset(acc, 0, sizeof(float) * 16 * n);
    for (int q = 0; q < F / 2; q++) {
      const float *w = W + 2 * q * H + j0, *u = w + H;
      const V w0 = ld(w), w1 = ld(w + 4), w2 = ld(w + 8), w3 = ld(w + 12);
      const V u0 = ld(u), u1 = ld(u + 4), u2 = ld(u + 8), u3 = ld(u + 12);
      const int32_t *rows = pairrow + q * n;
      const float *vals = pairval + 2 * q * n;
      for (int t = 0, c = paircnt[q]; t < c; t++) {
        float *a = acc + rows[t] * 16;
        const V v = bc(vals + 2 * t), x = bc(vals + 2 * t + 1);
        st(a, mad(mad(ld(a), v, w0), x, u0)), st(a + 4, mad(mad(ld(a + 4), v, w1), x, u1));
        st(a + 8, mad(mad(ld(a + 8), v, w2), x, u2)), st(a + 12, mad(mad(ld(a + 12), v, w3), x, u3));
      }
    }
    if (F % 2) {
      const int f = F - 1;
      const float *w = W + f * H + j0;
      const V w0 = ld(w), w1 = ld(w + 4), w2 = ld(w + 8), w3 = ld(w + 12);
      const int32_t *rows = colrow + f * n;
      const float *vals = colval + f * n;
      for (int t = 0, c = colcnt[f]; t < c; t++) {
        float *a = acc + rows[t] * 16;
        const V v = bc(vals + t);
        st(a, mad(ld(a), v, w0)), st(a + 4, mad(ld(a + 4), v, w1)), st(a + 8, mad(ld(a + 8), v, w2)), st(a + 12, mad(ld(a + 12), v, w3));
      }
    }
    const V b0 = ld(P + o.b3 + j0), b1 = ld(P + o.b3 + j0 + 4), b2 = ld(P + o.b3 + j0 + 8), b3 = ld(P + o.b3 + j0 + 12);
    for (int r = 0; r < n; r++) {
      const float *a = acc + r * 16;
      V a0 = relu(wasm_f32x4_add(ld(a), b0)), a1 = relu(wasm_f32x4_add(ld(a + 4), b1)), a2 = relu(wasm_f32x4_add(ld(a + 8), b2)), a3 = relu(wasm_f32x4_add(ld(a + 12), b3));
      if (mask) {
        const float *m = mask + r * H + j0;
        a0 = wasm_f32x4_mul(a0, ld(m)), a1 = wasm_f32x4_mul(a1, ld(m + 4)), a2 = wasm_f32x4_mul(a2, ld(m + 8)), a3 = wasm_f32x4_mul(a3, ld(m + 12));
      }
      float *h = hd + r * H + j0;
      st(h, a0), st(h + 4, a1), st(h + 8, a2), st(h + 12, a3);
    }
  }
  for (; j0 < H; j0 += 4) {
    __builtin_memset(acc, 0, sizeof(float) * 4 * n);
    for (int f = 0; f < F; f++) {
      const V w0 = ld(W + f * H + j0);
      for (int t = 0, c = colcnt[f]; t < c; t++) {
        float *a = acc + colrow[f * n + t] * 4;
        st(a, mad(ld(a), bc(colval + f * n + t), w0));
      }
    }
    const V b0 = ld(P + o.b3 + j0);
    for (int r = 0; r < n; r++) {
      V a0 = relu(wasm_f32x4_add(ld(acc + r * 4), b0));
      if (mask) a0 = wasm_f32x4_mul(a0, ld(mask + r * H + j0));
      st(hd + r * H + j0, a0);
    }
  }
  // fc2's weights padded to Kp columns (zeros), then the logits over the non-zero hd.
  float *w2p = s + L.w2p;
  for (int j = 0; j < H; j++) {
    for (int c = 0; c < K; c++) w2p[j * Kp + c] = P[o.w4 + j * K + c];
    for (int c = K; c < Kp; c++) w2p[j * Kp + c] = 0.0f;
  }
  float *b4p = s + L.b4p;
  for (int c = 0; c < Kp; c++) b4p[c] = c < K ? P[o.b4 + c] : 0.0f;
  int32_t *hdcnt = (int32_t *)(s + L.hdcnt), *hdidx = (int32_t *)(s + L.hdidx);
  float *logits = s + L.logits;
  for (int r = 0; r < n; r++) {
    int c = 0;
    for (int j = 0; j < H; j++) {
      hdidx[r * H + c] = j;
      c += hd[r * H + j] != 0.0f;
    }
    hdcnt[r] = c;
    for (int cv = 0; cv < Kp; cv += 4) {
      V a = ld(b4p + cv);
      for (int t = 0; t < c; t++) {
        int j = hdidx[r * H + t];
        a = mad(a, bc(hd + r * H + j), ld(w2p + j * Kp + cv));
      }
      st(logits + r * Kp + cv, a);
    }
  }
}

// The backward pass after forward_impl, given dlog [n][Kp] (zeros past K) in the scratch
// region: writes every gradient but fc2.bias's (the caller's, with the loss) into G.
INLINE void backward_impl(const float *P, float *G, const float *mask, int n, float *s, int S, int k, int C1, int C2, int H, int K) {
  const Layout L = layout(n, S, k, C1, C2, H, K);
  const Offsets o = offsets(k, C1, C2, L.F, H, K);
  const int F = L.F, Kp = L.Kp, CV1 = C1 / 4, p = L.p, Q1 = L.Q1, P1 = L.P1, P2 = L.P2, Xs = L.Xs;
  const float *hd = s + L.hd, *dlog = s + L.dlog, *w2p = s + L.w2p;
  const int32_t *hdcnt = (int32_t *)(s + L.hdcnt), *hdidx = (int32_t *)(s + L.hdidx);
  float *dh = s + L.dh, *dw2p = s + L.dw2p;
  // fc2: dW2 = hdᵀ·dlog over the non-zero hd; dh = dlog·W2ᵀ where hd ≠ 0 (ReLU and dropout
  // pass nothing elsewhere), times the mask.
  __builtin_memset(dw2p, 0, sizeof(float) * H * Kp);
  __builtin_memset(dh, 0, sizeof(float) * n * H);
  for (int r = 0; r < n; r++) {
    for (int t = 0, c = hdcnt[r]; t < c; t++) {
      int j = hdidx[r * H + t];
      V h = bc(hd + r * H + j);
      V sum = wasm_f32x4_splat(0.0f);
      for (int cv = 0; cv < Kp; cv += 4) {
        V d = ld(dlog + r * Kp + cv);
        st(dw2p + j * Kp + cv, mad(ld(dw2p + j * Kp + cv), h, d));
        sum = mad(sum, d, ld(w2p + j * Kp + cv));
      }
      float g = (wasm_f32x4_extract_lane(sum, 0) + wasm_f32x4_extract_lane(sum, 1)) + (wasm_f32x4_extract_lane(sum, 2) + wasm_f32x4_extract_lane(sum, 3));
      dh[r * H + j] = mask ? g * mask[r * H + j] : g;
    }
  }
  for (int j = 0; j < H; j++)
    for (int c = 0; c < K; c++) G[o.w4 + j * K + c] = dw2p[j * Kp + c];
  // fc1.bias: Σ_r dh.
  for (int j = 0; j < H; j += 4) {
    V a = wasm_f32x4_splat(0.0f);
    for (int r = 0; r < n; r++) a = wasm_f32x4_add(a, ld(dh + r * H + j));
    st(G + o.b3 + j, a);
  }
  // fc1's non-zero inputs per column, from the forward pass.
  const int32_t *colcnt = (int32_t *)(s + L.colcnt), *colrow = (int32_t *)(s + L.colrow);
  const float *colval = s + L.colval;
  // dW1 [F][H] = flatᵀ·dh, 16 columns at a time (dh's column block stays in L1).
  const float *W = P + o.w3;
  float *dW = G + o.w3;
  int j0 = 0;
  float *dhp = s + L.hacc;
  for (; j0 + 16 <= H; j0 += 16) {
    // dh's column block packed [n][16] (its rows 2 KB apart would share few L1 sets).
    for (int r = 0; r < n; r++)
      for (int e = 0; e < 16; e += 4) st(dhp + r * 16 + e, ld(dh + r * H + j0 + e));
    for (int f = 0; f < F; f++) {
      V a0 = wasm_f32x4_splat(0.0f), a1 = a0, a2 = a0, a3 = a0;
      for (int t = 0, c = colcnt[f]; t < c; t++) {
        const float *d = dhp + colrow[f * n + t] * 16;
        V v = bc(colval + f * n + t);
        a0 = mad(a0, v, ld(d)), a1 = mad(a1, v, ld(d + 4)), a2 = mad(a2, v, ld(d + 8)), a3 = mad(a3, v, ld(d + 12));
      }
      float *out = dW + f * H + j0;
      st(out, a0), st(out + 4, a1), st(out + 8, a2), st(out + 12, a3);
    }
  }
  for (; j0 < H; j0 += 4) {
    for (int f = 0; f < F; f++) {
      V a0 = wasm_f32x4_splat(0.0f);
      for (int t = 0, c = colcnt[f]; t < c; t++) a0 = mad(a0, bc(colval + f * n + t), ld(dh + colrow[f * n + t] * H + j0));
      st(dW + f * H + j0, a0);
    }
  }
  // dflat [n][F] = dh·W1ᵀ, only where flat > 0 (the only entries pool2's backward reads).
  // Four rows at a time: each load of W1's row serves four dot products (loads, not
  // arithmetic, bound the single-row loop).
  float *dflat = s + L.dflat;
  for (int f = 0; f < F; f++) {
    const float *w = W + f * H;
    const int c = colcnt[f];
    const int32_t *rows = colrow + f * n;
    int t = 0;
    for (; t + 4 <= c; t += 4) {
      const float *d0 = dh + rows[t] * H, *d1 = dh + rows[t + 1] * H, *d2 = dh + rows[t + 2] * H, *d3 = dh + rows[t + 3] * H;
      V a0 = wasm_f32x4_splat(0.0f), b0 = a0, a1 = a0, b1 = a0, a2 = a0, b2 = a0, a3 = a0, b3 = a0;
      int j = 0;
      for (; j + 8 <= H; j += 8) {
        const V wa = ld(w + j), wb = ld(w + j + 4);
        a0 = mad(a0, ld(d0 + j), wa), b0 = mad(b0, ld(d0 + j + 4), wb);
        a1 = mad(a1, ld(d1 + j), wa), b1 = mad(b1, ld(d1 + j + 4), wb);
        a2 = mad(a2, ld(d2 + j), wa), b2 = mad(b2, ld(d2 + j + 4), wb);
        a3 = mad(a3, ld(d3 + j), wa), b3 = mad(b3, ld(d3 + j + 4), wb);
      }
      for (; j < H; j += 4) {
        const V wa = ld(w + j);
        a0 = mad(a0, ld(d0 + j), wa), a1 = mad(a1, ld(d1 + j), wa), a2 = mad(a2, ld(d2 + j), wa), a3 = mad(a3, ld(d3 + j), wa);
      }
      a0 = wasm_f32x4_add(a0, b0), a1 = wasm_f32x4_add(a1, b1), a2 = wasm_f32x4_add(a2, b2), a3 = wasm_f32x4_add(a3, b3);
      dflat[rows[t] * F + f] = (wasm_f32x4_extract_lane(a0, 0) + wasm_f32x4_extract_lane(a0, 1)) + (wasm_f32x4_extract_lane(a0, 2) + wasm_f32x4_extract_lane(a0, 3));
      dflat[rows[t + 1] * F + f] = (wasm_f32x4_extract_lane(a1, 0) + wasm_f32x4_extract_lane(a1, 1)) + (wasm_f32x4_extract_lane(a1, 2) + wasm_f32x4_extract_lane(a1, 3));
      dflat[rows[t + 2] * F + f] = (wasm_f32x4_extract_lane(a2, 0) + wasm_f32x4_extract_lane(a2, 1)) + (wasm_f32x4_extract_lane(a2, 2) + wasm_f32x4_extract_lane(a2, 3));
      dflat[rows[t + 3] * F + f] = (wasm_f32x4_extract_lane(a3, 0) + wasm_f32x4_extract_lane(a3, 1)) + (wasm_f32x4_extract_lane(a3, 2) + wasm_f32x4_extract_lane(a3, 3));
    }
    for (; t < c; t++) {
      const int r = colrow[f * n + t];
      const float *d = dh + r * H;
      V a0 = wasm_f32x4_splat(0.0f), a1 = a0, a2 = a0, a3 = a0;
      int j = 0;
      for (; j + 16 <= H; j += 16) {
        a0 = mad(a0, ld(d + j), ld(w + j)), a1 = mad(a1, ld(d + j + 4), ld(w + j + 4));
        a2 = mad(a2, ld(d + j + 8), ld(w + j + 8)), a3 = mad(a3, ld(d + j + 12), ld(w + j + 12));
      }
      for (; j < H; j += 4) a0 = mad(a0, ld(d + j), ld(w + j));
      V a = wasm_f32x4_add(wasm_f32x4_add(a0, a1), wasm_f32x4_add(a2, a3));
      dflat[r * F + f] = (wasm_f32x4_extract_lane(a, 0) + wasm_f32x4_extract_lane(a, 1)) + (wasm_f32x4_extract_lane(a, 2) + wasm_f32x4_extract_lane(a, 3));
    }
  }
  // conv2's weights as [C2][k·k][C1] (in-channels contiguous), for its input gradient.
  float *w2t = s + L.w2t, *dw2t = s + L.dw2t, *dw1 = s + L.dw1, *dp1 = s + L.dp1;
  const int KK = k * k;
  for (int t = 0; t < KK; t++)
    for (int ci = 0; ci < C1; ci++)
      for (int co = 0; co < C2; co++) w2t[(co * KK + t) * C1 + ci] = P[o.w2 + (t * C1 + ci) * C2 + co];
  __builtin_memset(dw2t, 0, sizeof(float) * C2 * KK * C1);
  __builtin_memset(dw1, 0, sizeof(float) * C1 * k * L.KW);
  double db2[4 * CVMAX], db1[4 * CVMAX];
  for (int c = 0; c < C2; c++) db2[c] = 0;
  for (int c = 0; c < C1; c++) db1[c] = 0;
  const int32_t *arg1all = (const int32_t *)(s + L.arg1), *arg2all = (const int32_t *)(s + L.arg2);
  for (int b = 0; b < n; b++) {
    // pool2 + ReLU backward: each window's gradient at its maximum; scattered into conv2's
    // filter gradient (dW2[co][tap][·] += g·p1[y+a][x+b][·]) and input gradient
    // (dp1[y+a][x+b][·] += g·W2[co][tap][·]).
    const float *p1 = s + L.p1pad + b * Q1 * Q1 * C1;
    const int32_t *arg2 = arg2all + b * P2 * P2 * C2;
    const float *dz = dflat + b * F;
    __builtin_memset(dp1, 0, sizeof(float) * Q1 * Q1 * C1);
    for (int q = 0; q < P2 * P2; q++) {
      const int i = q / P2, j = q % P2;
      for (int co = 0; co < C2; co++) {
        const int at = arg2[q * C2 + co];
        if (at < 0) continue;
        const float g = dz[q * C2 + co];
        db2[co] += g;
        const int y = 2 * i + (at >> 1), x = 2 * j + (at & 1);
        const V gv = wasm_f32x4_splat(g);
        for (int a = 0; a < k; a++) {
          const float *in = p1 + ((y + a) * Q1 + x) * C1;
          float *din = dp1 + ((y + a) * Q1 + x) * C1;
          float *dw = dw2t + (co * KK + a * k) * C1;
          const float *w = w2t + (co * KK + a * k) * C1;
          for (int bb = 0; bb < k; bb++)
            for (int cv = 0; cv < CV1; cv++) {
              const int e = bb * C1 + 4 * cv;
              st(dw + e, mad(ld(dw + e), gv, ld(in + e)));
              st(din + e, mad(ld(din + e), gv, ld(w + e)));
            }
        }
      }
    }
    // pool1 + ReLU backward, scattered into conv1's filter gradient
    // (dW1[c][a][0..KW) += g·x[y+a][x..x+KW); lanes past k unused).
    const float *xim = s + L.xpad + b * L.Sp * Xs;
    const int32_t *arg1 = arg1all + b * P1 * P1 * C1;
    for (int q = 0; q < P1 * P1; q++) {
      const int i = q / P1, j = q % P1;
      for (int c = 0; c < C1; c++) {
        const int at = arg1[q * C1 + c];
        if (at < 0) continue;
        const float g = dp1[((i + p) * Q1 + j + p) * C1 + c];
        db1[c] += g;
        const int y = 2 * i + (at >> 1), x = 2 * j + (at & 1);
        const V gv = wasm_f32x4_splat(g);
        for (int a = 0; a < k; a++) {
          const float *in = xim + (y + a) * Xs + x;
          float *dw = dw1 + (c * k + a) * L.KW;
          for (int e = 0; e < L.KW; e += 4) st(dw + e, mad(ld(dw + e), gv, ld(in + e)));
        }
      }
    }
  }
  for (int t = 0; t < KK; t++)
    for (int ci = 0; ci < C1; ci++)
      for (int co = 0; co < C2; co++) G[o.w2 + (t * C1 + ci) * C2 + co] = dw2t[(co * KK + t) * C1 + ci];
  for (int c = 0; c < C2; c++) G[o.b2 + c] = (float)db2[c];
  for (int a = 0; a < k; a++)
    for (int bb = 0; bb < k; bb++)
      for (int c = 0; c < C1; c++) G[o.w1 + (a * k + bb) * C1 + c] = dw1[(c * k + a) * L.KW + bb];
  for (int c = 0; c < C1; c++) G[o.b1 + c] = (float)db1[c];
}

// ---- exports: the seed's shape with constant dimensions (fully unrolled), others generic ----
#define SEED(S, k, C1, C2, H, K) ((S) == 28 && (k) == 5 && (C1) == 4 && (C2) == 8 && (H) == 512 && (K) == 10)

EXPORT(scratch_floats) int scratch_floats(int n, int S, int k, int C1, int C2, int H, int K) {
  return layout(n, S, k, C1, C2, H, K).total;
}

EXPORT(logits_offset) int logits_offset(int n, int S, int k, int C1, int C2, int H, int K) {
  return layout(n, S, k, C1, C2, H, K).logits;
}

EXPORT(dlog_offset) int dlog_offset(int n, int S, int k, int C1, int C2, int H, int K) {
  return layout(n, S, k, C1, C2, H, K).dlog;
}

EXPORT(forward) void forward(const float *P, const float *pixels, const float *mask, int n, float *s, int S, int k, int C1, int C2, int H, int K) {
  if (SEED(S, k, C1, C2, H, K)) forward_impl(P, pixels, mask, n, s, 28, 5, 4, 8, 512, 10);
  else forward_impl(P, pixels, mask, n, s, S, k, C1, C2, H, K);
}

EXPORT(backward) void backward(const float *P, float *G, const float *mask, int n, float *s, int S, int k, int C1, int C2, int H, int K) {
  if (SEED(S, k, C1, C2, H, K)) backward_impl(P, G, mask, n, s, 28, 5, 4, 8, 512, 10);
  else backward_impl(P, G, mask, n, s, S, k, C1, C2, H, K);
}

// The dropout keep-masks of rows [from, to) of a step's batch, [to − from][hidden], 0 or keep:
// the same numbers as dropoutRows() in replica.ts (each row its own mulberry32 stream seeded
// from seed, step and row; an element is dropped when the stream's next value / 2³² < p).
EXPORT(dropout_mask) void dropout_mask(float *out, uint32_t seed, uint32_t step, int hidden, double p, float keep, int from, int to) {
  for (int r = from; r < to; r++) {
    uint32_t h = seed ^ 0x5bd1e995u;
    h = (h ^ step) * 0x27d4eb2du;
    h = (h ^ (h >> 15) ^ (uint32_t)r) * 0x85ebca6bu;
    uint32_t state = (h ^ (h >> 13)) ^ 0x9e3779b9u;
    float *m = out + (r - from) * hidden;
    for (int j = 0; j < hidden; j++) {
      state += 0x6d2b79f5u;
      uint32_t t = (state ^ (state >> 15)) * (state | 1u);
      t ^= t + (t ^ (t >> 7)) * (t | 61u);
      m[j] = (double)(t ^ (t >> 14)) / 4294967296.0 < p ? 0.0f : keep;
    }
  }
}
