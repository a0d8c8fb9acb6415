// Issue 8, items 6 and 7 in the extension host: several runs of different configs compared in the
// lab panel (MNIST: Compare Runs), and the PyTorch loader of the run on show (MNIST: Copy PyTorch
// Loader). The extra runs are real short trainings by the project's CLI on the workspace's data.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'mocha';
import * as vscode from 'vscode';
import { EXTENSION_ID, note, runsDir, shared, workspaceRoot } from './util';

/** Leaf values of a JSON object by dotted path (arrays whole), written here independently of src/core/runs/compare.ts. */
function leaves(v: unknown, path: string, out: Record<string, string>): Record<string, string> {
  if (v && typeof v === 'object' && !Array.isArray(v)) for (const [k, x] of Object.entries(v)) leaves(x, path ? `${path}.${k}` : k, out);
  else out[path] = JSON.stringify(v);
  return out;
}

function trainWithCli(name: string, config: unknown): string {
  const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
  const file = join(workspaceRoot(), `${name}.mnist.json`);
  writeFileSync(file, JSON.stringify(config));
  const r = spawnSync(
    process.execPath,
    [join(ext.extensionPath, 'dist', 'cli.js'), 'train', file, '--max-steps', '12', '--workers', '1', '--json', '--out', runsDir()],
    {
      encoding: 'utf8',
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      timeout: 120_000,
    },
  );
  assert.equal(r.status, 0, `mnist-lab train ${name}: ${r.stderr}`);
  const summary = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { runDir: string; status: string };
  assert.equal(summary.status, 'completed');
  return summary.runDir;
}

describe('run comparison and the PyTorch loader (issue 8: 6, 7)', function () {
  this.timeout(180_000);

  it('MNIST: Compare Runs shows three runs of different configs: curves over the run, the differing fields', async () => {
    const run = shared.trainedRun;
    assert.ok(run && run.status === 'completed', 'no finished run of the small config');
    const base = JSON.parse(readFileSync(join(run.runDir, 'config.json'), 'utf8'));
    const wide = trainWithCli('wide', {
      ...base,
      name: 'wide',
      model: { ...base.model, depth: [16, 32] },
      training: { ...base.training, evalEvery: 4 },
    });
    const slow = trainWithCli('slow', { ...base, name: 'slow', training: { ...base.training, learningRate: 0.001, evalEvery: 4 } });
    const dirs = [run.runDir, wide, slow];
    const shown = await vscode.commands.executeCommand<{ runDir: string; overlay: string[]; fields: string[] }>('mnistLab.compareRuns', {
      runs: dirs,
    });
    assert.ok(shown, 'MNIST: Compare Runs returned nothing');
    assert.equal(shown.runDir, run.runDir);
    assert.deepEqual(shown.overlay, [wide, slow]);
    const flat = dirs.map((d) => leaves(JSON.parse(readFileSync(join(d, 'config.json'), 'utf8')), '', {}));
    const expected = Object.keys(flat[0]!)
      .filter((k) => flat.some((f) => f[k] !== flat[0]![k]))
      .sort();
    assert.deepEqual(shown.fields, expected);
    for (const f of ['model.depth', 'training.learningRate', 'name'])
      assert.ok(shown.fields.includes(f), `${f} is not among the differing fields ${shown.fields}`);
    note(`compare: ${dirs.length} runs differ in ${shown.fields.join(', ')}`);
    // Fewer than two runs is not a comparison.
    assert.equal(await vscode.commands.executeCommand('mnistLab.compareRuns', { runs: [run.runDir] }), undefined);
  });

  it('MNIST: Copy PyTorch Loader puts the run’s load_pytorch.py on the clipboard', async () => {
    const run = shared.trainedRun;
    assert.ok(run, 'no finished run');
    await vscode.commands.executeCommand('mnistLab.openLab', { run: run.runDir });
    const file = await vscode.commands.executeCommand<string>('mnistLab.copyPytorchSnippet');
    assert.equal(file, join(run.runDir, 'model', 'load_pytorch.py'));
    assert.ok(existsSync(file), `${file} was not written with the model`);
    const clip = await vscode.env.clipboard.readText();
    assert.equal(clip, readFileSync(file, 'utf8'));
    assert.match(clip, /class ConvNet\(nn\.Module\):/);
    assert.ok(
      clip.includes(`WEIGHTS = ${JSON.stringify(join(run.runDir, 'model', 'model.safetensors'))}`),
      'the loader does not name the run’s weights',
    );
    // Bare PyTorch weights (the committed fixture, written by real PyTorch): the loader is made from their shapes.
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    const torch = join(ext.extensionPath, 'test', 'fixtures', 'pytorch-seed.safetensors');
    await vscode.commands.executeCommand('mnistLab.dissect', vscode.Uri.file(torch));
    await vscode.commands.executeCommand('mnistLab.copyPytorchSnippet');
    const clip2 = await vscode.env.clipboard.readText();
    assert.ok(clip2.includes(`WEIGHTS = ${JSON.stringify(torch)}`), 'the loader does not name the dissected weights');
    assert.match(clip2, /depth = \[4, 8\]\nkernel_size = 5\nhidden = 512\nimage_size = 28\nnum_classes = 10/);
  });
});
