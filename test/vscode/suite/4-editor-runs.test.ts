// Issue 4 beyond the basics: which run the lenses and hints use, live hints and ■ Stop while the
// file trains, half-typed JSON, model-file lenses and Dissect on the seed notebook's weights.
import * as assert from 'node:assert/strict';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'mocha';
import * as vscode from 'vscode';
import { EXTENSION_ID, SMALL_CONFIG, fire, listRunDirs, note, openConfig, readSummary, shared, waitFor, workspaceRoot } from './util';

const labelText = (h: vscode.InlayHint) => (typeof h.label === 'string' ? h.label : h.label.map((p) => p.value).join(''));

async function lensesOf(uri: vscode.Uri): Promise<vscode.CodeLens[]> {
  return (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri, 100)) ?? [];
}
async function hintsOf(doc: vscode.TextDocument): Promise<vscode.InlayHint[]> {
  return (
    (await vscode.commands.executeCommand<vscode.InlayHint[]>(
      'vscode.executeInlayHintProvider',
      doc.uri,
      new vscode.Range(0, 0, doc.lineCount, 0),
    )) ?? []
  );
}
const lens = (lenses: vscode.CodeLens[], title: RegExp) => lenses.find((l) => l.command && title.test(l.command.title));

async function revert(editor: vscode.TextEditor): Promise<void> {
  await vscode.window.showTextDocument(editor.document);
  await vscode.commands.executeCommand('workbench.action.files.revert');
}

