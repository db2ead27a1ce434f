import assert from 'node:assert/strict';
import { INTER_SAMPLE_UNDEFINED } from '../../../src/analysis/interSampleReasons';
import { parseMetricsLines, validateEpochMetrics, validateManifest } from '../../../src/contract/runFormat';
import { fixtureManifest, fixtureMetrics } from '../../support/runFixture';

const DAMAGED = '; the run folder is damaged — record the run again';

/** The message validateManifest throws for the fixture manifest after `damage`. */
function manifestError(damage: (m: Record<string, any>) => void): string {
  const m: Record<string, any> = structuredClone(fixtureManifest('r', [0, 1]));
  damage(m);
  try {
    validateManifest(m);
  } catch (e) {
    return (e as Error).message;
  }
  return 'accepted';
}

/** The message validateEpochMetrics throws for the fixture's epoch 1 line after `damage`. */
function lineError(damage: (m: Record<string, any>) => void): string {
  const line: Record<string, any> = structuredClone(fixtureMetrics(1));
  damage(line);
  try {
    validateEpochMetrics(line, fixtureManifest('r', [0, 1]), 'metrics.jsonl: line 2');
  } catch (e) {
    return (e as Error).message;
  }
  return 'accepted';
}

describe('run format as valibot schemas (src/contract/runSchema.ts): one line naming the file and the field', () => {
  it('names a missing field with its own clause, not its parent object', () => {
    assert.equal(
      manifestError((m) => delete m.id),
      `manifest.json: id is missing or not a string${DAMAGED}`,
    );
    assert.equal(
      manifestError((m) => delete m.probe),
      `manifest.json: probe is missing or not an object${DAMAGED}`,
    );
    assert.equal(
      manifestError((m) => delete m.layers[1].parameters),
      `manifest.json: layers[1].parameters is not an integer >= 0${DAMAGED}`,
    );
    assert.equal(
      manifestError((m) => delete m.formatVersion),
      `manifest.json: formatVersion is missing${DAMAGED}`,
    );
    assert.equal(
      manifestError((m) => delete m.settings.seed),
      `manifest.json: settings.seed is missing or not a number${DAMAGED}`,
    );
  });

  it('names the whole file when it is not an object, and array entries by their index', () => {
    assert.equal(
      manifestError((m) => Object.keys(m).forEach((k) => delete m[k])),
      `manifest.json: formatVersion is missing${DAMAGED}`,
    );
    assert.throws(() => validateManifest([1, 2], 'runs/a/manifest.json'), {
      message: `runs/a/manifest.json: the manifest is missing or not an object${DAMAGED}`,
    });
    assert.equal(
      manifestError((m) => (m.layers[1].outputShape[2] = 1.5)),
      `manifest.json: layers[1].outputShape[2] is not an integer >= -1${DAMAGED}`,
    );
    assert.equal(
      manifestError((m) => (m.backend.fallbackReasons = ['ok', 3])),
      `manifest.json: backend.fallbackReasons[1] is missing or not a string${DAMAGED}`,
    );
    assert.equal(
      manifestError((m) => (m.dataset.classNames = [])),
      `manifest.json: dataset.classNames is empty${DAMAGED}`,
    );
  });

  it('checks the relations between fields: a layer index is its place, its channels its shape, one probe count per class, ascending epochs', () => {
    assert.equal(
      manifestError((m) => (m.layers[2].index = 1)),
      `manifest.json: layers[2].index is not 2${DAMAGED}`,
    );
    assert.equal(
      manifestError((m) => (m.layers[1].channels = 2)),
      `manifest.json: layers[1].channels is not 3 (the last axis of its output shape)${DAMAGED}`,
    );
    assert.equal(
      manifestError((m) => (m.probe.classCounts = [4])),
      `manifest.json: probe.classCounts has 1 entries, not 2 (one per class)${DAMAGED}`,
    );
    assert.equal(
      manifestError((m) => (m.epochs = [1, 1])),
      `manifest.json: epochs is not in ascending order${DAMAGED}`,
    );
  });

  it('repeats a status or kind only where it is a plain word', () => {
    assert.equal(
      manifestError((m) => (m.status = 'paused')),
      `manifest.json: status is unknown "paused"${DAMAGED}`,
    );
    assert.equal(
      manifestError((m) => (m.status = 'API_KEY=hunter2')),
      `manifest.json: status is unknown${DAMAGED}`,
    );
    assert.equal(
      manifestError((m) => (m.output = { layer: 'dense', kind: 'probits', chosenBy: 'only' })),
      `manifest.json: output.kind is unknown "probits"${DAMAGED}`,
    );
  });

  it('names the field of a control experiment that is wrong', () => {
    const control = { spec: 'border:4', kind: 'border', parameter: 0, sourceRun: { id: 's', folder: '../s' }, chanceAccuracy: 0.5 };
    assert.equal(
      manifestError((m) => (m.control = control)),
      `manifest.json: control.parameter is not an integer >= 1 (the border width)${DAMAGED}`,
    );
    const cases: [Record<string, unknown>, string][] = [
      [{ kind: 'mask-centre', parameter: 1.5 }, 'control.parameter is not a fraction in (0, 1]'],
      [{ kind: 'shuffle-labels', parameter: 3 }, 'control.parameter is set, but shuffle-labels has none'],
      [{ kind: 'blur' }, 'control.kind is unknown'],
      [{ sourceRun: { id: 's' } }, 'control.sourceRun.folder is missing or not a string'],
      [{ chanceAccuracy: 0 }, 'control.chanceAccuracy is not a rate in (0, 1]'],
      [{ parameter: 4, kept: { inputShare: 0.5 } }, 'control.kept.contentShare is not a rate in [0, 1] or null'],
    ];
    for (const [change, text] of cases)
      assert.equal(
        manifestError((m) => (m.control = { ...control, ...change })),
        `manifest.json: ${text}${DAMAGED}`,
        text,
      );
    assert.equal(
      manifestError((m) => (m.control = { ...control, parameter: 4, kept: { inputShare: 0.25, contentShare: null } })),
      'accepted',
    );
  });

  it('returns the manifest as read, keeping fields newer versions may add', () => {
    const m: Record<string, any> = { ...structuredClone(fixtureManifest('r', [0])), laterField: { a: 1 } };
    m.layers[1].args = { kernelSize: [3, 3], padding: 'same' };
    const read = validateManifest(m);
    assert.equal(read, m);
    assert.deepEqual((read as unknown as Record<string, unknown>).laterField, { a: 1 });
    assert.deepEqual(read.layers[1].args, { kernelSize: [3, 3], padding: 'same' });
  });

  it("sizes a metrics line's arrays by the manifest: layers, classes, channels", () => {
    assert.equal(
      lineError(() => undefined),
      'accepted',
    );
    assert.equal(
      lineError((l) => l.layers.pop()),
      `metrics.jsonl: line 2: layers has 2 entries, not 3 (one per manifest layer)${DAMAGED}`,
    );
    assert.equal(
      lineError((l) => l.layers[1].channelBits.push(0)),
      `metrics.jsonl: line 2: layers[1].channelBits has 4 entries, not 3 (one per channel of conv)${DAMAGED}`,
    );
    assert.equal(
      lineError((l) => (l.layers[1].channelBitsPerClass = [[0, 0, 0]])),
      `metrics.jsonl: line 2: layers[1].channelBitsPerClass has 1 entries, not 2 (one per class of 2)${DAMAGED}`,
    );
    assert.equal(
      lineError((l) => (l.layers[1].deadChannels = [3])),
      `metrics.jsonl: line 2: layers[1].deadChannels[0] is not an integer in [0, 2]${DAMAGED}`,
    );
    assert.equal(
      lineError((l) => (l.layers[2].layer = 1)),
      `metrics.jsonl: line 2: layers[2].layer is not 2${DAMAGED}`,
    );
    assert.equal(
      lineError((l) => (l.hPredGivenLabel[1] = 'NaN')),
      `metrics.jsonl: line 2: hPredGivenLabel[1] is neither a number nor null${DAMAGED}`,
    );
    assert.equal(
      lineError((l) => (l.layers[1].channelBitsPerClass[1][2] = Infinity)),
      `metrics.jsonl: line 2: layers[1].channelBitsPerClass[1][2] is neither a number nor null${DAMAGED}`,
    );
    assert.equal(
      lineError((l) => (l.layers[1].channelBits = { 0: 1 })),
      `metrics.jsonl: line 2: layers[1].channelBits is missing or not an array${DAMAGED}`,
    );
    assert.equal(
      lineError((l) => (l.layers[0].interSampleUndefined = 'tired')),
      `metrics.jsonl: line 2: layers[0].interSampleUndefined is not one of ${INTER_SAMPLE_UNDEFINED.join(', ')}${DAMAGED}`,
    );
    assert.equal(
      lineError((l) => delete l.timingsMs.record),
      `metrics.jsonl: line 2: timingsMs.record is missing or not a number${DAMAGED}`,
    );
  });

  it('skips a damaged metrics line with its message and keeps the lines around it', () => {
    const manifest = fixtureManifest('r', [0, 1, 2]);
    const bad = { ...fixtureMetrics(1), probeAccuracy: null };
    const text = [fixtureMetrics(0), bad, fixtureMetrics(2)].map((l) => JSON.stringify(l) + '\n').join('');
    const parsed = parseMetricsLines(text, manifest);
    assert.deepEqual(
      parsed.epochs.map((e) => e.epoch),
      [0, 2],
    );
    assert.deepEqual(parsed.damaged, [{ line: 2, message: `metrics.jsonl: line 2: probeAccuracy is missing or not a number${DAMAGED}` }]);
  });
});
