// A PyTorch run's layers placed on the definitions the Python scan finds in the current text of the
// model file (src/extension/detection/layerMatching.ts, sourcePosition.ts): the lenses, hovers and
// Problems entries of a `.py` file. The runs are what the recorder wrote for the Python model
// fixtures (test/support/pythonRecorded.ts); the texts are the fixtures, as recorded and edited.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pythonSiteNames, type LayerSite } from '../../../../src/extension/detection/layerMatching';
import { loadPythonParser, pythonWasmFolder, type PythonParser } from '../../../../src/extension/detection/pythonParser';
import { scanPythonModel } from '../../../../src/extension/detection/pythonScan';
import {
  layerPosition,
  sitesOfRun,
  utf16Column,
  type ManifestLayer,
  type TextLines,
} from '../../../../src/extension/detection/sourcePosition';
import { read, root } from '../../../support/modelSources';
import { RECORDED, RECORDED_AT_CONTAINER } from '../../../support/pythonRecorded';

const FILE = '/workspace/model.py';
const sameFile = (path: string) => path === FILE;

function textLines(text: string): TextLines {
  const lines = text.split('\n');
  return { lineCount: lines.length, lineAt: (line) => ({ text: lines[line] ?? '' }) };
}

/** The manifest layers of a recorded model: the input (index 0, no source), then the recorded layers. */
function manifestLayers(layers: (typeof RECORDED)[number]['layers']): ManifestLayer[] {
  return [
    { index: 0, name: 'input', className: 'InputLayer' },
    ...layers.map(([name, className, line, column, args], i) => ({
      index: i + 1,
      name,
      className,
      source: { file: FILE, line, column },
      ...(args ? { args } : {}),
    })),
  ];
}

/** The site each layer is placed on (undefined: none), by layer index. */
function placement(sites: readonly LayerSite[]): Map<number, LayerSite> {
  const out = new Map<number, LayerSite>();
  for (const s of sites) for (const l of s.layers) out.set(l, s);
  return out;
}

