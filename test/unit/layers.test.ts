/**
 * The layers' import boundaries (eslint.config.mjs) hold: a deliberate import across a boundary
 * is an ESLint error, the same import inside the layer is not.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';

const ROOT = join(__dirname, '..', '..', '..');

async function boundaryErrors(file: string, code: string): Promise<string[]> {
  const { ESLint } = require('eslint') as typeof import('eslint');
  const eslint = new ESLint({ cwd: ROOT });
  const [r] = await eslint.lintText(code, { filePath: join(ROOT, file) });
  return r!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

test('layers: webview → extension, core → vscode, extension → CLI, scripts → tests are lint errors', async () => {
  const cases: [string, string, RegExp][] = [
    ['src/webview/probe.ts', "import { t } from '../extension/l10n';\nexport const x = t;\n", /src\/webview runs in the page/],
    ['src/core/probe.ts', "import * as vscode from 'vscode';\nexport const x = vscode;\n", /src\/core is the shared core/],
    ['src/extension/probe.ts', "import { main } from '../cli/main';\nexport const x = main;\n", /src\/extension is the VS Code glue/],
    ['src/extension/probe.ts', "import { tf } from '@tensorflow/tfjs-core';\nexport const x = tf;\n", /no TensorFlow\.js/],
    [
      'scripts/probe.ts',
      "import { tempDir } from '../test/helpers/tmp';\nexport const x = tempDir;\n",
      /scripts must not import the tests/,
    ],
  ];
  for (const [file, code, expected] of cases) {
    const errors = await boundaryErrors(file, code);
    assert.equal(errors.length, 1, `${file}: ${errors.join('; ') || 'no boundary error'}`);
    assert.match(errors[0]!, expected);
  }
});

test('layers: imports within the rules pass (webview → core, extension → core, worker → core)', async () => {
  assert.deepEqual(await boundaryErrors('src/webview/probe.ts', "import { pct } from '../core/format';\nexport const x = pct;\n"), []);
  assert.deepEqual(await boundaryErrors('src/extension/probe.ts', "import { pct } from '../core/format';\nexport const x = pct;\n"), []);
  assert.deepEqual(await boundaryErrors('src/worker/probe.ts', "import { tf } from '../core/tf';\nexport const x = tf;\n"), []);
});
