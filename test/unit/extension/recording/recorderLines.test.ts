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
        '    with Recorder(model, probe=(x_probe, y_probe), name="net", epochs=epochs, optimizer=optimizer) as rec:',
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
        'with Recorder(net, probe=(x_probe, y_probe), name="my \\"net\\"", epochs=n) as rec:',
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

  it('names the run after the model class and passes classes= and epochs= on a kuangliu-style main.py (test/fixtures/python-models/cifar-project)', () => {
    const text = readFileSync(join(root, 'test/fixtures/python-models/cifar-project/main.py'), 'utf8');
    const sites = findRecorderSites(text, parser);
    const loop = sites.loops[0];
    assert.equal(loop.text, 'for epoch in range(start_epoch, start_epoch+200):');
    // `net = ResNet18()`, not `net = net.to(device)`; the commented `# net = VGG('VGG19')` is no code.
    assert.deepEqual([loop.model, loop.modelClass, loop.classes, loop.epochs], ['net', 'ResNet18', 'classes', '200']);
    const out = applyRecorderLines(text, importLineFor(sites, loop), loopEdit(text, loop, 'main'));
    const lines = out.trimEnd().split('\n');
    const at = lines.indexOf('for epoch in range(start_epoch, start_epoch+200):');
    assert.equal(at, -1, 'the loop moved one level in');
    assert.deepEqual(lines.slice(-7), [
      'with Recorder(net, probe=(x_probe, y_probe), name="ResNet18", classes=classes, epochs=200) as rec:',
      '    rec.epoch(0)  # the model before training',
      '    for epoch in range(start_epoch, start_epoch+200):',
      '        train(epoch)',
      '        test(epoch)',
      '        scheduler.step()',
      '        rec.epoch(epoch + 1)',
    ]);
    assert.ok(lines.includes('from cnn_slicer import Recorder'));
  });

  it('reads the epochs and classes the script gives in its other forms, and leaves them out where it gives none', () => {
    const facts = (body: string[]) => {
      const loop = findRecorderSites(body.join('\n') + '\n', parser).loops[0];
      return [loop.modelClass, loop.classes, loop.epochs];
    };
    const trainLoop = (head: string) => [head, '    model.train()', '    loss.backward()'];
    assert.deepEqual(
      facts([
        'import torchvision',
        'model = torchvision.models.resnet18()',
        'model = nn.DataParallel(model)',
        'NUM_CLASSES = 10',
        'EPOCHS = 5',
        ...trainLoop('for epoch in range(EPOCHS):'),
      ]),
      ['resnet18', 'range(NUM_CLASSES)', 'EPOCHS'],
    );
    assert.deepEqual(facts(['model = Net()', ...trainLoop('for epoch in range(1, args.epochs + 1):')]), ['Net', undefined, 'args.epochs']);
    assert.deepEqual(facts(['model = Net()', ...trainLoop('for epoch in range(first, last):')]), ['Net', undefined, 'last - first']);
    // A batch loop: the epochs constant; the class names of another function are not visible.
    assert.deepEqual(
      facts([
        'def labels():',
        '    classes = ["a", "b"]',
        'num_epochs = 3',
        'def fit(model, loader):',
        '    for x, y in loader:',
        '        model.train()',
        '        loss.backward()',
      ]),
      [undefined, undefined, 'num_epochs'],
    );
    // A model built after the loop, a wrapper only, a step range: nothing guessed.
    assert.deepEqual(facts(['model = model.cuda()', ...trainLoop('for epoch in range(0, n, 2):'), 'model = Net()']), [
      undefined,
      undefined,
      undefined,
    ]);
  });
});
