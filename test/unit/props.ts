// fast-check settings shared by the property tests: bounded runs, a reproducible seed (FC_SEED
// replays a failure), the seed and the counterexample printed when a property fails.
import fc from 'fast-check';

export const SEED = process.env.FC_SEED ? Number(process.env.FC_SEED) : Date.now() % 2_147_483_647;

/** Runs a property; on failure prints the seed (FC_SEED=… reruns it) and rethrows fast-check's report. */
export function checkProperty<T>(name: string, prop: fc.IPropertyWithHooks<T> | fc.IProperty<T>, numRuns = 1000): void {
  try {
    fc.assert(prop as fc.IProperty<T>, {
      seed: SEED,
      numRuns,
      interruptAfterTimeLimit: 60_000,
      markInterruptAsFailure: false,
      endOnFailure: true,
    });
  } catch (e) {
    process.stderr.write(`property "${name}" failed; rerun with FC_SEED=${SEED}\n`);
    throw e;
  }
}

/** Keys an attacker reaches for: inherited names, the prototype setter, near misses. */
export const HOSTILE_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
  'isPrototypeOf',
  '__defineGetter__',
  'toJSON',
  'then',
  '',
] as const;

/** Any value, small: nested objects and arrays, odd numbers (NaN, -0, ±Infinity), BigInt, null prototypes, sparse arrays, Maps, Dates… */
export const anyValue = fc.anything({
  maxDepth: 3,
  maxKeys: 5,
  withBigInt: true,
  withBoxedValues: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withObjectString: true,
  withSparseArray: true,
  withTypedArray: true,
  key: fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom(...HOSTILE_KEYS)),
});

/** `o` with `key` set as an own data property (a `__proto__` key stays a key, as JSON.parse makes it). */
export function withOwn<T extends object>(o: T, key: string, value: unknown): T {
  const copy = { ...o } as Record<string, unknown>;
  Object.defineProperty(copy, key, { value, enumerable: true, configurable: true, writable: true });
  return copy as T;
}

/** `o` without `key`. */
export function without<T extends object>(o: T, key: string): T {
  const copy = { ...o } as Record<string, unknown>;
  delete copy[key];
  return copy as T;
}
