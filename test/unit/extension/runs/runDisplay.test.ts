// The pure parts of the runs tree and the run panels (src/extension/runs/runDisplay.ts): labels and
// their numbering, status, descriptions and tooltips, what "Record Again" reuses, the webview
// theme of each VS Code theme kind, the export filters and the store of run names.
import assert from 'node:assert/strict';
import type { RunManifest, RunStatus } from '../../../../src/contract/runFormat';
import type { RunRecord } from '../../../../src/run/store';
import {
  detailRows,
  epochProgress,
  epochRecordedText,
  formatDate,
  KeyValueStore,
  layerDescription,
  layerTooltip,
  panelTitle,
  rerunSettings,
  runDescription,
  runItemLabel,
  runLabel,
  RunNames,
  runOrdinals,
  runTooltip,
  saveFilters,
  shownStatus,
  statusIcon,
  statusText,
  themeOfKind,
  validateRunName,
} from '../../../../src/extension/runs/runDisplay';
import type { L10n } from '../../../../src/extension/l10n';
import { escapeMarkdown } from '../../../../src/extension/markdown';
import { formatShape } from '../../../../src/contract/format';

/** `vscode.l10n.t` without translations: fills in {0}, {1}, … */
const l10n: L10n = { t: (message, ...args) => message.replace(/\{(\d+)\}/g, (_, i: string) => String(args[Number(i)])) };
const utc = { locale: 'en-US', timeZone: 'UTC' };
/** ICU versions differ in the spaces they put in dates (U+202F before "AM" in newer ones). */
const spaces = (s: string) => s.replace(/\s/g, ' ');

function manifest(over: Partial<RunManifest> = {}): RunManifest {
  return {
    formatVersion: 1,
    id: '20261122-100000-mnist-lenet',
    status: 'completed',
    createdAt: '2026-11-22T10:00:00.000Z',
    updatedAt: '2026-11-22T10:05:00.000Z',
    model: { file: '/ws/lenet.ts', fingerprint: 'f', name: 'lenet.ts', sourceFiles: ['/ws/lenet.ts'] },
    layers: [
      { index: 0, name: 'input', className: 'Input', outputShape: [28, 28, 1], channels: 1, parameters: 0 },
      {
        index: 1,
        name: 'conv1',
        className: 'Conv2D',
        outputShape: [24, 24, 8],
        channels: 8,
        parameters: 208,
        source: { file: '/ws/lenet.ts', line: 13, column: 13 },
      },
      {
        index: 2,
        name: 'dense',
        className: 'Dense',
        outputShape: [10],
        channels: 1,
        parameters: 650,
        source: { file: '/ws/lenet.ts', line: 14, column: 5 },
      },
    ],
    dataset: { spec: 'mnist', name: 'mnist', fingerprint: 'd', classNames: ['0', '1'], inputShape: [28, 28, 1], trainSize: 500 },
    probe: { size: 50, inputsFile: 'probe/inputs.npy', labelsFile: 'probe/labels.npy', classCounts: [25, 25] },
    settings: { epochs: 5, batchSize: 64, optimizer: 'adam', learningRate: 0.001, seed: 1, recordEvery: 1, probeSize: 50, bins: 32, k: 20 },
    backend: { name: 'wasm', fallbackReasons: [] },
    epochs: [0, 1, 2],
    ...over,
  };
}

function run(folder: string, over: Partial<RunManifest> = {}, notes: string[] = []): RunRecord {
  return { folder, manifest: manifest(over), metrics: [], notes };
}

