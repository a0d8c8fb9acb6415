/**
 * The one place that loads TensorFlow.js: its parts (tfjs.ts), not the umbrella package, so
 * that `npm install` brings only what runs. `tf.xxx` is what the umbrella offered for them.
 */
import * as tf from './tfjs';

tf.enableProdMode();

export { tf };
export type Tensor = tf.Tensor;