describe('config and model files: runs behind the lenses and hints (issue 4)', function () {
  this.timeout(120_000);

  it('a run trained from the file records it (source.json); Evaluate and Robustness act on its latest finished run', async () => {
    const run = shared.trainedRun;
    assert.ok(run && run.status === 'completed', 'no finished run of the small config (the training test failed)');
    const source = join(run.runDir, 'source.json');
    assert.ok(existsSync(source), `${source} was not written when the run started`);
    assert.equal(JSON.parse(readFileSync(source, 'utf8')).config, join(workspaceRoot(), SMALL_CONFIG));
    const editor = await openConfig(SMALL_CONFIG);
    const lenses = await waitFor(
      'lenses on the config',
      async () => {
        const l = await lensesOf(editor.document.uri);
        return l.length ? l : undefined;
      },
      15_000,
      200,
    );
    // The Stop test's run is newer but cancelled: the finished one is the training test's.
    for (const [title, command] of [
      [/^Evaluate$/, 'mnistLab.evaluate'],
      [/^Robustness$/, 'mnistLab.robustness'],
      [/^Open Lab$/, 'mnistLab.openLab'],
    ] as const) {
      const l = lens(lenses, title);
      assert.ok(l, `no ${title} lens`);
      assert.equal(l.command!.command, command);
      assert.deepEqual(l.command!.arguments, [{ run: run.runDir }], `${title} does not act on ${run.runId}`);
    }
    const history = lens(lenses, /Run History/);
    assert.deepEqual(
      [history?.command?.command, history?.command?.arguments],
      ['mnistLab.runHistory', [join(workspaceRoot(), SMALL_CONFIG)]],
    );
    const evaluated = await vscode.commands.executeCommand<{ testAccuracy: number; model: string }>(
      'mnistLab.evaluate',
      ...lens(lenses, /^Evaluate$/)!.command!.arguments!,
    );
    assert.ok(evaluated, 'Evaluate returned nothing');
    note(
      `Evaluate lens on ${run.runId}: test ${(100 * evaluated.testAccuracy).toFixed(2)} % (the run said ${(100 * run.testAccuracy!).toFixed(2)} %), ${evaluated.model}`,
    );
    assert.ok(Math.abs(evaluated.testAccuracy - run.testAccuracy!) < 0.005, 'the evaluated weights are not the run’s');
  });

  it('run history: one run opens in the lab panel, two overlay the second’s error curves', async () => {
    const run = shared.trainedRun;
    assert.ok(run, 'no finished run');
    const other = listRunDirs().find((d) => d !== run.runDir && readSummary(d)?.status === 'cancelled');
    assert.ok(other, 'no second (stopped) run to compare with');
    const two = await vscode.commands.executeCommand<{ runDir: string; overlay: string[]; fields: string[] }>('mnistLab.runHistory', {
      runs: [run.runDir, other],
    });
    assert.deepEqual({ runDir: two.runDir, overlay: two.overlay }, { runDir: run.runDir, overlay: [other] });
    const one = await vscode.commands.executeCommand<{ runDir: string; overlay: string[]; fields: string[] }>('mnistLab.runHistory', {
      runs: [run.runDir],
    });
    assert.deepEqual(one, { runDir: run.runDir, overlay: [], fields: [] }, 'opening one run keeps an old overlay');
  });

  it('Evaluate on a config without any run says so instead of evaluating another run', async () => {
    const name = 'fresh.mnist.json';
    require('node:fs').writeFileSync(join(workspaceRoot(), name), '{\n  "name": "fresh-never-trained"\n}\n');
    const editor = await openConfig(name);
    const lenses = await waitFor(
      'lenses on the fresh config',
      async () => {
        const l = await lensesOf(editor.document.uri);
        return l.length ? l : undefined;
      },
      15_000,
      200,
    );
    const evaluate = lens(lenses, /^Evaluate$/)!;
    assert.equal(evaluate.command!.command, 'mnistLab.editor.explain');
    assert.match(String(evaluate.command!.arguments![0]), /fresh\.mnist\.json has no finished run yet/);
    assert.ok(!(await hintsOf(editor.document)).some((h) => /last run/.test(labelText(h))), 'a never-trained file shows a run’s accuracy');
  });

  it('"(last run: X)" after a value edited since the run, before saving', async () => {
    const editor = await openConfig(SMALL_CONFIG);
    const doc = editor.document;
    const line = doc
      .getText()
      .split('\n')
      .findIndex((l) => l.includes('"learningRate"'));
    const col = doc.lineAt(line).text.indexOf('0.01');
    assert.ok(line >= 0 && col >= 0, 'the small config has no learningRate 0.01');
    await editor.edit((e) => e.replace(new vscode.Range(line, col, line, col + 4), '0.02'));
    try {
      const hint = await waitFor(
        'a "(last run: 0.01)" hint',
        async () => (await hintsOf(doc)).find((h) => labelText(h) === '(last run: 0.01)'),
        10_000,
        200,
      );
      assert.equal(hint.position.line, line, 'the hint is not on the learningRate line');
      assert.equal(hint.position.character, col + 4, 'the hint is not right after the value');
    } finally {
      await revert(editor);
    }
  });

  it('mnistLab.hints.enabled = false turns the hints off, and true brings them back', async () => {
    const editor = await openConfig(SMALL_CONFIG);
    const doc = editor.document;
    const settings = vscode.workspace.getConfiguration('mnistLab');
    await waitFor('the run hint', async () => (await hintsOf(doc)).some((h) => /^last run: test/.test(labelText(h))), 10_000, 200);
    await settings.update('hints.enabled', false, vscode.ConfigurationTarget.Workspace);
    try {
      await waitFor('no hints', async () => (await hintsOf(doc)).length === 0, 10_000, 200);
    } finally {
      await settings.update('hints.enabled', undefined, vscode.ConfigurationTarget.Workspace);
    }
    await waitFor('the run hint again', async () => (await hintsOf(doc)).some((h) => /^last run: test/.test(labelText(h))), 10_000, 200);
  });

  it('half-typed JSON: the providers answer without errors, hints and diagnostics wait', async () => {
    const editor = await openConfig(SMALL_CONFIG);
    const doc = editor.document;
    const full = doc.getText();
    await editor.edit((e) =>
      e.replace(
        new vscode.Range(doc.positionAt(0), doc.positionAt(full.length)),
        '{\n  "name": "small",\n  "model": { "kernelSize": 4, "depth": [4, ',
      ),
    );
    try {
      await new Promise((r) => setTimeout(r, 600)); // past the diagnostics' debounce
      const lenses = await lensesOf(doc.uri);
      assert.ok(lens(lenses, /▶\s*Train/), 'the lenses went away on half-typed JSON');
      assert.deepEqual(
        (await hintsOf(doc)).map(labelText).filter((t) => /last run|training:/.test(t)),
        [],
      );
      assert.deepEqual(
        vscode.languages
          .getDiagnostics(doc.uri)
          .filter((d) => d.source === 'MNIST Lab')
          .map((d) => d.message),
        [],
        'stale MNIST Lab diagnostics on incomplete JSON',
      );
    } finally {
      await revert(editor);
    }
  });

  it('■ Stop and the live epoch hint while the file trains; both go when it stops', async () => {
    const editor = await openConfig(SMALL_CONFIG);
    const doc = editor.document;
    const cmd = fire('mnistLab.train', { config: doc.uri.fsPath });
    let stopped = false;
    try {
      const stop = await waitFor(
        'a ■ Stop lens',
        async () => lens(await lensesOf(doc.uri), /■\s*Stop/),
        60_000,
        200,
        () => cmd.error(),
      );
      assert.equal(stop.command!.command, 'mnistLab.stop');
      const live = await waitFor(
        'a live "step N/188 · last run: X %" hint',
        async () => (await hintsOf(doc)).map(labelText).find((t) => /^step \d+\/188 · last run: /.test(t)),
        60_000,
        200,
        () => cmd.error(),
      );
      note(`live hint: ${live}`);
      await vscode.commands.executeCommand('mnistLab.stop');
      stopped = true;
      await waitFor('the ■ Stop lens to go', async () => !lens(await lensesOf(doc.uri), /■\s*Stop/), 20_000, 200);
      await waitFor(
        'the live hint to go',
        async () => !(await hintsOf(doc)).some((h) => labelText(h).startsWith('training:')),
        10_000,
        200,
      );
    } finally {
      if (!stopped) await vscode.commands.executeCommand('mnistLab.stop');
      await cmd.done;
    }
  });

  it('a run’s model.json gets Evaluate, Robustness, Dissect; Dissect and Evaluate work on bare safetensors weights', async () => {
    const run = shared.trainedRun;
    assert.ok(run, 'no finished run');
    const modelJson = vscode.Uri.file(join(run.runDir, 'model', 'model.json'));
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(modelJson), { preview: false });
    const lenses = await waitFor(
      'lenses on model.json',
      async () => {
        const l = await lensesOf(modelJson);
        return l.length ? l : undefined;
      },
      15_000,
      200,
    );
    assert.deepEqual(
      lenses.map((l) => [l.command?.title, l.command?.command, l.command?.arguments]),
      [
        ['Evaluate', 'mnistLab.evaluate', [{ run: run.runDir }]],
        ['Robustness', 'mnistLab.robustness', [{ run: run.runDir }]],
        ['Dissect', 'mnistLab.openLab', [{ run: run.runDir }]],
      ],
    );
    // Bare weights outside a run (as the seed's notebook saves them: a PyTorch state_dict in safetensors).
    const weights = join(workspaceRoot(), 'trained.safetensors');
    copyFileSync(join(run.runDir, 'model', 'model.safetensors'), weights);
    const shown = await vscode.commands.executeCommand<string>('mnistLab.openLab', { run: weights });
    assert.equal(shown, weights, 'Dissect: the lab panel does not show the weights file');
    const state = await vscode.commands.executeCommand<{ runDir: string; status: string }>('mnistLab.debug.state');
    assert.deepEqual([state.runDir, state.status], [weights, 'completed']);
    // The explorer's "MNIST: Dissect Weights" on a run's model file shows the whole run.
    assert.equal(await vscode.commands.executeCommand<string>('mnistLab.dissect', modelJson), run.runDir);
    assert.equal(await vscode.commands.executeCommand<string>('mnistLab.dissect', vscode.Uri.file(weights)), weights);
    const r = await vscode.commands.executeCommand<{ testAccuracy: number; testTotal: number }>('mnistLab.evaluate', { run: weights });
    assert.ok(r, 'Evaluate on the bare weights returned nothing');
    // Bare weights carry no data directory: they are evaluated on the MNIST shipped with the extension (5,000 test images).
    note(
      `Evaluate on bare weights ${weights}: test ${(100 * r.testAccuracy).toFixed(2)} % of ${r.testTotal} MNIST test images (the run, on its small data: ${(100 * run.testAccuracy!).toFixed(2)} %)`,
    );
    assert.equal(r.testTotal, 5000);
    assert.ok(r.testAccuracy > 0.5, `the trained weights reach only ${r.testAccuracy} on MNIST (chance: 0.1)`);
    // Weights written by real PyTorch (the committed fixture, 2 SGD steps from the seed's initialisation) load too.
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    const torch = join(workspaceRoot(), 'pytorch-seed.safetensors');
    copyFileSync(join(ext.extensionPath, 'test', 'fixtures', 'pytorch-seed.safetensors'), torch);
    assert.equal(await vscode.commands.executeCommand<string>('mnistLab.openLab', { run: torch }), torch);
    const t = await vscode.commands.executeCommand<{ testAccuracy: number; testTotal: number }>('mnistLab.evaluate', { run: torch });
    assert.ok(t && t.testTotal > 0 && t.testAccuracy >= 0 && t.testAccuracy <= 1, `Evaluate on PyTorch's weights: ${JSON.stringify(t)}`);
  });
});
