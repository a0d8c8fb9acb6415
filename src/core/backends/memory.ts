import { tf } from '../tf';

/**
 * The float32 storage of a tensor, read in place without a copy, on the backends that keep
 * tensors in this thread's memory (wasm's heap, cpu's arrays); null elsewhere (GPU). Read only:
 * never write through it (wasm's XNNPACK caches packed weights per tensor and would not see
 * the change). Take a fresh view each time: the wasm heap can grow and move.
 */
export function storageView(t: tf.Tensor): Float32Array | null {
  if (t.dtype !== 'float32') return null;
  const name = tf.getBackend();
  const backend = tf.backend() as unknown as {
    typedArrayFromHeap?: (info: { shape: number[]; dtype: string; dataId: object }) => Float32Array;
    data?: { get(id: object): { values?: unknown } | undefined };
  };
  if (name === 'wasm' && backend.typedArrayFromHeap)
    return backend.typedArrayFromHeap({ shape: t.shape, dtype: t.dtype, dataId: t.dataId });
  if (name === 'cpu' && backend.data) {
    const values = backend.data.get(t.dataId)?.values;
    return values instanceof Float32Array && values.length === t.size ? values : null;
  }
  return null;
}