describe('PyTorch runs on the text of their Python model file', function () {
  let parser: PythonParser;
  before(async () => {
    parser = await loadPythonParser(pythonWasmFolder());
  });

  const sites = (text: string, layers: ManifestLayer[], fileUnchanged: boolean) =>
    sitesOfRun(scanPythonModel(text, parser).layers, layers, sameFile, {
      fileUnchanged,
      lineCount: text.split('\n').length,
      utf8Columns: textLines(text),
    });

  it('names a module by its path under the instance of its class, a called module by -n, a functional op exactly', () => {
    const conv = { kind: 'module' as const, paths: ['conv1'] };
    assert.ok(pythonSiteNames(conv, 'conv1', true));
    assert.ok(pythonSiteNames(conv, 'layer1.0.conv1', false));
    assert.ok(!pythonSiteNames(conv, 'layer1.0.conv1', true));
    assert.ok(pythonSiteNames(conv, 'conv1-2', true), 'the second call of the module');
    assert.ok(!pythonSiteNames(conv, 'xconv1', false));
    assert.ok(pythonSiteNames({ kind: 'module', paths: ['blocks.*'] }, 'stage.blocks.3', false));
    assert.ok(!pythonSiteNames({ kind: 'module', paths: ['blocks.*'] }, 'blocks.3.conv', false));
    const relu = { kind: 'functional' as const, paths: ['relu'] };
    assert.ok(pythonSiteNames(relu, 'layer1.0.relu', false));
    assert.ok(!pythonSiteNames(relu, 'relu-2', true), "a functional op's count is part of its path");
  });

  it("converts Python's UTF-8 byte columns to the editor's UTF-16 columns", () => {
    assert.equal(utf16Column('abc', 2), 2);
    assert.equal(utf16Column('é = nn.ReLU()', 5), 4, 'é is 2 bytes, 1 code unit');
    assert.equal(utf16Column('😀x', 4), 2, 'an astral character is 4 bytes, 2 code units');
    assert.equal(utf16Column('ab', 9), 9, 'past the end, one unit a byte (two positions never merge)');
    assert.equal(utf16Column('éb', 9), 8);
    const lines = textLines('# ééé\nx = nn.ReLU()');
    const layer: ManifestLayer = { index: 1, name: 'x', className: 'ReLU', source: { file: FILE, line: 1, column: 7 } };
    assert.deepEqual(layerPosition([], layer, sameFile, lines, true), { line: 0, column: 4, matched: false }, 'after `# éé`');
    assert.deepEqual(layerPosition([], layer, sameFile, lines, false), { line: 0, column: 5, matched: false }, 'clamped to the line');
  });

  for (const model of RECORDED) {
    const atContainer = RECORDED_AT_CONTAINER[model.file] ?? [];
    const title = `${model.file} (${model.model})`;
    const located = (name: string) => !atContainer.includes(name);

    it(`${title}: unchanged, every layer on the definition at its recorded position`, () => {
      const text = read(join(root, model.file));
      const layers = manifestLayers(model.layers);
      const placed = placement(sites(text, layers, true));
      for (const l of layers.slice(1)) {
        const site = placed.get(l.index);
        assert.ok(site, `${l.name} has no site`);
        if (!located(l.name)) continue;
        assert.deepEqual([site.line + 1, site.column + 1], [l.source?.line, l.source?.column], l.name);
        assert.ok(site.detected, `${l.name} is on a definition the scan found`);
      }
    });

    it(`${title}: after lines are added above, every placed layer follows its definition, and every module is placed`, () => {
      const text = read(join(root, model.file));
      const layers = manifestLayers(model.layers);
      const edited = `# a comment added since the run\n\n${text}`;
      const placed = placement(sites(edited, layers, false));
      const before = placement(sites(text, layers, true));
      for (const l of layers.slice(1)) {
        const site = placed.get(l.index);
        const was = before.get(l.index);
        if (!site) {
          // Only a functional op may lose its place (order could not tell it apart): never a module.
          assert.ok(l.className === l.className.toLowerCase(), `the module ${l.name} (${l.className}) lost its site`);
          continue;
        }
        assert.ok(was, l.name);
        if (!located(l.name)) {
          // Recorded at its container: the names place it where it is constructed.
          assert.ok(
            site.detected?.python && pythonSiteNames(site.detected.python, l.name, false),
            `${l.name} on a definition that makes it`,
          );
          continue;
        }
        assert.deepEqual([site.line, site.column], [was.line + 2, was.column], `${l.name} moved with its definition`);
      }
    });
  }

  it('a layer inserted since the run is "not recorded yet", and the others keep their numbers', () => {
    const file = 'test/fixtures/python-models/attributes.py';
    const model = RECORDED.find((r) => r.file === file);
    assert.ok(model);
    const text = read(join(root, file));
    const lines = text.split('\n');
    // After `self.conv1 = nn.Conv2d(…)` (line 10): a new convolution of the same kind.
    lines.splice(10, 0, '        self.extra = nn.Conv2d(6, 6, kernel_size=3)');
    const layers = manifestLayers(model.layers);
    const all = sites(lines.join('\n'), layers, false);
    const extra = all.find((s) => s.line === 10);
    assert.ok(extra?.detected, 'the new definition is found');
    assert.deepEqual(extra.layers, [], 'and has no layer of the run');
    assert.ok(!extra.ambiguous);
    const placed = placement(all);
    const before = placement(sites(text, layers, true));
    for (const l of layers.slice(1)) {
      const site = placed.get(l.index);
      const was = before.get(l.index);
      if (!site || !was) continue;
      assert.equal(site.line, was.line + (was.line >= 10 ? 1 : 0), `${l.name} stays on its definition`);
    }
    assert.equal(placed.get(layers.find((l) => l.name === 'conv1')?.index ?? -1)?.line, 9);
  });
});
