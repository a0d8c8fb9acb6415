// Issue 4 in a real extension host: CodeLens, inlay hints and diagnostics on *.mnist.json files.
import * as assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'mocha';
import * as vscode from 'vscode';
import { SMALL_CONFIG, note, openConfig, shared, waitFor, workspaceRoot } from './util';

function labelText(h: vscode.InlayHint): string {
  return typeof h.label === 'string' ? h.label : h.label.map((p) => p.value).join('');
}

async function lensesOf(uri: vscode.Uri): Promise<vscode.CodeLens[]> {
  // The second argument resolves up to that many lenses (their commands).
  return (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri, 100)) ?? [];
}

describe('config files in the editor (issue 4)', function () {
  this.timeout(60_000);

  it('CodeLens ▶ Train, Evaluate, Robustness, Open Lab above line 1 of a *.mnist.json', async () => {
    const editor = await openConfig(SMALL_CONFIG);
    const uri = editor.document.uri;
    let lenses: vscode.CodeLens[] = [];
    try {
      lenses = await waitFor(
        'code lenses on the config file',
        async () => {
          const l = await lensesOf(uri);
          return l.length ? l : undefined;
        },
        15_000,
        250,
      );
    } catch {
      assert.fail(
        `no CodeLens provider answers for ${SMALL_CONFIG} (issue 4, item 2: ▶ Train, Evaluate, Robustness, Open Lab above the first line)`,
      );
    }
    const top = lenses.filter((l) => l.range.start.line === 0 && l.command);
    const titles = top.map((l) => l.command!.title);
    note(`CodeLens on line 1 of ${SMALL_CONFIG}: ${titles.join(' | ')}`);
    for (const [re, cmd] of [
      [/▶\s*Train/, 'mnistLab.train'],
      [/Evaluate/, 'mnistLab.evaluate'],
      [/Robustness/, 'mnistLab.robustness'],
      [/Open Lab/, 'mnistLab.openLab'],
    ] as const) {
      const l = top.find((x) => re.test(x.command!.title));
      assert.ok(l, `no lens matching ${re} on line 1 (lenses: ${titles.join(' | ') || 'none'})`);
      assert.equal(l.command!.command, cmd, `the ${re} lens runs ${l.command!.command}`);
    }
  });

  it('inlay hints show the latest finished run’s accuracy on the config file', async () => {
    const run = shared.trainedRun;
    assert.ok(run && run.testAccuracy !== null, 'no finished run of the small config (the training test failed)');
    const editor = await openConfig(SMALL_CONFIG);
    const doc = editor.document;
    const range = new vscode.Range(0, 0, doc.lineCount, 0);
    const pct = run.testAccuracy! * 100;
    const forms = [pct.toFixed(0), pct.toFixed(1), pct.toFixed(2)].map((v) => `${v}`);
    let seen: string[] = [];
    try {
      await waitFor(
        'an inlay hint with the run’s test accuracy',
        async () => {
          const hints = (await vscode.commands.executeCommand<vscode.InlayHint[]>('vscode.executeInlayHintProvider', doc.uri, range)) ?? [];
          seen = hints.map(labelText);
          return seen.some((t) => /%/.test(t) && forms.some((f) => t.includes(f)));
        },
        15_000,
        300,
      );
    } catch {
      assert.fail(
        `no inlay hint shows the test accuracy ${forms.join(' / ')} % of run ${run.runId} (issue 4, item 4); hints: ${seen.length ? seen.map((s) => JSON.stringify(s)).join(', ') : 'none'}`,
      );
    }
    note(`inlay hints on ${SMALL_CONFIG}: ${seen.map((s) => JSON.stringify(s)).join(', ')}`);
  });

  it('an even kernel size gets a diagnostic on the value, with a quick fix restoring the seed’s 5', async () => {
    const name = 'bad-kernel.mnist.json';
    const text = '{\n  "name": "bad",\n  "model": { "kernelSize": 4 }\n}\n';
    const file = join(workspaceRoot(), name);
    writeFileSync(file, text);
    const editor = await openConfig(name);
    const uri = editor.document.uri;
    const valueAt = new vscode.Position(2, text.split('\n')[2]!.indexOf('4'));
    let diags: vscode.Diagnostic[] = [];
    try {
      diags = await waitFor(
        'a diagnostic on "kernelSize": 4',
        () => {
          const d = vscode.languages.getDiagnostics(uri).filter((x) => x.range.contains(valueAt));
          return d.length ? d : undefined;
        },
        15_000,
        200,
      );
    } catch {
      const all = vscode.languages.getDiagnostics(uri);
      assert.fail(
        `no diagnostic on the even kernelSize 4 (issue 4, item 5: an even kernel size with "same" padding); diagnostics on the file: ${all.map((d) => `${d.source ?? ''} ${d.message} @${d.range.start.line}:${d.range.start.character}`).join('; ') || 'none'}`,
      );
    }
    const d = diags[0]!;
    note(
      `diagnostic: [${d.source ?? ''}] ${d.message} at ${d.range.start.line + 1}:${d.range.start.character + 1}-${d.range.end.line + 1}:${d.range.end.character + 1}`,
    );
    assert.equal(d.range.start.line, 2);
    assert.equal(d.range.start.character, valueAt.character, 'the range starts at the value');
    assert.equal(d.range.end.character, valueAt.character + 1, 'the range ends after the value');
    assert.ok(/kernel/i.test(d.message), `the message does not mention the kernel: ${d.message}`);
    const actions =
      (await vscode.commands.executeCommand<(vscode.CodeAction | vscode.Command)[]>('vscode.executeCodeActionProvider', uri, d.range)) ??
      [];
    const fix = actions.find(
      (a): a is vscode.CodeAction => 'edit' in a && !!a.edit && a.edit.get(uri).some((e) => e.newText.includes('5')),
    );
    assert.ok(fix, `no quick fix restoring 5; actions: ${actions.map((a) => a.title).join(', ') || 'none'}`);
    await vscode.workspace.applyEdit(fix.edit!);
    await waitFor(
      'the diagnostic to go away after the quick fix',
      () => !vscode.languages.getDiagnostics(uri).some((x) => /kernel/i.test(x.message)),
      10_000,
      200,
    );
    assert.match(editor.document.getText(), /"kernelSize":\s*5/);
    await vscode.commands.executeCommand('workbench.action.files.revert');
  });
});
