/**
 * The SGD-momentum update as a small WebAssembly SIMD module (4 floats per instruction), in
 * float32 exactly as PyTorch rounds it and as the JavaScript loop it replaces computed it
 * (Math.fround after every operation; wasm's f32 arithmetic is IEEE single precision, with
 * subnormals, never fused): v = μ·v + Σ wᵣ·gᵣ; p = p − lr·v. In JavaScript the loop over the
 * seed network's 211,690 parameters took ≈ 1 ms a step (docs/performance.md).
 *
 * The module is assembled here from its instructions (no toolchain needed): three functions
 * over one imported memory, which holds the weights, the velocity and the gradients. Arrays
 * passed in must be views of that memory (`Arena`).
 */

// The few WebAssembly JS API types used here (the project's lib has no DOM, where they live).
declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- augments the global WebAssembly namespace's types
  namespace WebAssembly {
    interface MemoryDescriptor {
      initial: number;
      maximum?: number;
      shared?: boolean;
    }
    class Memory {
      constructor(descriptor: MemoryDescriptor);
      readonly buffer: ArrayBuffer | SharedArrayBuffer;
    }
    class Module {
      constructor(bytes: Uint8Array);
    }
    class Instance {
      constructor(module: Module, imports: Record<string, Record<string, unknown>>);
      readonly exports: Record<string, unknown>;
    }
  }
}

/** float32 arrays carved out of one WebAssembly.Memory (shared between threads when asked). */
export class Arena {
  private next = 0;
  readonly memory: WebAssembly.Memory;

  constructor(
    readonly floats: number,
    readonly shared: boolean,
  ) {
    // 4 extra floats per region for 16-byte alignment, regions counted by the caller.
    const pages = Math.max(1, Math.ceil((floats * 4 + 1024) / 65536));
    this.memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared });
  }

  /** Bytes needed for regions of these sizes (with alignment). */
  static floatsFor(sizes: number[]): number {
    return sizes.reduce((a, n) => a + Math.ceil(n / 4) * 4 + 4, 0);
  }

  /** Adopts a memory made elsewhere (a replica thread gets the coordinator's). */
  static of(memory: WebAssembly.Memory, shared: boolean): Arena {
    const a = Object.create(Arena.prototype) as Arena;
    Object.assign(a, { memory, shared, floats: memory.buffer.byteLength / 4, next: 0 });
    return a;
  }

  /** A new zeroed region of n floats; returns its view (the offset is view.byteOffset). */
  alloc(n: number): Float32Array {
    const start = Math.ceil(this.next / 16) * 16;
    if (start + n * 4 > this.memory.buffer.byteLength) throw new Error(`arena: ${n} floats do not fit`);
    this.next = start + n * 4;
    return new Float32Array(this.memory.buffer, start, n);
  }

  /** A view of n floats at a byte offset (a region allocated by another thread's Arena). */
  at(byteOffset: number, n: number): Float32Array {
    return new Float32Array(this.memory.buffer, byteOffset, n);
  }
}

// ---- the module, instruction by instruction ----
const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;
const uleb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
};
const str = (s: string) => [...uleb(s.length), ...Buffer.from(s, 'utf8')];
const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];
const get = (i: number) => [0x20, ...uleb(i)];
const set = (i: number) => [0x21, ...uleb(i)];
const simd = (op: number, ...imm: number[]) => [0xfd, ...uleb(op), ...imm];
const load = (addr: number) => [...get(addr), ...simd(0, 2, 0)]; // v128.load align=4 offset=0
const store = simd(11, 2, 0); // v128.store
const splat = simd(19); // f32x4.splat
const add = simd(228);
const sub = simd(229);
const mul = simd(230);
const div = simd(231);
const sqrt = simd(227);
const bump = (i: number) => [...get(i), 0x41, 16, 0x6a, ...set(i)]; // local += 16
const countDown = (i: number) => [...get(i), 0x41, 1, 0x6b, ...set(i)]; // local -= 1
/** block { loop { if (n == 0) break; body; continue } } */
const loop = (n: number, body: number[]) => [
  0x02,
  0x40,
  0x03,
  0x40,
  ...get(n),
  0x45,
  0x0d,
  1,
  ...body,
  ...countDown(n),
  0x0c,
  0,
  0x0b,
  0x0b,
];
const func = (locals: [number, number][], body: number[]) => {
  const code = [...vec(locals.map(([c, t]) => [...uleb(c), t])), ...body, 0x0b];
  return [...uleb(code.length), ...code];
};

