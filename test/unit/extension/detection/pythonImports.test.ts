// The scripts that import a model file (src/extension/detection/pythonImports.ts): on a project laid
// out as kuangliu/pytorch-cifar (test/fixtures/python-models/cifar-project: a `models/` package whose
// `__init__.py` re-exports `resnet.py` and `vgg.py`, and a `main.py` that does `from models import *`
// and `net = ResNet18()`), and on the other import forms one at a time.
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { loadPythonParser, pythonWasmFolder, type PythonParser } from '../../../../src/extension/detection/pythonParser';
import { importHints, pythonFileFacts, scriptsImporting, type PythonFileFacts } from '../../../../src/extension/detection/pythonImports';
import { read, root } from '../../../support/modelSources';

let parser: PythonParser;
before(async () => {
  parser = await loadPythonParser(pythonWasmFolder());
});

const PROJECT = join(root, 'test/fixtures/python-models/cifar-project');

/** Every `.py` file under `folder`, by its `/`-separated path from there, with its facts. */
function projectFacts(folder: string): Map<string, PythonFileFacts> {
  const out = new Map<string, PythonFileFacts>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.py')) out.set(relative(folder, path).split('\\').join('/'), pythonFileFacts(read(path), parser));
    }
  };
  walk(folder);
  return out;
}

/** Facts of literal files. */
function facts(files: Record<string, string>): Map<string, PythonFileFacts> {
  return new Map(Object.entries(files).map(([path, text]) => [path, pythonFileFacts(text, parser)]));
}

describe('pythonImports: the scripts that import a model file', () => {
  it("reads a file's imports, calls and top-level definitions", () => {
    const f = pythonFileFacts(
      [
        'import os, models.resnet as r',
        'from . import utils',
        'from ..models import ResNet18 as R, VGG',
        'from models import *',
        '@dataclass',
        'class Config: pass',
        'def ResNet18():',
        '    return r.ResNet(BasicBlock, [2, 2])',
        'net = ResNet18()',
        '',
      ].join('\n'),
      parser,
    );
    assert.deepEqual(f.imports, [
      { level: 0, module: 'os', names: [] },
      { level: 0, module: 'models.resnet', names: [] },
      { level: 1, module: '', names: ['utils'] },
      { level: 2, module: 'models', names: ['ResNet18', 'VGG'] },
      { level: 0, module: 'models', names: ['*'] },
    ]);
    assert.deepEqual(f.called, ['ResNet', 'ResNet18']); // a decorator without arguments is no call
    assert.deepEqual(f.defines, ['Config', 'ResNet18']);
  });

  it('finds main.py of a kuangliu-style project for models/resnet.py (through models/__init__.py), naming ResNet18', () => {
    const files = projectFacts(PROJECT);
    assert.deepEqual(scriptsImporting('models/resnet.py', files), [
      { path: 'main.py', calls: ['ResNet18'] },
      // `import models.resnet as resnet` imports it and builds nothing: offered after the one that builds the model.
      { path: 'check_resnet.py', calls: [] },
    ]);
    // VGG: main.py imports it too (the star), but only tools/export.py builds one (`from models.vgg import VGG` from the workspace folder).
    assert.deepEqual(scriptsImporting('models/vgg.py', files), [
      { path: 'tools/export.py', calls: ['VGG'] },
      { path: 'main.py', calls: [] },
    ]);
    // A file that nothing imports, and a script (main.py) as the model file: nothing.
    assert.deepEqual(scriptsImporting('utils.py', files), [{ path: 'main.py', calls: ['progress_bar'] }]);
    assert.deepEqual(scriptsImporting('main.py', files), []);
  });

  it('resolves each import form from the script folder, the workspace folder or the package, and nothing else', () => {
    const model = 'class Net: pass\ndef build(): return Net()\n';
    const files = facts({
      'pkg/net.py': model,
      'pkg/__init__.py': '',
      'a.py': 'from pkg.net import Net\nNet()\n',
      'b.py': 'from pkg import net\nnet.build()\n',
      'c.py': 'import pkg.net\n',
      'd.py': 'import pkg\n', // pkg/__init__.py imports nothing: not the model
      'pkg/train.py': 'from .net import build\nbuild()\n',
      'pkg/sub/run.py': 'from ..net import Net\n',
      'pkg/run2.py': 'import net\n', // the script's own folder is on sys.path
      'other/net.py': model,
      'e.py': 'from other.net import Net\nNet()\n',
      'f.py': 'from pkg.network import Net\n', // a name that only begins the same
    });
    assert.deepEqual(
      scriptsImporting('pkg/net.py', files).map((s) => [s.path, s.calls]),
      [
        ['a.py', ['Net']],
        ['b.py', ['build']],
        ['pkg/train.py', ['build']],
        ['c.py', []],
        ['pkg/run2.py', []],
        ['pkg/sub/run.py', []],
      ],
    );
  });

  it('follows re-exports through nested packages', () => {
    const files = facts({
      'lib/__init__.py': 'from .models import *\n',
      'lib/models/__init__.py': 'from lib.models.resnet import ResNet18\n',
      'lib/models/resnet.py': 'def ResNet18(): pass\n',
      'train.py': 'import lib\nnet = lib.ResNet18()\n',
      'eval.py': 'from lib.models import ResNet18\n',
    });
    assert.deepEqual(scriptsImporting('lib/models/resnet.py', files), [
      { path: 'train.py', calls: ['ResNet18'] },
      { path: 'eval.py', calls: [] },
    ]);
    assert.deepEqual(importHints('lib/models/resnet.py'), ['lib', 'models', 'resnet']);
    assert.deepEqual(importHints('lib/models/__init__.py'), ['lib', 'models']);
  });
});
