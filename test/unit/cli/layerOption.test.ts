// `cnn-slicer query … --layer <name>` (src/cli/layerOption.ts, src/cli/query.ts): a layer by its
// exact name, or a part that begins or ends one name only; an ambiguous or unknown name is one line.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { editDistance, layerByName } from '../../../src/cli/layerOption';
import { namesALayer, queryFromOptions } from '../../../src/cli/query';
import { UsageError } from '../../../src/cli/usage';
import { expectOneLine, runCli } from '../../support/cliRun';
import { writeFixtureRun } from '../../support/runFixture';

/** A ResNet18 run's names as the PyTorch recorder writes them (shortened: two stages). */
const RESNET = [
  'input',
  'conv1',
  'bn1',
  'relu',
  'layer1.0.conv1',
  'layer1.0.bn1',
  'layer1.0.conv2',
  'layer1.1.conv1',
  'layer1.1.conv2',
  'layer2.0.conv1',
  'layer2.0.conv2',
  'layer2.0.shortcut.0',
  'layer2.1.conv1',
  'layer2.1.conv2',
  'avg_pool2d',
  'linear',
];

const refusal = (text: RegExp) => (e: unknown) => e instanceof UsageError && text.test(e.message) && !e.message.includes('\n');

describe('cli --layer by name', () => {
  it('finds a layer by its exact name, or by a part that begins or ends one name only', () => {
    assert.equal(layerByName('conv1', RESNET, '--layer'), 1, 'the exact name, though others end with it');
    assert.equal(layerByName('layer2.0.shortcut.0', RESNET, '--layer'), 11);
    assert.equal(layerByName('2.1.conv2', RESNET, '--layer'), 13, 'a suffix');
    assert.equal(layerByName('avg', RESNET, '--layer'), 14, 'a prefix');
    assert.equal(layerByName(' shortcut.0 ', RESNET, '--layer'), 11, 'trimmed');
    assert.equal(layerByName('LINEAR', RESNET, '--layer'), 15, 'case, where nothing matches as written');
    assert.equal(layerByName('input', RESNET, '--layer'), 0);
  });

  it('refuses an ambiguous name in one line listing what it could mean, the first six and how many more', () => {
    assert.throws(
      () => layerByName('layer1.0', RESNET, '--layer-i'),
      refusal(
        /^--layer-i "layer1\.0" could be 3 layers: layer1\.0\.conv1 \(4\), layer1\.0\.bn1 \(5\), layer1\.0\.conv2 \(6\); give its full name or index/,
      ),
    );
    assert.throws(
      () => layerByName('layer', RESNET, '--layer'),
      refusal(/could be 10 layers: layer1\.0\.conv1 \(4\), .*layer2\.0\.conv1 \(9\), and 4 more;/),
    );
  });

  it('refuses an unknown name in one line naming the close ones, or none', () => {
    assert.throws(
      () => layerByName('layer1.0.cnv1', RESNET, '--layer'),
      refusal(/^--layer "layer1\.0\.cnv1" names no layer of this run; close names: layer1\.0\.conv1 \(4\) \(layer names/),
    );
    assert.throws(
      () => layerByName('xyzzy', RESNET, '--layer'),
      refusal(/^--layer "xyzzy" names no layer of this run \(layer names or indices 0–15;/),
    );
    assert.equal(editDistance('conv1', 'cnv1'), 1);
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(editDistance('kitten', 'sitting'), 3);
  });

  it('puts the index into the query, the same as the index given; names without the run are refused', () => {
    assert.deepEqual(queryFromOptions('channelEntropies', { layer: 'layer2.1.conv1', epoch: '1' }, RESNET), {
      kind: 'channelEntropies',
      layer: 12,
      epoch: 1,
    });
    assert.deepEqual(
      queryFromOptions('channelEntropies', { layer: '12', epoch: '1' }, RESNET),
      queryFromOptions('channelEntropies', { layer: '12', epoch: '1' }),
    );
    assert.deepEqual(queryFromOptions('layerCapacity', { 'layer-i': 'conv1', 'layer-j': 'linear', epoch: '2' }, RESNET), {
      kind: 'layerCapacity',
      layerI: 1,
      layerJ: 15,
      epoch: 2,
    });
    assert.throws(
      () => queryFromOptions('channelEntropies', { layer: 'conv1' }),
      refusal(/--layer must be a layer index or name, got "conv1"/),
    );
    assert.throws(() => queryFromOptions('channelEntropies', { layer: '-1' }, RESNET), refusal(/names no layer/));
  });

  it('takes names in --layers too, beside indices; an unknown one is refused as --layer refuses it', () => {
    assert.deepEqual(queryFromOptions('networkGraph', { layers: 'conv1,layer2.0.shortcut.0, 15', epoch: '1' }, RESNET), {
      kind: 'networkGraph',
      layers: [1, 11, 15],
      epoch: 1,
    });
    assert.deepEqual(queryFromOptions('channelImportanceEstimate', { layers: '4,9', epoch: '1' }), {
      kind: 'channelImportanceEstimate',
      layers: [4, 9],
      epoch: 1,
    });
    assert.throws(
      () => queryFromOptions('networkGraph', { layers: 'conv1,xyzzy' }, RESNET),
      refusal(/^--layers "xyzzy" names no layer of this run/),
    );
    assert.throws(
      () => queryFromOptions('networkGraph', { layers: 'conv1' }),
      refusal(/--layers must be a comma-separated list of layer indices or names/),
    );
    assert.throws(() => queryFromOptions('networkGraph', { layers: '1,,2' }, RESNET), refusal(/--layers must be/));
    assert.equal(namesALayer({ layers: '1,conv1' }), true);
    assert.equal(namesALayer({ layers: '1,2' }), false);
  });

  it('cnn-slicer query reads the names from the run and refuses a bad one with exit code 2, before any query', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cnn-slicer-layer-name-'));
    try {
      const run = path.join(dir, 'runs', '20261122-100000-tiny');
      writeFixtureRun(run); // layers: input, conv, dense
      expectOneLine(
        await runCli(['query', run, 'channelEntropies', '--layer', 'cnv', '--epoch', '1']),
        2,
        '--layer "cnv" names no layer of this run; close names: conv (1)',
      );
      expectOneLine(
        await runCli(['query', run, 'layerCapacity', '--layer-i', 'conv', '--layer-j', 'nothing', '--epoch', '1']),
        2,
        '--layer-j "nothing"',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