/** p = p − lr·v after v = μ·v + s, for the 4-float groups at p, v, s (params 0..2). */
const updateTail = (p: number, v: number, sumLocal: number, lr: number, mu: number, vi: number) => [
  ...get(mu),
  ...load(v),
  ...mul,
  ...get(sumLocal),
  ...add,
  ...set(vi),
  ...get(v),
  ...get(vi),
  ...store,
  ...get(p),
  ...load(p),
  ...get(lr),
  ...get(vi),
  ...mul,
  ...sub,
  ...store,
];

function moduleBytes(shared: boolean, pages: number): Uint8Array {
  const types = section(
    1,
    vec([
      [0x60, ...vec([[I32], [I32], [I32], [F32], [F32], [I32]]), 0], // sgd1(p, v, g, lr, mu, n4)
      [0x60, ...vec([[I32], [I32], [I32], [I32], [F32], [F32], [F32], [F32], [I32]]), 0], // sgd2(p, v, g0, g1, w0, w1, lr, mu, n4)
      [0x60, ...vec([[I32], [I32], [F32], [I32], [I32]]), 0], // acc(s, g, w, first, n4)
      // adam(p, m, v, g, b1, a1, b2, a2, negStepSize, bc2Sqrt, eps, decay, wd, n4)
      [0x60, ...vec([[I32], [I32], [I32], [I32], [F32], [F32], [F32], [F32], [F32], [F32], [F32], [F32], [F32], [I32]]), 0],
    ]),
  );
  const imports = section(2, vec([[...str('env'), ...str('memory'), 0x02, shared ? 0x03 : 0x01, ...uleb(pages), ...uleb(pages)]]));
  const funcs = section(3, vec([[0], [1], [2], [3]]));
  const exports = section(
    7,
    vec([
      [...str('sgd1'), 0, 0],
      [...str('sgd2'), 0, 1],
      [...str('acc'), 0, 2],
      [...str('adam'), 0, 3],
    ]),
  );
  // sgd1: params p0 v1 g2 lr3 mu4 n5; locals lr6 mu7 vi8 s9 (v128)
  const sgd1 = func(
    [[4, V128]],
    [
      ...get(3),
      ...splat,
      ...set(6),
      ...get(4),
      ...splat,
      ...set(7),
      ...loop(5, [...load(2), ...set(9), ...updateTail(0, 1, 9, 6, 7, 8), ...bump(0), ...bump(1), ...bump(2)]),
    ],
  );
  // sgd2: params p0 v1 g0 2 g1 3 w0 4 w1 5 lr6 mu7 n8; locals w0 9, w1 10, lr 11, mu 12, vi 13, s 14
  const sgd2 = func(
    [[6, V128]],
    [
      ...get(4),
      ...splat,
      ...set(9),
      ...get(5),
      ...splat,
      ...set(10),
      ...get(6),
      ...splat,
      ...set(11),
      ...get(7),
      ...splat,
      ...set(12),
      ...loop(8, [
        ...get(9),
        ...load(2),
        ...mul,
        ...get(10),
        ...load(3),
        ...mul,
        ...add,
        ...set(14),
        ...updateTail(0, 1, 14, 11, 12, 13),
        ...bump(0),
        ...bump(1),
        ...bump(2),
        ...bump(3),
      ]),
    ],
  );
  // acc: params s0 g1 w2 first3 n4; locals w5, t6 (v128): s = first ? w·g : s + w·g
  const acc = func(
    [[2, V128]],
    [
      ...get(2),
      ...splat,
      ...set(5),
      ...loop(4, [
        ...get(0),
        ...get(5),
        ...load(1),
        ...mul,
        0x22,
        6, // local.tee t
        ...get(6),
        ...load(0),
        ...add,
        ...get(3),
        0x1b, // select(t, t + s, first)
        ...store,
        ...bump(0),
        ...bump(1),
      ]),
    ],
  );
  // adam: params p0 m1 v2 g3, scalars 4..12 (b1 a1 b2 a2 nss bc2 eps decay wd), n13; locals: their
  // splats 14..22, gi 23, pi 24, mi 25, vi 26 (v128). Adam and AdamW (optimizer.ts), op for op.
  const splats = Array.from({ length: 9 }, (_, k) => [...get(4 + k), ...splat, ...set(14 + k)]).flat();
  const [B1, A1, B2, A2, NSS, BC2, EPS, DECAY, WD, GI, PI, MI, VI] = [14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26];
  const adam = func(
    [[13, V128]],
    [
      ...splats,
      ...loop(13, [
        ...load(0),
        ...set(PI),
        // gi = g + wd·p (Adam's L2 term; wd 0 for AdamW)
        ...load(3),
        ...get(WD),
        ...get(PI),
        ...mul,
        ...add,
        ...set(GI),
        // p = p·(1 − lr·wd) (AdamW's decoupled decay; 1 for Adam)
        ...get(PI),
        ...get(DECAY),
        ...mul,
        ...set(PI),
        // m = b1·m + (1 − b1)·gi
        ...get(1),
        ...get(B1),
        ...load(1),
        ...mul,
        ...get(A1),
        ...get(GI),
        ...mul,
        ...add,
        0x22,
        MI, // local.tee mi
        ...store,
        // v = b2·v + (1 − b2)·gi·gi
        ...get(2),
        ...get(B2),
        ...load(2),
        ...mul,
        ...get(A2),
        ...get(GI),
        ...mul,
        ...get(GI),
        ...mul,
        ...add,
        0x22,
        VI, // local.tee vi
        ...store,
        // p = p + (−stepSize·m) / (√v / √bc2 + eps)
        ...get(0),
        ...get(PI),
        ...get(NSS),
        ...get(MI),
        ...mul,
        ...get(VI),
        ...sqrt,
        ...get(BC2),
        ...div,
        ...get(EPS),
        ...add,
        ...div,
        ...add,
        ...store,
        ...bump(0),
        ...bump(1),
        ...bump(2),
        ...bump(3),
      ]),
    ],
  );
  const code = section(10, vec([sgd1, sgd2, acc, adam]));
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...types, ...imports, ...funcs, ...exports, ...code]);
}

