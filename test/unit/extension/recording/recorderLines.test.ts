// The recorder lines of Analyze CNN on a `.py` file (src/extension/recording/recorderLines.ts): the
// training loops offered, and the text once the three lines are put around the one picked.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPythonParser, pythonWasmFolder, type PythonParser } from '../../../../src/extension/detection/pythonParser';
import {
  applyRecorderLines,
  findRecorderSites,
  importLineFor,
  loopEdit,
  type RecorderSites,
} from '../../../../src/extension/recording/recorderLines';
import { root } from '../../../support/modelSources';

let parser: PythonParser;
before(async () => {
  parser = await loadPythonParser(pythonWasmFolder());
});

/** The file with the recorder lines around its first (best) loop, placeholders at their defaults. */
function withLines(text: string, name = 'net'): { sites: RecorderSites; out: string } {
  const sites = findRecorderSites(text, parser);
  assert.ok(sites.loops.length > 0, 'a training loop is found');
  const loop = sites.loops[0];
  return { sites, out: applyRecorderLines(text, importLineFor(sites, loop), loopEdit(text, loop, name)) };
}

describe('recorder lines', () => {
  it('wraps an epoch loop counting from 0 in a function, recording epoch + 1 after each pass', () => {
    const text = [
      'import torch',
      'from torch import nn',
      '',
      'def train(model, loader, epochs):',
      '    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)',
      '    for epoch in range(epochs):',
      '        model.train()',
      '        for x, y in loader:',
      '            optimizer.zero_grad()',
      '            loss = nn.functional.cross_entropy(model(x), y)',
      '            loss.backward()',
      '            optimizer.step()',
      '        print(epoch)',
      '',
      'train(None, [], 2)',
      '',
    ].join('\n');
    const { sites, out } = withLines(text);
    // Best first: the epoch loop, then the batch loop inside it.
    assert.deepEqual(
      sites.loops.map((l) => [l.line, l.text, l.signs, l.functionName]),
      [
        [5, 'for epoch in range(epochs):', ['epochs', 'backward', 'step'], 'train'],
        [7, 'for x, y in loader:', ['backward', 'step'], 'train'],
      ],
    );
    assert.equal(
      out,
      [
        'import torch',
        'from torch import nn',
        'from cnn_slicer import Recorder',
        '',
        'def train(model, loader, epochs):',
        '    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)',
        '    with Recorder(model, probe=(x_probe, y_probe), name="net", optimizer=optimizer) as rec:',
        '        rec.epoch(0)  # the model before training',
        '        for epoch in range(epochs):',
        '            model.train()',
        '            for x, y in loader:',
        '                optimizer.zero_grad()',
        '                loss = nn.functional.cross_entropy(model(x), y)',
        '                loss.backward()',
        '                optimizer.step()',
        '            print(epoch)',
        '            rec.epoch(epoch + 1)',
        '',
        'train(None, [], 2)',
        '',
      ].join('\n'),
    );
  });

  it('records the counter itself when the loop counts from 1, keeps else clauses and multi-line strings, and imports before the loop', () => {
    const text = [
      '"""Trains."""',
      'for ep in range(1, n + 1):',
      '\tnet.train()',
      '\tloss.backward()',
      '\tnote = """first',
      'second"""',
      'else:',
      '\tprint("done")',
      'import os',
    ].join('\r\n');
    const { sites, out } = withLines(text, 'my "net"');
    assert.equal(sites.importLine, 9, 'after the last top-level import');
    assert.equal(
      out,
      [
        '"""Trains."""',
        'from cnn_slicer import Recorder',
        'with Recorder(net, probe=(x_probe, y_probe), name="my \\"net\\"") as rec:',
        '\trec.epoch(0)  # the model before training',
        '\tfor ep in range(1, n + 1):',
        '\t\tnet.train()',
        '\t\tloss.backward()',
        '\t\tnote = """first',
        'second"""',
        '\t\trec.epoch(ep)',
        '\telse:',
        '\t\tprint("done")',
        'import os',
      ].join('\r\n'),
    );
  });

  it('leaves the epoch to fill when the loop is not a counter from 0 or 1, and finds an existing Recorder and import', () => {
    const text = [
      'from cnn_slicer import Recorder',
      'rec = Recorder(model, probe=p)',
      'for i, (x, y) in enumerate(loader):',
      '    opt.step()',
      'for e in range(5): loss.backward()',
      'for row in table:',
      '    print(row)',
    ].join('\n');
    const sites = findRecorderSites(text, parser);
    assert.equal(sites.importLine, undefined);
    assert.equal(sites.existingRecorder, 1);
    // The one-line loop has no body line to record after; the loop without training is no candidate.
    assert.deepEqual(
      sites.loops.map((l) => l.line),
      [2],
    );
    const edit = loopEdit(text, sites.loops[0], 'm');
    assert.deepEqual(
      edit.parts.filter((p) => 'tabStop' in p),
      [
        { tabStop: 1, value: 'model' },
        { tabStop: 2, value: 'x_probe' },
        { tabStop: 3, value: 'y_probe' },
        { tabStop: 4, value: 'epoch' },
      ],
    );
    assert.deepEqual([edit.startLine, edit.endLine], [2, 3]);
  });

  it("finds the example's epoch loop first and its Recorder (examples/pytorch/training.py)", () => {
    const text = readFileSync(join(root, 'examples/pytorch/training.py'), 'utf8');
    const sites = findRecorderSites(text, parser);
    assert.equal(sites.importLine, undefined);
    assert.equal(sites.existingRecorder, 44);
    assert.equal(sites.loops[0].text, 'for epoch in range(1, epochs + 1):');
    assert.deepEqual(sites.loops[0].epochAfter, { text: 'epoch', guess: false });
  });
});