describe('extension: how runs are shown (runDisplay)', () => {
  describe('status', () => {
    it('names every status and gives it an icon; only a recording spins', () => {
      const statuses: RunStatus[] = ['recording', 'completed', 'cancelled', 'failed', 'interrupted'];
      assert.deepEqual(
        statuses.map((s) => statusText(s, l10n)),
        statuses,
      );
      assert.deepEqual(statusIcon('recording'), { id: 'loading~spin' });
      for (const s of statuses.filter((x) => x !== 'recording')) {
        const icon = statusIcon(s);
        assert.ok(!icon.id.includes('~spin'), s);
        assert.ok(icon.color, `${s} has a theme colour`);
      }
      assert.equal(new Set(statuses.map((s) => statusIcon(s).id)).size, statuses.length, 'each status has its own icon');
    });

    it('shows a run recorded by this window as recording even before its manifest says so', () => {
      const r = run('/ws/.cnnslicer/runs/a', { status: 'completed' });
      assert.equal(shownStatus(r, ['/ws/.cnnslicer/runs/a/']), 'recording', 'paths compare resolved');
      assert.equal(shownStatus(r, ['/ws/.cnnslicer/runs/b']), 'completed');
      assert.equal(shownStatus(run('/x', { status: 'recording' }), []), 'recording', 'a live recorder of another window');
      assert.equal(shownStatus(run('/x', { status: 'interrupted' }), []), 'interrupted');
    });
  });

  describe('labels', () => {
    it('numbers the runs of each model file oldest first, whatever the listing order', () => {
      const runs = [
        run('/r/3', { id: 'c', createdAt: '2026-11-22T12:00:00Z' }),
        run('/r/other', {
          id: 'x',
          createdAt: '2026-11-22T11:30:00Z',
          model: { file: '/ws/other.ts', fingerprint: 'g', name: 'other.ts', sourceFiles: [] },
        }),
        run('/r/1', { id: 'a', createdAt: '2026-11-22T10:00:00Z' }),
        run('/r/2', { id: 'b', createdAt: '2026-11-22T11:00:00Z' }),
      ];
      const n = runOrdinals(runs);
      assert.deepEqual([n.get('/r/1'), n.get('/r/2'), n.get('/r/3'), n.get('/r/other')], [1, 2, 3, 1]);
    });

    it('breaks a tie of creation times by run id, so the numbers do not change between refreshes', () => {
      const a = run('/r/a', { id: 'a' });
      const b = run('/r/b', { id: 'b' });
      assert.deepEqual([...runOrdinals([b, a]).entries()].sort(), [...runOrdinals([a, b]).entries()].sort());
      assert.equal(runOrdinals([b, a]).get('/r/a'), 1);
    });

    it('prefers the name the user gave, ignoring blank names', () => {
      assert.equal(runLabel(3), '#3');
      assert.equal(runLabel(3, '  baseline '), 'baseline');
      assert.equal(runLabel(3, '   '), '#3');
      assert.equal(runLabel(undefined), '#?');
    });

    it('puts model and run label in the item label and the panel title', () => {
      assert.equal(runItemLabel(manifest(), '#2'), 'lenet.ts · #2');
      assert.equal(panelTitle(manifest(), 'baseline', l10n), 'CNN Slicer: lenet.ts (baseline)');
    });

    it('says in the panel title when the run was recorded before the last edit of its model file', () => {
      assert.equal(panelTitle(manifest(), '#2', l10n, true), 'CNN Slicer: lenet.ts (#2) (recorded before your last edit)');
      assert.equal(panelTitle(manifest(), '#2', l10n, false), 'CNN Slicer: lenet.ts (#2)');
    });

    it('accepts one line of at most 80 characters as a run name', () => {
      assert.equal(validateRunName('small lr', l10n), undefined);
      assert.equal(validateRunName('', l10n), undefined, 'empty = back to the default label');
      assert.ok(validateRunName('x'.repeat(81), l10n));
      assert.ok(validateRunName('a\nb', l10n));
    });
  });

  describe('descriptions and tooltips', () => {
    it('counts trained epochs: epoch 0 is the untrained model', () => {
      assert.deepEqual(epochProgress(manifest({ epochs: [0, 1, 2] })), { done: 2, total: 5 });
      assert.deepEqual(epochProgress(manifest({ epochs: [0] })), { done: 0, total: 5 });
      assert.deepEqual(epochProgress(manifest({ epochs: [] })), { done: 0, total: 5 });
      assert.deepEqual(epochProgress(manifest({ epochs: [0, 2, 4] })), { done: 4, total: 5 }, 'recorded every 2nd epoch');
      const { epochs: _planned, ...unplanned } = manifest().settings;
      assert.deepEqual(
        epochProgress(manifest({ epochs: [0, 1], settings: unplanned })),
        { done: 1, total: undefined },
        'a PyTorch loop that did not say',
      );
    });

    it('describes a run by status, dataset and date; a recording run by its progress', () => {
      assert.equal(spaces(runDescription({ manifest: manifest() }, 'completed', l10n, utc)), 'completed · mnist · Nov 22, 2026, 10:00 AM');
      assert.equal(
        spaces(runDescription({ manifest: manifest() }, 'recording', l10n, utc)),
        'recording 2/5 · mnist · Nov 22, 2026, 10:00 AM',
      );
      const { epochs: _planned, ...unplanned } = manifest().settings;
      assert.equal(
        spaces(runDescription({ manifest: manifest({ settings: unplanned }) }, 'recording', l10n, utc)),
        'recording 2 · mnist · Nov 22, 2026, 10:00 AM',
        'a PyTorch loop that did not say how many epochs',
      );
    });

    it('says how many epochs of a PyTorch run await their measures, in the description and the epochs row', () => {
      const pending = (epoch: number) => ({ epoch, pending: 'measures' }) as unknown as NonNullable<RunRecord['pending']>[number];
      const record = { ...run('/ws/.cnnslicer/runs/a', { epochs: [0] }), pending: [pending(1), pending(2)] };
      assert.equal(
        spaces(runDescription(record, 'recording', l10n, utc)),
        'recording 2/5 · 2 epochs awaiting measures · mnist · Nov 22, 2026, 10:00 AM',
        'the epochs awaiting measures count as recorded',
      );
      assert.equal(
        spaces(runDescription({ ...record, pending: [pending(2)] }, 'interrupted', l10n, utc)),
        'interrupted · 1 epoch awaiting measures · mnist · Nov 22, 2026, 10:00 AM',
      );
      assert.equal(detailRows(record, l10n, utc).find((r) => r.key === 'epochs')?.value, '2/5 (2 epochs awaiting measures)');
    });

    it('formats dates in the UI language and falls back for unknown locales and unparsable text', () => {
      assert.equal(spaces(formatDate('2026-11-22T10:00:00Z', { locale: 'de-DE', timeZone: 'UTC' })), '22.11.2026, 10:00');
      assert.equal(spaces(formatDate('2026-11-22T10:00:00Z', { locale: 'not a locale!', timeZone: 'UTC' })), 'Nov 22, 2026, 10:00 AM');
      assert.equal(formatDate('yesterday'), 'yesterday');
    });

    it('lists model, dataset, date, epochs n/N, backend, probe and folder', () => {
      const rows = detailRows(
        run('/ws/.cnnslicer/runs/a', { dataset: { ...manifest().dataset, spec: 'cifar10:/data/c', name: 'cifar10' } }),
        l10n,
        utc,
      );
      assert.deepEqual(
        rows.map((r) => [r.key, spaces(r.value)]),
        [
          ['model', '/ws/lenet.ts'],
          ['dataset', 'cifar10 (cifar10:/data/c)'],
          ['date', 'Nov 22, 2026, 10:00 AM'],
          ['epochs', '2/5'],
          ['backend', 'WebAssembly'],
          ['probe', '50 inputs'],
          ['folder', '/ws/.cnnslicer/runs/a'],
        ],
      );
    });

    it('shows the model and folder relative to the workspace folder that holds them, absolute outside', () => {
      const record = run('/ws/.cnnslicer/runs/a');
      const paths = (roots: string[]) =>
        detailRows(record, l10n, { ...utc, roots })
          .filter((r) => r.key === 'model' || r.key === 'folder')
          .map((r) => r.value);
      assert.deepEqual(paths(['/ws']), ['lenet.ts', '.cnnslicer/runs/a']);
      assert.deepEqual(paths(['/elsewhere']), ['/ws/lenet.ts', '/ws/.cnnslicer/runs/a']);
      assert.deepEqual(paths(['/other', '/ws']), ['ws/lenet.ts', 'ws/.cnnslicer/runs/a'], 'several folders: named by the folder');
      assert.deepEqual(paths(['/w']), ['/ws/lenet.ts', '/ws/.cnnslicer/runs/a'], 'a folder whose name is a prefix is not a parent');
      assert.match(runTooltip(record, '#1', 'completed', l10n, { ...utc, roots: ['/ws'] }), /Folder: \\\.cnnslicer\/runs\/a {2}$/m);
    });

    it('says which backend was not available when the recorder fell back, and calls backends by the names people know', () => {
      const fellBack = detailRows(run('/a', { backend: { name: 'wasm', fallbackReasons: ['tfjs-node: not installed'] } }), l10n).find(
        (r) => r.key === 'backend',
      );
      assert.equal(fellBack?.value, 'WebAssembly (tfjs-node not available)');
      assert.equal(
        detailRows(run('/a', { backend: { name: 'tensorflow', fallbackReasons: [] } }), l10n).find((r) => r.key === 'backend')?.value,
        'tfjs-node',
      );
      const gpu = (fallbackReasons: string[]) =>
        detailRows(run('/a', { backend: { name: 'tensorflow-gpu', fallbackReasons } }), l10n).find((r) => r.key === 'backend')?.value;
      assert.equal(gpu([]), 'tfjs-node-gpu');
      const noGpu = detailRows(
        run('/a', { backend: { name: 'wasm', fallbackReasons: ['tfjs-node-gpu: not installed', 'tfjs-node: not installed'] } }),
        l10n,
      ).find((r) => r.key === 'backend');
      assert.equal(noGpu?.value, 'WebAssembly (tfjs-node-gpu, tfjs-node not available)');
    });

    it('gives every detail, the error and the notes in the tooltip, with names escaped', () => {
      const r = run(
        '/ws/runs/a_b',
        {
          status: 'failed',
          error: { message: 'NaN loss at *epoch* 3' },
          model: { file: '/ws/[evil](http://x).ts', fingerprint: 'f', name: '$(bug) m', sourceFiles: [] },
        },
        ['an incomplete last metrics line was ignored'],
      );
      const md = runTooltip(r, '#1', 'failed', l10n, utc);
      assert.match(md, /\$\(error\) failed/, 'the status icon');
      assert.ok(md.includes('\\$\\(bug\\) m'), 'a theme icon in a model name stays text');
      assert.ok(md.includes('\\[evil\\]\\(http://x\\)'), 'a link in a path stays text');
      assert.ok(md.includes('NaN loss at \\*epoch\\* 3'));
      assert.ok(md.includes('an incomplete last metrics line was ignored'));
      for (const label of ['Model', 'Dataset', 'Date', 'Epochs', 'Backend', 'Probe', 'Folder']) assert.ok(md.includes(`${label}: `), label);
      assert.ok(md.includes('/ws/runs/a\\_b'));
    });

    it('says a run of a model that predicts no class has no accuracy, with the recorder’s reason, instead of showing none', () => {
      const reason = 'the output value gives 1 linear value per input, not a score per class of the 3 classes of synthetic';
      const regression = run('/ws/runs/r', { output: { layer: 'value', kind: 'none', chosenBy: 'only', labelMeasuresAbsent: reason } });
      const rows = detailRows(regression, l10n, utc);
      assert.deepEqual(
        rows.map((r) => r.key),
        ['model', 'dataset', 'date', 'epochs', 'backend', 'probe', 'output', 'folder'],
      );
      assert.equal(rows.find((r) => r.key === 'output')?.value, 'no class predictions, so no accuracy or label measures');
      // The recorder's clause, shown as a sentence of its own as in the webviews' note.
      const sentence = 'The output value gives 1 linear value per input, not a score per class of the 3 classes of synthetic.';
      assert.ok(runTooltip(regression, '#1', 'completed', l10n, utc).includes(`$(info) ${escapeMarkdown(sentence)}`));
      // A classifier (binary or softmax) has no such row.
      const binary = run('/ws/runs/b', { output: { layer: 'p', kind: 'binary', chosenBy: 'only' } });
      assert.ok(!detailRows(binary, l10n, utc).some((r) => r.key === 'output'));
      assert.ok(!runTooltip(binary, '#1', 'completed', l10n, utc).includes('$(info)'));
    });

    it('logs a recorded epoch with its probe accuracy, or without one when the model predicts no class', () => {
      const e = { epoch: 2, probeAccuracy: 0, recordMs: 812.4 };
      const regression = {
        output: { layer: 'value', kind: 'none' as const, chosenBy: 'only' as const, labelMeasuresAbsent: 'no classes' },
      };
      const line = epochRecordedText('reg.ts', e, regression);
      assert.equal(line, 'reg.ts: epoch 2 recorded (no probe accuracy: the model predicts no class; 812 ms of measuring)');
      assert.ok(!/accuracy 0/.test(line));
      assert.equal(
        epochRecordedText('lenet.ts', { ...e, probeAccuracy: 0.9125 }, { output: { layer: 'd', kind: 'softmax', chosenBy: 'only' } }),
        'lenet.ts: epoch 2 recorded (probe accuracy 91.3 %, 812 ms of measuring)',
      );
      // A run the index has not found yet, or an older run without the field: as before.
      assert.equal(epochRecordedText('lenet.ts', e, undefined), 'lenet.ts: epoch 2 recorded (probe accuracy 0.0 %, 812 ms of measuring)');
      assert.equal(epochRecordedText('lenet.ts', e, {}), 'lenet.ts: epoch 2 recorded (probe accuracy 0.0 %, 812 ms of measuring)');
    });

    it('escapes every Markdown metacharacter', () => {
      assert.equal(escapeMarkdown('a*b_c`d[e](f)#g|h<i>$j\\k'), 'a\\*b\\_c\\`d\\[e\\]\\(f\\)\\#g\\|h\\<i\\>\\$j\\\\k');
    });

    it('describes layers by output shape (the class is in the short label), with their full name and source location in the tooltip', () => {
      const [input, conv, dense] = manifest().layers;
      assert.equal(layerDescription(conv), '24×24×8');
      assert.equal(layerDescription(dense), '10');
      assert.ok(layerTooltip(conv, l10n).includes(conv.name.replace(/_/g, '\\_')));
      assert.equal(formatShape([]), '–');
      assert.ok(layerTooltip(conv, l10n).includes('/ws/lenet\\.ts:13:13'));
      assert.ok(!layerTooltip(input, l10n).includes('Defined at'), 'the input has no source line');
    });
  });

  describe('record again', () => {
    it('reuses dataset spec and every setting: seed, probe per class, record every and the training inputs included', () => {
      assert.deepEqual(rerunSettings(manifest({ dataset: { ...manifest().dataset, spec: 'images:/d', name: 'images' } })), {
        dataset: 'images:/d',
        epochs: 5,
        batchSize: 64,
        optimizer: 'adam',
        learningRate: 0.001,
        probeSize: 50,
        bins: 32,
        k: 20,
        backend: 'wasm',
        seed: 1,
        recordEvery: 1,
        trainLimit: 500,
      });
      const settings = { ...manifest().settings, seed: 7, probePerClass: 3, recordEvery: 2, optimizer: 'sgd', learningRate: 0.05 };
      const again = rerunSettings(manifest({ settings }));
      assert.deepEqual([again.seed, again.probePerClass, again.recordEvery, again.optimizer, again.learningRate], [7, 3, 2, 'sgd', 0.05]);
    });

    it("leaves the optimizer and learning rate to the model's own compile() when it chose them", () => {
      const again = rerunSettings(manifest({ training: { compiledBy: 'model', optimizer: 'rmsprop', loss: 'categoricalCrossentropy' } }));
      assert.equal(again.optimizer, undefined);
      assert.equal(again.learningRate, undefined);
      assert.equal(again.seed, 1);
    });

    it('asks for the backend that ran, or for "auto" again when the recorder had to fall back', () => {
      const backend = (name: string, fallbackReasons: string[] = []) =>
        rerunSettings(manifest({ backend: { name, fallbackReasons } })).backend;
      assert.equal(backend('tensorflow'), 'tfjs-node');
      assert.equal(backend('tensorflow-gpu'), 'tfjs-node-gpu');
      assert.equal(backend('cpu'), 'cpu');
      assert.equal(backend('wasm', ['tfjs-node: not installed']), 'auto');
      assert.equal(backend('webgl'), 'auto', 'a backend this version does not offer');
    });
  });

  describe('panels', () => {
    it('maps each VS Code theme kind to a webview theme, both high-contrast kinds to high contrast', () => {
      // vscode.ColorThemeKind: Light 1, Dark 2, HighContrast 3, HighContrastLight 4.
      assert.deepEqual([1, 2, 3, 4].map(themeOfKind), ['light', 'dark', 'high-contrast', 'high-contrast']);
      assert.equal(themeOfKind(99), 'dark', 'a future kind falls back to dark');
    });

    it('filters the save dialog by the export format', () => {
      assert.deepEqual(saveFilters('csv', l10n), { 'CSV table': ['csv'] });
      assert.deepEqual(saveFilters('json', l10n), { 'JSON data': ['json'] });
      assert.deepEqual(saveFilters('svg', l10n), { 'SVG image': ['svg'] });
      assert.deepEqual(saveFilters('png', l10n), { 'PNG image': ['png'] });
    });
  });

  describe('run names', () => {
    function memento(): KeyValueStore & { data: Map<string, unknown> } {
      const data = new Map<string, unknown>();
      return { data, get: <T>(k: string) => data.get(k) as T | undefined, update: async (k, v) => void data.set(k, v) };
    }

    it('keeps names by run id, trims them, clears them when empty, and tells listeners', async () => {
      const store = memento();
      const names = new RunNames(store);
      let changes = 0;
      const sub = names.onDidChange(() => changes++);
      await names.set('run-a', '  baseline  ');
      await names.set('run-b', 'lr 0.01');
      assert.equal(names.get('run-a'), 'baseline');
      assert.equal(new RunNames(store).get('run-b'), 'lr 0.01', 'kept in the store, not in memory');
      await names.set('run-a', '');
      assert.equal(names.get('run-a'), undefined);
      assert.deepEqual(store.data.get(RunNames.KEY), { 'run-b': 'lr 0.01' });
      sub.dispose();
      await names.set('run-b', undefined);
      assert.equal(changes, 3);
    });

    it('ignores what it did not write: other types, inherited keys', () => {
      const store = memento();
      store.data.set(RunNames.KEY, { 'run-a': 42 });
      const names = new RunNames(store);
      assert.equal(names.get('run-a'), undefined);
      assert.equal(names.get('toString'), undefined);
    });
  });
});