interface Exports {
  sgd1(p: number, v: number, g: number, lr: number, mu: number, n4: number): void;
  sgd2(p: number, v: number, g0: number, g1: number, w0: number, w1: number, lr: number, mu: number, n4: number): void;
  acc(s: number, g: number, w: number, first: number, n4: number): void;
  adam(
    p: number,
    m: number,
    v: number,
    g: number,
    b1: number,
    a1: number,
    b2: number,
    a2: number,
    negStepSize: number,
    bc2Sqrt: number,
    eps: number,
    decay: number,
    wd: number,
    n4: number,
  ): void;
}

/** Adam/AdamW's float32 scalars for one step (optimizer.ts rounds them as PyTorch's kernels do). */
export interface AdamScalars {
  b1: number;
  a1: number;
  b2: number;
  a2: number;
  negStepSize: number;
  bc2Sqrt: number;
  eps: number;
  decay: number;
  wd: number;
}

/** One element of the Adam update, exactly as the module computes it (the tail, and arrays outside the arena). */
export function adamElement(p: Float32Array, m: Float32Array, v: Float32Array, g: Float32Array, i: number, c: AdamScalars): void {
  const f = Math.fround;
  let pi = p[i]!;
  const gi = f(g[i]! + f(c.wd * pi));
  pi = f(pi * c.decay);
  const mi = f(f(c.b1 * m[i]!) + f(c.a1 * gi));
  const vi = f(f(c.b2 * v[i]!) + f(f(c.a2 * gi) * gi));
  m[i] = mi;
  v[i] = vi;
  p[i] = f(pi + f(f(c.negStepSize * mi) / f(f(f(Math.sqrt(vi)) / c.bc2Sqrt) + c.eps)));
}

