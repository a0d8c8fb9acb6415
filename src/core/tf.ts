/**
 * The one place that loads TensorFlow.js. The union package registers the gradients that
 * training needs (tfjs-core alone does not in Node).
 */
import * as tf from '@tensorflow/tfjs';

tf.enableProdMode();

export { tf };
export type Tensor = tf.Tensor;
