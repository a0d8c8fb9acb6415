/**
 * TensorFlow.js by its parts, as the umbrella `@tensorflow/tfjs` assembles them, less what the
 * lab never runs (the converter, tfjs-data, the WebGL backend): the core with its gradients and
 * chained ops, the layers API (`tf.sequential`, `tf.layers`, model.json), and the CPU backend.
 * The WebAssembly backend registers itself where it is selected (backends/index.ts); the
 * accelerated ones are installed apart (backends/install.ts). Imported only by tf.ts.
 */
// The core first: what follows registers into its engine.
import { version_core } from '@tensorflow/tfjs-core';
// tfjs-core's Node bundle registers no gradient and no chained op (x.add(y)); the umbrella's did.
// They are ES modules only: scripts/esbuild-tfjs.mjs bundles them even where packages stay external.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';
import { version_layers } from '@tensorflow/tfjs-layers';
// The CPU backend registers itself when loaded (a named import: its bundle has no declared side effects).
import { version_cpu } from '@tensorflow/tfjs-backend-cpu';

export * from '@tensorflow/tfjs-core';
export * from '@tensorflow/tfjs-layers';

/** The versions of the parts (the umbrella's `tf.version`; `tfjs` is the core's). */
export const version = { 'tfjs-core': version_core, 'tfjs-layers': version_layers, 'tfjs-backend-cpu': version_cpu, tfjs: version_core };