/** The update over views of one Arena's memory. */
export class SgdKernel {
  private readonly fns: Exports;

  constructor(private readonly arena: Arena) {
    const pages = arena.memory.buffer.byteLength / 65536;
    const module = new WebAssembly.Module(moduleBytes(arena.shared, pages));
    this.fns = new WebAssembly.Instance(module, { env: { memory: arena.memory } }).exports as unknown as Exports;
  }

  /**
   * Adam/AdamW on p with the gradient g: m and v are exp_avg and exp_avg_sq. Every array must be
   * a view of the arena (else false, nothing done); the last len % 4 values in JavaScript.
   */
  adam(p: Float32Array, m: Float32Array, v: Float32Array, g: Float32Array, c: AdamScalars): boolean {
    if (![p, m, v, g].every((a) => this.owns(a))) return false;
    const n4 = p.length >>> 2;
    this.fns.adam(
      p.byteOffset,
      m.byteOffset,
      v.byteOffset,
      g.byteOffset,
      c.b1,
      c.a1,
      c.b2,
      c.a2,
      c.negStepSize,
      c.bc2Sqrt,
      c.eps,
      c.decay,
      c.wd,
      n4,
    );
    for (let i = n4 * 4; i < p.length; i++) adamElement(p, m, v, g, i, c);
    return true;
  }

  /** out = Σᵣ wᵣ·gᵣ in replica order, as `update` sums them; false (nothing done) when an array is not in the arena. */
  sum(grads: Float32Array[], weights: number[], out: Float32Array): boolean {
    if (![out, ...grads].every((a) => this.owns(a)) || grads.length === 0) return false;
    const n4 = out.length >>> 2;
    grads.forEach((g, r) => this.fns.acc(out.byteOffset, g.byteOffset, weights[r]!, r === 0 ? 1 : 0, n4));
    const f = Math.fround;
    for (let i = n4 * 4; i < out.length; i++) {
      let s = 0;
      for (let r = 0; r < grads.length; r++) s = f(s + f(f(weights[r]!) * grads[r]![i]!));
      out[i] = s;
    }
    return true;
  }

  private owns(a: Float32Array): boolean {
    return a.buffer === this.arena.memory.buffer;
  }

  /**
   * v = μ·v + Σᵣ wᵣ·gᵣ (summed in order r = 0, 1, …); p = p − lr·v. `sum` is scratch space for
   * more than two gradients. Returns false (nothing done) when an array is not in the arena.
   */
  update(p: Float32Array, v: Float32Array, grads: Float32Array[], weights: number[], lr: number, mu: number, sum: Float32Array): boolean {
    const all = [p, v, sum, ...grads];
    if (!all.every((a) => this.owns(a)) || grads.length === 0) return false;
    const len = p.length;
    const n4 = len >>> 2;
    const f = Math.fround;
    const single = grads.length === 1 && weights[0] === 1;
    if (single) this.fns.sgd1(p.byteOffset, v.byteOffset, grads[0]!.byteOffset, lr, mu, n4);
    else if (grads.length === 2)
      this.fns.sgd2(p.byteOffset, v.byteOffset, grads[0]!.byteOffset, grads[1]!.byteOffset, weights[0]!, weights[1]!, lr, mu, n4);
    else {
      grads.forEach((g, r) => this.fns.acc(sum.byteOffset, g.byteOffset, weights[r]!, r === 0 ? 1 : 0, n4));
      this.fns.sgd1(p.byteOffset, v.byteOffset, sum.byteOffset, lr, mu, n4);
    }
    // The last len % 4 values, in JavaScript with the same roundings.
    for (let i = n4 * 4; i < len; i++) {
      let s = single ? grads[0]![i]! : 0;
      if (!single) for (let r = 0; r < grads.length; r++) s = f(s + f(f(weights[r]!) * grads[r]![i]!));
      const vi = f(f(f(mu) * v[i]!) + s);
      v[i] = vi;
      p[i] = f(p[i]! - f(f(lr) * vi));
    }
    return true;
  }
}
