import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { checkpointFolder } from '../../../src/run/paths';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serializeNpy } from '../../../src/analysis';
import {
  checkLayerShapes,
  parseMetricsLines,
  RunFormatError,
  validateEpochMetrics,
  validateManifest,
} from '../../../src/contract/runFormat';
import { readProbe } from '../../../src/run/probe';
import {
  aliveWithoutStartTime,
  currentProcessIdentity,
  isProcessAlive,
  isRecorderCommandLine,
  processStartTime,
  STALE_RECORDING_MS,
} from '../../../src/run/process';
import { readRun, readRunAsync } from '../../../src/run/store';
import { fixtureManifest, fixtureMetrics, writeFixtureRun } from '../../support/runFixture';

const isLinux = process.platform === 'linux';

function formatError(text: RegExp): (e: unknown) => boolean {
  return (e: unknown) => RunFormatError.is(e) && text.test((e as Error).message);
}

describe('run store: what is on disk, checked once (damaged runs, dead recorders)', function () {
  this.timeout(30000);
  let root: string;
  let run: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'cnn-slicer-runstore-'));
    mkdirSync(join(root, 'runs'));
    run = join(root, 'runs', '20261122-100000-tiny');
    writeFixtureRun(run);
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const editManifest = (edit: (m: Record<string, any>) => void) => {
    const path = join(run, 'manifest.json');
    const m = JSON.parse(readFileSync(path, 'utf8'));
    edit(m);
    writeFileSync(path, JSON.stringify(m));
  };
  const metricsLines = () => readFileSync(join(run, 'metrics.jsonl'), 'utf8').split('\n');
  const writeMetricsLines = (lines: string[]) => writeFileSync(join(run, 'metrics.jsonl'), lines.join('\n'));

  it('reads an intact run with every epoch and no notes', () => {
    const r = readRun(run);
    assert.deepEqual(r.manifest.epochs, [0, 1, 2]);
    assert.deepEqual(
      r.metrics.map((m) => m.epoch),
      [0, 1, 2],
    );
    assert.deepEqual(r.notes, []);
  });

  describe('metrics.jsonl', () => {
    it('a torn line in the middle costs only its epoch: the run opens and a note names the line', async () => {
      const lines = metricsLines();
      lines[1] = lines[1].slice(0, 40);
      writeMetricsLines(lines);
      for (const r of [readRun(run), await readRunAsync(run)]) {
        assert.deepEqual(r.manifest.epochs, [0, 2], 'the epochs before and after the damaged line are kept');
        assert.deepEqual(
          r.metrics.map((m) => m.epoch),
          [0, 2],
        );
        assert.ok(
          r.notes.some((n) => /metrics\.jsonl: line 2 is not valid JSON/.test(n)),
          r.notes.join(' | '),
        );
        assert.ok(r.notes.some((n) => /epochs 1 are incomplete/.test(n)));
      }
    });

    it('a line that parses but does not fit the manifest is skipped and named with its field', () => {
      const lines = metricsLines();
      const bad = JSON.parse(lines[2]);
      bad.layers[1].channelBits = [0.1, 0.2];
      lines[2] = JSON.stringify(bad);
      writeMetricsLines(lines);
      const r = readRun(run);
      assert.deepEqual(r.manifest.epochs, [0, 1]);
      assert.ok(
        r.notes.some((n) => /line 3: layers\[1\]\.channelBits has 2 entries, not 3 \(one per channel of conv\)/.test(n)),
        r.notes.join(' | '),
      );
    });

    it('every field of a metrics line is checked against the schema and the manifest, naming file, line and field', () => {
      const manifest = fixtureManifest('x', [0]);
      const bad: [string, (m: Record<string, any>) => void, RegExp][] = [
        ['a string loss', (m) => (m.probeLoss = 'low'), /probeLoss is neither a number nor null/],
        ['a missing accuracy', (m) => delete m.probeAccuracy, /probeAccuracy is missing/],
        ['a confusion row too short', (m) => (m.confusion[1] = [1]), /confusion\[1\] has 1 entries, not 2/],
        ['a class entropy too many', (m) => m.hLabelGivenPred.push(0), /hLabelGivenPred has 3 entries, not 2/],
        ['a layer missing', (m) => m.layers.pop(), /layers has 2 entries, not 3 \(one per manifest layer\)/],
        ['layers out of order', (m) => (m.layers[2].layer = 5), /layers\[2\]\.layer is not 2/],
        [
          'a per-class row of the wrong width',
          (m) => (m.layers[1].channelBitsPerClass[0] = [1]),
          /layers\[1\]\.channelBitsPerClass\[0\] has 1 entries, not 3/,
        ],
        [
          'a dead channel that does not exist',
          (m) => (m.layers[1].deadChannels = [3]),
          /layers\[1\]\.deadChannels\[0\] is not an integer in \[0, 2\]/,
        ],
        ['an inter-sample entropy as text', (m) => (m.layers[0].interSampleBits = '1.5'), /layers\[0\]\.interSampleBits/],
        ['no timings', (m) => delete m.timingsMs, /timingsMs is missing/],
      ];
      for (const [what, damage, text] of bad) {
        const m = fixtureMetrics(0) as unknown as Record<string, any>;
        damage(m);
        assert.throws(
          () => validateEpochMetrics(m, manifest, 'metrics.jsonl: line 7'),
          (e: unknown) => formatError(/^metrics\.jsonl: line 7: /)(e) && formatError(text)(e),
          what,
        );
      }
      assert.doesNotThrow(() => validateEpochMetrics(fixtureMetrics(0), manifest, 'line 1'));
    });

    it('a last line cut off by a crash is dropped quietly, as before', () => {
      const text = JSON.stringify(fixtureMetrics(0)) + '\n' + JSON.stringify(fixtureMetrics(1)).slice(0, 30);
      const parsed = parseMetricsLines(text, fixtureManifest('x', [0, 1]));
      assert.deepEqual([parsed.epochs.length, parsed.droppedTail, parsed.damaged.length], [1, true, 0]);
    });
  });

  describe('manifest.json', () => {
    it('a layer without outputShape is a run-format error naming the layer', () => {
      editManifest((m) => delete m.layers[1].outputShape);
      assert.throws(() => readRun(run), formatError(/layers\[1\]\.outputShape is missing or not an array/));
    });

    it('every section is checked, with the field named and no value repeated', () => {
      const cases: [(m: Record<string, any>) => void, RegExp][] = [
        [(m) => (m.layers[2].channels = 4), /layers\[2\]\.channels is not 1/],
        [(m) => (m.dataset.classNames = []), /dataset\.classNames is empty/],
        [(m) => (m.dataset.inputShape = [2, 0, 1]), /dataset\.inputShape\[1\] is not an integer >= 1/],
        [(m) => (m.probe.size = -3), /probe\.size is not an integer >= 0/],
        [(m) => (m.probe.classCounts = [4]), /probe\.classCounts has 1 entries, not 2/],
        [(m) => (m.settings.bins = 0), /settings\.bins/],
        [(m) => (m.model.sourceFiles = [7]), /model\.sourceFiles\[0\] is missing or not a string/],
        [(m) => (m.epochs = [2, 1]), /epochs is not in ascending order/],
        [(m) => (m.createdAt = 12), /createdAt/],
        [(m) => (m.pidStartTime = 5), /pidStartTime/],
      ];
      const original = readFileSync(join(run, 'manifest.json'), 'utf8');
      for (const [damage, text] of cases) {
        writeFileSync(join(run, 'manifest.json'), original);
        editManifest(damage);
        assert.throws(() => readRun(run), formatError(text), String(text));
      }
      const m = JSON.parse(original);
      assert.doesNotThrow(() => validateManifest(m));
    });
  });

  describe('a PyTorch run (format 2)', () => {
    it('opens with its pending epochs named in a note; a format 3 run is refused', () => {
      editManifest((m) => {
        m.formatVersion = 2;
        m.settings = { seed: 1, recordEvery: 1, probeSize: 4, bins: 8, k: 2 };
        m.checkpoint = { format: 'onnx', file: 'model.onnx', opset: 14, producer: 'pytorch 1.13.0a0' };
      });
      const pending = (e: number) => {
        const { layers: _l, hLabelGivenPred: _a, hPredGivenLabel: _b, ...probe } = fixtureMetrics(e);
        return JSON.stringify({ ...probe, pending: 'measures' });
      };
      writeMetricsLines([pending(0), pending(1), pending(2), '']);
      // An epoch has landed once its checkpoint's ONNX file has; epoch 2's has not.
      for (const e of [0, 1]) writeFileSync(join(checkpointFolder(run, e), 'model.onnx'), '');
      const r = readRun(run);
      assert.equal(r.manifest.formatVersion, 2);
      assert.deepEqual(r.manifest.epochs, []);
      assert.deepEqual(r.notes, [
        'epochs 0, 1 were recorded by PyTorch and await their measures',
        'epochs 2 are incomplete and were ignored',
      ]);
      assert.deepEqual(
        r.pending?.map((l) => l.epoch),
        [0, 1],
      );
      editManifest((m) => (m.formatVersion = 3));
      assert.throws(() => readRun(run), formatError(/format 3, this version reads up to 2\); update CNN Slicer/));
    });

    it('reads a run folder the Python recorder wrote (test/fixtures/pytorch-run): manifest, pending lines, probe', () => {
      const fixtures = join(__dirname, '..', '..', 'fixtures', 'pytorch-run');
      const [id] = readdirSync(fixtures);
      const copy = join(root, 'runs', id);
      cpSync(join(fixtures, id), copy, { recursive: true });
      const r = readRun(copy);
      assert.equal(r.manifest.formatVersion, 2);
      assert.equal(r.manifest.status, 'completed');
      assert.deepEqual(r.manifest.checkpoint, { format: 'onnx', file: 'model.onnx', opset: 14, producer: 'pytorch 1.13.0a0' });
      assert.deepEqual(
        r.manifest.layers.map((l) => [l.name, l.className, l.channels, l.dataFormat]),
        [
          ['input', 'InputLayer', 1, 'channelsFirst'],
          ['conv1', 'Conv2d', 4, 'channelsFirst'],
          ['relu1', 'ReLU', 4, 'channelsFirst'],
          ['pool1', 'MaxPool2d', 4, 'channelsFirst'],
          ['conv2', 'Conv2d', 8, 'channelsFirst'],
          ['relu2', 'ReLU', 8, 'channelsFirst'],
          ['pool2', 'MaxPool2d', 8, 'channelsFirst'],
          ['fc1', 'Linear', 1, undefined],
          ['relu3', 'ReLU', 1, undefined],
          ['fc2', 'Linear', 1, undefined],
        ],
      );
      assert.deepEqual(r.notes, ['epochs 0, 1, 2 were recorded by PyTorch and await their measures']);
      const lines = parseMetricsLines(readFileSync(join(copy, 'metrics.jsonl'), 'utf8'), r.manifest);
      assert.deepEqual(
        lines.pending.map((l) => [l.epoch, l.trainAccuracy]),
        [
          [0, null],
          [1, 0.25],
          [2, 0.25],
        ],
      );
      assert.deepEqual(lines.damaged, []);
      const probe = readProbe(r);
      assert.deepEqual(probe.shape, [12, 1, 16, 16]);
      assert.deepEqual(Array.from(probe.labels), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
    });
  });

  describe('the probe set', () => {
    it('reads inputs and labels that fit the manifest', () => {
      const p = readProbe(readRun(run));
      assert.deepEqual(p.shape, [4, 2, 2, 1]);
      assert.deepEqual(Array.from(p.labels), [0, 1, 0, 1]);
      assert.equal(p.inputs.length, 16);
    });

    it('a label outside the classes of the run is a run-format error', () => {
      writeFileSync(join(run, 'probe', 'labels.npy'), serializeNpy({ dtype: 'int32', shape: [4], data: Int32Array.from([0, 1, 2, 1]) }));
      assert.throws(() => readProbe(readRun(run)), formatError(/label 2 is 2, not a class of the run \(0\.\.1\)/));
    });

    it('inputs of another shape than the manifest says are a run-format error', () => {
      writeFileSync(join(run, 'probe', 'inputs.npy'), serializeNpy({ dtype: 'float32', shape: [4, 4, 1, 1], data: new Float32Array(16) }));
      assert.throws(() => readProbe(readRun(run)), formatError(/has shape \(4, 4, 1, 1\) but manifest\.json says \(4, 2, 2, 1\)/));
      writeFileSync(join(run, 'probe', 'inputs.npy'), serializeNpy({ dtype: 'float32', shape: [3, 2, 2, 1], data: new Float32Array(12) }));
      assert.throws(() => readProbe(readRun(run)), formatError(/has shape \(3, 2, 2, 1\)/));
    });

    it('labels of another count than the probe size are a run-format error', () => {
      writeFileSync(join(run, 'probe', 'labels.npy'), serializeNpy({ dtype: 'int32', shape: [3], data: Int32Array.from([0, 1, 0]) }));
      assert.throws(() => readProbe(readRun(run)), formatError(/labels\.npy has shape \(3\) but the probe has 4 inputs/));
    });

    it('a missing probe file says so', () => {
      rmSync(join(run, 'probe', 'inputs.npy'));
      assert.throws(() => readProbe(readRun(run)), formatError(/inputs\.npy is missing/));
    });
  });

  describe('a loaded model against the manifest', () => {
    it('accepts the shapes the manifest records (open dimensions fit any)', () => {
      const m = fixtureManifest('x', [0]);
      assert.doesNotThrow(() => checkLayerShapes(m, [[2, 2, 1], [2, 2, 3], [2]]));
      assert.doesNotThrow(() => checkLayerShapes(m, [undefined, [null, 2, 3], [2]]));
    });

    it('a manifest lying about a layer output shape, or naming a layer the model lacks, is a run-format error', () => {
      const m = fixtureManifest('x', [0]);
      assert.throws(
        () => checkLayerShapes(m, [[2, 2, 1], [2, 2, 4], [2]], 'checkpoint epoch-0001'),
        formatError(/^checkpoint epoch-0001: layer 1 \(conv\) outputs \[2, 2, 4\] but manifest\.json says \[2, 2, 3\]/),
      );
      assert.throws(
        () =>
          checkLayerShapes(m, [
            [2, 2, 1],
            [2, 2, 3],
            [2, 1],
          ]),
        formatError(/layer 2 \(dense\)/),
      );
      assert.throws(
        () =>
          checkLayerShapes(m, [
            [2, 2, 1],
            [2, 2, 3],
          ]),
        formatError(/no layer "dense"/),
      );
    });
  });

  describe('a recording run whose recorder is gone', () => {
    it('names this process with its start time (for the recorder to write into the manifest)', function () {
      const me = currentProcessIdentity();
      assert.equal(me.pid, process.pid);
      if (!isLinux) this.skip();
      assert.match(me.startTime!, /^\d+$/);
      assert.equal(processStartTime(process.pid), me.startTime);
    });

    it('a live pid whose start time differs (a reused pid) is not the recorder: the run is interrupted', function () {
      if (!isLinux) this.skip();
      const me = currentProcessIdentity();
      editManifest((m) => Object.assign(m, { status: 'recording', pid: me.pid, pidStartTime: String(Number(me.startTime) + 1) }));
      const r = readRun(run, { repair: false });
      assert.equal(r.manifest.status, 'interrupted');
      assert.equal(r.manifest.pidStartTime, undefined);
      assert.match(r.manifest.error!.message, /stopped unexpectedly after epoch 2/);
    });

    it('the live recorder (same pid and start time) keeps the run recording', async () => {
      const me = currentProcessIdentity();
      editManifest((m) => Object.assign(m, { status: 'recording', pid: me.pid, pidStartTime: me.startTime }));
      assert.equal(readRun(run).manifest.status, 'recording');
      assert.equal((await readRunAsync(run)).manifest.status, 'recording');
    });

    // An older or forged manifest: a pid and no start time. A long-lived process holding that pid
    // (pid 1, this test process) must not keep the run "recording" forever.
    const withoutStartTime = (pid: number) =>
      editManifest((m) => {
        Object.assign(m, { status: 'recording', pid });
        delete m.pidStartTime;
      });

    for (const reader of ['readRun', 'readRunAsync'] as const) {
      const read = async (options: { repair?: boolean } = {}) =>
        reader === 'readRun' ? readRun(run, options) : readRunAsync(run, options);

      it(`${reader}: a pid without a start time held by a process that is not a recorder (pid 1, this process) is interrupted`, async function () {
        if (!isLinux) this.skip();
        for (const pid of [1, process.pid]) {
          withoutStartTime(pid);
          const r = await read({ repair: false });
          assert.equal(r.manifest.status, 'interrupted', `pid ${pid}`);
          assert.match(r.notes.join('\n'), /recorder process is gone/);
        }
      });

      it(`${reader}: a pid without a start time held by a running recorder bundle (recorder.js) stays recording`, async function () {
        if (!isLinux) this.skip();
        const dir = mkdtempSync(join(tmpdir(), 'cnnslicer-fake-recorder-'));
        const script = join(dir, 'recorder.js');
        writeFileSync(script, 'setTimeout(() => {}, 60_000);');
        const child = spawn(process.execPath, [script], { stdio: 'ignore' });
        try {
          withoutStartTime(child.pid!);
          assert.equal((await read()).manifest.status, 'recording');
        } finally {
          child.kill();
          rmSync(dir, { recursive: true, force: true });
        }
      });
    }

    it('a command line runs the recorder when one of its arguments is the recorder bundle', () => {
      assert.equal(isRecorderCommandLine('/usr/bin/node\0/home/u/.vscode/extensions/cnn-slicer-1.0.0/dist/recorder.js\0'), true);
      assert.equal(isRecorderCommandLine('node\0--max-old-space-size=4096\0dist/recorder.js'), true);
      assert.equal(isRecorderCommandLine('/sbin/init\0splash\0'), false);
      assert.equal(isRecorderCommandLine('node\0dist/cli.js\0record\0model-recorder.js.ts'), false);
      assert.equal(isRecorderCommandLine(''), false);
    });

    it("where no command line can be read, the manifest's age decides: unchanged for a day, or undated, is interrupted", () => {
      const now = Date.parse('2026-01-02T12:00:00Z');
      const ago = (ms: number) => new Date(now - ms).toISOString();
      assert.equal(aliveWithoutStartTime(undefined, ago(60_000), now), true);
      assert.equal(aliveWithoutStartTime(undefined, ago(STALE_RECORDING_MS - 1000), now), true);
      assert.equal(aliveWithoutStartTime(undefined, ago(STALE_RECORDING_MS + 1000), now), false);
      assert.equal(aliveWithoutStartTime(undefined, 'not a date', now), false);
      assert.equal(aliveWithoutStartTime(undefined, undefined, now), false);
      // A readable command line decides alone, however fresh or old the manifest.
      assert.equal(aliveWithoutStartTime('/sbin/init', ago(1000), now), false);
      assert.equal(aliveWithoutStartTime('node\0dist/recorder.js', ago(10 * STALE_RECORDING_MS), now), true);
    });

    it('a pid that no longer exists marks the run interrupted and the repair is saved', async () => {
      const child = spawn(process.execPath, ['-e', '0']);
      await new Promise((done) => child.once('exit', done));
      assert.equal(isProcessAlive({ pid: child.pid }), false);
      editManifest((m) => Object.assign(m, { status: 'recording', pid: child.pid }));
      assert.equal(readRun(run).manifest.status, 'interrupted');
      assert.equal(JSON.parse(readFileSync(join(run, 'manifest.json'), 'utf8')).status, 'interrupted');
    });

    // The race the VS Code tree showed: a listing read the manifest a moment before the recorder
    // wrote "completed" and exited, found the process gone, and saved "interrupted" over the finished run.
    for (const reader of ['readRun', 'readRunAsync'] as const) {
      it(`${reader}: a recorder that finishes between the manifest read and the process check leaves its run completed on disk`, async () => {
        editManifest((m) => Object.assign(m, { status: 'recording', pid: 999_999, pidStartTime: '1' }));
        const finishNow = () => {
          // What the recorder does last: its final manifest, then the exit (so the check says gone).
          editManifest((m) => {
            m.status = 'completed';
            delete m.pid;
            delete m.pidStartTime;
          });
          return false;
        };
        const record =
          reader === 'readRun' ? readRun(run, { isAlive: finishNow }) : await readRunAsync(run, { isAliveAsync: async () => finishNow() });
        assert.equal(record.manifest.status, 'completed');
        assert.equal(record.manifest.error, undefined);
        assert.equal(
          JSON.parse(readFileSync(join(run, 'manifest.json'), 'utf8')).status,
          'completed',
          'nothing overwrote the finished run',
        );
      });
    }
  });

  for (const reader of ['readRun', 'readRunAsync'] as const)
    it(`${reader}: a PyTorch run whose recorder died keeps its epochs awaiting measures when it is marked interrupted`, async () => {
      const runs = join(root, 'pytorch');
      cpSync(join(__dirname, '..', '..', 'fixtures', 'pytorch-run'), runs, { recursive: true });
      const folder = join(runs, readdirSync(runs)[0]);
      const file = join(folder, 'manifest.json');
      writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), status: 'recording', pid: 12345 }));
      const record =
        reader === 'readRun' ? readRun(folder, { isAlive: () => false }) : await readRunAsync(folder, { isAliveAsync: async () => false });
      assert.equal(record.manifest.status, 'interrupted');
      assert.deepEqual(record.manifest.epochs, [], 'the reader sees no measured epoch yet');
      assert.deepEqual(
        record.pending?.map((m) => m.epoch),
        [0, 1, 2],
      );
      const onDisk = JSON.parse(readFileSync(file, 'utf8')) as { status: string; epochs: number[]; error: { message: string } };
      assert.deepEqual([onDisk.status, onDisk.epochs], ['interrupted', [0, 1, 2]], 'the repair keeps every recorded epoch');
      assert.match(onDisk.error.message, /after epoch 2/);
      assert.deepEqual(
        readRun(folder).pending?.map((m) => m.epoch),
        [0, 1, 2],
        'still pending when read again',
      );
    });
});
