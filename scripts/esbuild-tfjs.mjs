// TensorFlow.js by its parts (src/core/tfjs.ts): tfjs-core's gradients and chained ops exist only
// as ES modules with extensionless imports, which Node cannot load from node_modules. Bundles
// that keep packages external (`packages: 'external'`) still take these two in, as the umbrella
// package's own bundle did; they register into the one engine of the external tfjs-core.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(join(dirname(fileURLToPath(import.meta.url)), '..', 'package.json'));

/** An esbuild plugin that bundles tfjs-core's register_all_gradients and register_all_chained_ops. */
export const tfjsParts = {
  name: 'tfjs-parts',
  setup(b) {
    b.onResolve(
      { filter: /^@tensorflow\/tfjs-core\/dist\/(register_all_gradients|public\/chained_ops\/register_all_chained_ops)$/ },
      (args) => ({
        path: require.resolve(`${args.path}.js`),
      }),
    );
  },
};
