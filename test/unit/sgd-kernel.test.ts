import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Arena, SgdKernel } from '../../src/core/train/sgdKernel';

// The WebAssembly SIMD update against the plain float32 definition, bit for bit: every product
// and sum rounded to float32 (as PyTorch computes v = μv + g; p -= lr·v), gradients of several
// replicas summed in replica order. Lengths not divisible by 4 exercise the JavaScript tail.
const f = Math.fround;
function reference(p: Float32Array, v: Float32Array, grads: Float32Array[], w: number[], lr: number, mu: number): void {
  const single = grads.length === 1 && w[0] === 1;
  for (let i = 0; i < p.length; i++) {
    let s = single ? grads[0]![i]! : 0;
    if (!single) for (let r = 0; r < grads.length; r++) s = f(s + f(f(w[r]!) * grads[r]![i]!));
    const vi = f(f(f(mu) * v[i]!) + s);
    v[i] = vi;
    p[i] = f(p[i]! - f(f(lr) * vi));
  }
}

for (const shared of [false, true]) {
  for (const replicas of [1, 2, 3, 5]) {
    test(`SIMD update = float32 reference, bit for bit (${replicas} gradient${replicas > 1 ? 's' : ''}, ${shared ? 'shared' : 'own'} memory)`, () => {
      const len = 10_007;
      const arena = new Arena(Arena.floatsFor(Array<number>(3 + replicas).fill(len)), shared);
      const kernel = new SgdKernel(arena);
      const [p, v, sum] = [arena.alloc(len), arena.alloc(len), arena.alloc(len)];
      const grads = Array.from({ length: replicas }, () => arena.alloc(len));
      const rp = new Float32Array(len);
      const rv = new Float32Array(len);
      let seed = 12345;
      const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32 - 0.5;
      for (let i = 0; i < len; i++) {
        rp[i] = p[i] = rnd() * 0.2;
        rv[i] = v[i] = rnd() * 1e-3;
        // Some gradients tiny enough to give subnormal products: no flush to zero allowed.
        for (const g of grads) g[i] = rnd() * (i % 11 === 0 ? 1e-36 : 1e-2);
      }
      const weights = replicas === 1 ? [1] : grads.map((_, r) => (r + 1) / ((replicas * (replicas + 1)) / 2));
      for (let step = 0; step < 4; step++) {
        assert.equal(kernel.update(p, v, grads, weights, 0.001, 0.9, sum), true);
        reference(rp, rv, grads, weights, 0.001, 0.9);
      }
      let mismatches = 0;
      for (let i = 0; i < len; i++) if (!Object.is(p[i], rp[i]) || !Object.is(v[i], rv[i])) mismatches++;
      assert.equal(mismatches, 0, `${mismatches} of ${len} values differ from the float32 reference`);
      assert.ok(
        p.some((x, i) => x !== grads[0]![i]),
        'the weights changed',
      );
    });
  }
}

test('SIMD update declines arrays outside its memory (the caller then runs the JavaScript loop)', () => {
  const arena = new Arena(Arena.floatsFor([8, 8, 8]), false);
  const kernel = new SgdKernel(arena);
  const [p, v, sum] = [arena.alloc(8), arena.alloc(8), arena.alloc(8)];
  const outside = new Float32Array(8).fill(1);
  assert.equal(kernel.update(p, v, [outside], [1], 0.1, 0.9, sum), false);
  assert.deepEqual([...p], Array(8).fill(0), 'nothing written');
});
