import { tf } from '../tf';

/**
 * A faster MaxPoolGrad for the wasm backend, for the seed's pooling (2×2 windows, stride 2,
 * no padding): one pass over the windows in JavaScript on views of the wasm heap, routing each
 * gradient to the first maximum of its window in row-major order (what tfjs's and PyTorch's
 * kernels do). The stock wasm kernel takes ≈2.3 ms of a ≈18 ms step; other pools fall back to it.
 */
type KernelConfig = ReturnType<typeof tf.getKernel>;
interface WasmBackend {
  makeOutput(shape: number[], dtype: string): { dataId: object; shape: number[]; dtype: string };
  typedArrayFromHeap(info: { shape: number[]; dtype: string; dataId: object }): Float32Array;
}
interface PoolAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: unknown;
  dimRoundingMode?: string;
}

const pair = (v: number | [number, number]): [number, number] => (Array.isArray(v) ? v : [v, v]);

let stock: KernelConfig | null = null;

/** dx for 2×2/stride-2 max pooling of x [n, h, w, c] (NHWC) given y = pool(x) and dy. */
export function maxPool2x2Grad(
  x: Float32Array,
  y: Float32Array,
  dy: Float32Array,
  dx: Float32Array,
  n: number,
  h: number,
  w: number,
  c: number,
): void {
  const ho = Math.floor(h / 2);
  const wo = Math.floor(w / 2);
  dx.fill(0);
  const row = w * c;
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < ho; i++) {
      for (let j = 0; j < wo; j++) {
        const o = ((b * ho + i) * wo + j) * c;
        const base = ((b * h + 2 * i) * w + 2 * j) * c;
        for (let k = 0; k < c; k++) {
          const m = y[o + k]!;
          const p = base + k;
          const at = x[p] === m ? p : x[p + c] === m ? p + c : x[p + row] === m ? p + row : p + row + c;
          dx[at] = dx[at]! + dy[o + k]!;
        }
      }
    }
  }
}

export function installWasmKernels(): void {
  if (stock) return;
  const original = tf.getKernel('MaxPoolGrad', 'wasm');
  if (!original) return;
  stock = original;
  tf.unregisterKernel('MaxPoolGrad', 'wasm');
  tf.registerKernel({
    kernelName: 'MaxPoolGrad',
    backendName: 'wasm',
    setupFunc: original.setupFunc,
    kernelFunc: (args) => {
      const { dy, input, output } = args.inputs as Record<string, tf.TensorInfo>;
      const a = args.attrs as unknown as PoolAttrs;
      const [fh, fw] = pair(a.filterSize);
      const [sh, sw] = pair(a.strides);
      if (fh !== 2 || fw !== 2 || sh !== 2 || sw !== 2 || a.pad !== 'valid' || input!.dtype !== 'float32' || !output) {
        return original.kernelFunc(args);
      }
      const backend = args.backend as unknown as WasmBackend;
      const [n, h, w, c] = input!.shape as [number, number, number, number];
      const dx = backend.makeOutput(input!.shape, 'float32');
      maxPool2x2Grad(
        backend.typedArrayFromHeap(input!),
        backend.typedArrayFromHeap(output),
        backend.typedArrayFromHeap(dy!),
        backend.typedArrayFromHeap(dx),
        n,
        h,
        w,
        c,
      );
      return dx as tf.TensorInfo;
    },
  });
}

export function restoreWasmKernels(): void {
  if (!stock) return;
  tf.unregisterKernel('MaxPoolGrad', 'wasm');
  tf.registerKernel(stock);
  stock = null;
}
