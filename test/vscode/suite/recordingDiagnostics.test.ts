// A recording that fails on the model's code puts its located error in the Problems panel, on the
// model file, and the next successful recording of that file clears it.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { RecordingOutcome } from '../../../src/recorder/client';
import { FailureDiagnostics } from '../../../src/extension/recording/failureDiagnostics';
import { activate, fixtureUri, waitFor } from './helpers';

const SYNTAX_ERROR = `import * as tf from '@tensorflow/tfjs';

export function createModel() {
  const model = tf.sequential(;
  return model;
}
`;

const THROWS = `import * as tf from '@tensorflow/tfjs';

function build(): tf.LayersModel {
  throw new Error('out of coffee');
}

export function createModel() {
  return build();
}
`;

// A 5×5 kernel on a 4×4 input (12×12 pooled by 3): refused at the conv layer's line (5, 0-based), not at line 1.
const KERNEL_TOO_LARGE = `import * as tf from '@tensorflow/tfjs';
export const dataset = 'synthetic:60';
export function createModel() {
  return tf.sequential({ layers: [
    tf.layers.maxPooling2d({ inputShape: [12, 12, 1], poolSize: 3 }),
    tf.layers.conv2d({ filters: 16, kernelSize: 5, name: 'conv' }),
    tf.layers.flatten(),
    tf.layers.dense({ units: 3, activation: 'softmax' }),
  ] });
}
`;

async function record(modelFile: string): Promise<RecordingOutcome> {
  return vscode.commands.executeCommand<RecordingOutcome>('cnnSlicer.analyze', {
    modelFile,
    noPrompt: true,
    settings: { epochs: 1, probeSize: 40, k: 10, backend: 'wasm' },
  });
}

function cnnSlicerDiagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'CNN Slicer');
}

describe('recording errors in the Problems panel', function () {
  this.timeout(120_000);
  const uri = fixtureUri('diagnostics-model.ts');
  let runFolder: string | undefined;

  after(async () => {
    await vscode.workspace.fs.delete(uri).then(undefined, () => undefined);
    // The good recording's run would change what other tests see in the Recorded Runs tree.
    if (runFolder) await vscode.workspace.fs.delete(vscode.Uri.file(runFolder), { recursive: true }).then(undefined, () => undefined);
  });

  it('shows a syntax error and a model that throws at their lines, and clears them on the next successful recording', async () => {
    await activate();
    const write = (text: string): Thenable<void> => vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));

    await write(SYNTAX_ERROR);
    const failed = await record(uri.fsPath);
    assert.equal(failed.kind, 'failed', JSON.stringify(failed));
    const [syntax, ...moreSyntax] = cnnSlicerDiagnostics(uri);
    assert.ok(syntax, `a diagnostic on ${uri.fsPath}; all: ${JSON.stringify(vscode.languages.getDiagnostics())}`);
    assert.equal(moreSyntax.length, 0);
    assert.equal(syntax.severity, vscode.DiagnosticSeverity.Error);
    assert.equal(syntax.range.start.line, 3, 'the line of `tf.sequential(;` (0-based)');
    assert.ok(failed.kind === 'failed' && failed.message.endsWith(syntax.message), `${syntax.message} is the recording's message`);

    await write(THROWS);
    const threw = await record(uri.fsPath);
    assert.equal(threw.kind, 'failed', JSON.stringify(threw));
    const thrown = cnnSlicerDiagnostics(uri);
    assert.equal(thrown.length, 1, 'the new failure replaces the old one');
    assert.match(thrown[0].message, /out of coffee/);

    const good = new TextDecoder().decode(await vscode.workspace.fs.readFile(fixtureUri('tiny-model.ts')));
    await write(good);
    const done = await record(uri.fsPath);
    assert.equal(done.kind, 'done', JSON.stringify(done));
    if (done.kind === 'done') runFolder = done.folder;
    await waitFor('the diagnostics to be cleared', () => cnnSlicerDiagnostics(uri).length === 0);
  });

  it('puts a layer left with no values at its own line, naming its input shape and kernel, with no run left behind', async () => {
    const api = await activate();
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(KERNEL_TOO_LARGE));
    const failed = await record(uri.fsPath);
    assert.ok(failed.kind === 'failed' && failed.code === 'model', JSON.stringify(failed));
    assert.equal(failed.folder, undefined, 'refused before a run folder was made');
    const [entry, ...more] = cnnSlicerDiagnostics(uri);
    assert.ok(entry, `a diagnostic on ${uri.fsPath}`);
    assert.equal(more.length, 0);
    assert.equal(entry.range.start.line, 5, "the line of the conv2d layer (0-based), not the file's first");
    assert.match(entry.message, /layer conv \(Conv2D\) has an empty output: its input shape is \[4, 4, 1\], its kernel is 5×5/);
    assert.ok(!/memory access|cannot be trained/.test(entry.message), entry.message);
    await api.recordings.failures.clear(uri.fsPath);
  });

  it('keeps the error across a window reload while the file is unchanged, and drops it once the file changed', async () => {
    const api = await activate();
    const write = (text: string): Thenable<void> => vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));
    await write(SYNTAX_ERROR);
    const failed = await record(uri.fsPath);
    assert.equal(failed.kind, 'failed', JSON.stringify(failed));
    await waitFor('the error in the Problems panel', () => cnnSlicerDiagnostics(uri).length === 1);
    await new Promise((r) => setTimeout(r, 200)); // the stored entry is written after the panel shows it

    // A reload builds the Problems entries of recordings afresh from the workspace state: so does this.
    const reloaded = new FailureDiagnostics(api.ctx.workspaceState, 'cnnSlicer-after-reload');
    try {
      await reloaded.restored;
      const both = cnnSlicerDiagnostics(uri);
      assert.equal(both.length, 2, `the window's entry and the restored one: ${JSON.stringify(both)}`);
      assert.equal(both[1].message, both[0].message);
      assert.equal(both[1].range.start.line, 3, 'the line of `tf.sequential(;` (0-based)');
    } finally {
      reloaded.dispose();
    }

    // Edited since: a reload shows nothing stale, and forgets the entry.
    await write(SYNTAX_ERROR + '// edited\n');
    const afterEdit = new FailureDiagnostics(api.ctx.workspaceState, 'cnnSlicer-after-edit');
    try {
      await afterEdit.restored;
      assert.equal(cnnSlicerDiagnostics(uri).length, 1, 'only the entry this window showed');
      const stored = api.ctx.workspaceState.get<Record<string, unknown>>('cnnSlicer.failedRecordings') ?? {};
      assert.equal(stored[uri.fsPath], undefined, 'the stale entry is forgotten');
    } finally {
      afterEdit.dispose();
    }
    await api.recordings.failures.clear(uri.fsPath);
    assert.equal(cnnSlicerDiagnostics(uri).length, 0);
  });
});
