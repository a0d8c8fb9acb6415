import * as assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import * as vscode from 'vscode';
import { COMMAND_IDS, COMMAND_TITLES, EXTENSION_ID } from './util';

describe('activation', () => {
  it('the extension is installed and activates', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `extension ${EXTENSION_ID} is not loaded in this extension host`);
    await ext.activate();
    assert.equal(ext.isActive, true);
  });

  it('activating does not load TensorFlow.js into the extension host', () => {
    assert.equal(vscode.extensions.getExtension(EXTENSION_ID)?.isActive, true, 'the extension is not active');
    const loaded = Object.keys(require.cache).filter((k) => /[\\/]@tensorflow[\\/]|tfjs/.test(k));
    assert.deepEqual(loaded, [], `TensorFlow.js modules loaded into the extension host: ${loaded.join(', ')}`);
    // tfjs-core creates its engine on the global object when it is evaluated, bundled or not.
    const g = globalThis as Record<string, unknown>;
    assert.equal(g._tfengine, undefined, 'TensorFlow.js’s engine (globalThis._tfengine) exists in the extension host');
    assert.equal(g.tf, undefined, 'a global tf object exists in the extension host');
  });

  it('every MNIST: command is registered, with the titles of issue 3', async () => {
    const all = new Set(await vscode.commands.getCommands(true));
    const missing = COMMAND_IDS.filter((id) => !all.has(id));
    assert.deepEqual(missing, [], `commands not registered: ${missing.join(', ')}`);
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    const contributed = (ext.packageJSON.contributes?.commands ?? []) as { command: string; title: string; category?: string }[];
    for (const id of COMMAND_IDS) {
      const c = contributed.find((x) => x.command === id);
      assert.ok(c, `${id} is not contributed in package.json`);
      assert.equal(`${c.category}: ${c.title}`, COMMAND_TITLES[id], `title of ${id}`);
    }
  });
});
