/** A small seeded PRNG (mulberry32): the same seed gives the same shuffles and dropout masks. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = (seed >>> 0) ^ 0x9e3779b9;
  }
  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** A 31-bit integer, e.g. a seed for another generator. */
  int(): number {
    return Math.floor(this.next() * 0x7fffffff);
  }
  /** A uniformly random permutation of 0..n-1 (Fisher–Yates). */
  permutation(n: number): Uint32Array {
    const p = new Uint32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      const t = p[i]!;
      p[i] = p[j]!;
      p[j] = t;
    }
    return p;
  }
}

/**
 * Mixes a seed, a step and a row into the seed of that row's own stream (the dropout mask, the
 * augmentation): the same whatever the number of replicas, and no replica draws rows it does not use.
 */
export function rowSeed(seed: number, step: number, row: number): number {
  let h = (seed ^ 0x5bd1e995) >>> 0;
  h = Math.imul(h ^ step, 0x27d4eb2d) >>> 0;
  h = Math.imul(h ^ (h >>> 15) ^ row, 0x85ebca6b) >>> 0;
  return (h ^ (h >>> 13)) >>> 0;
}
