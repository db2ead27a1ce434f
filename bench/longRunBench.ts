/**
 * Reading a long run of a deep model: 50 measured epochs of a run shaped as the CIFAR ResNet-18's
 * (68 layers, 9,603 channels, 10 classes), its per-class channel entropies in their own files
 * (src/run/perClass.ts, docs/run-format.md "The per-class file") against the same numbers held in
 * each metrics line (the format before, which readers still take), both written here and read
 * alternately in this process: `readRun` of the whole run, and the small multiples' per-class
 * entropies of one 512-channel layer over the 50 epochs. Each is the median of five.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EpochMetrics, RunManifest } from '../src/contract/runFormat';
import { writeFileAtomic } from '../src/run/files';
import { layerPerClass, writePerClass } from '../src/run/perClass';
import { readRun } from '../src/run/store';
import { fixtureManifest } from '../test/support/runFixture';

export interface LongRunBenchLine {
  label: string;
  ms: number;
  goalMs?: number;
}

const EPOCHS = 50;
const CLASSES = 10;
const REPEATS = 5;

/** The channels of the kuangliu ResNet-18's 68 recorded layers: the input, 17 of 64, 16 each of 128, 256 and 512, the pooling and the classifier. */
const CHANNELS = [3, ...Array(17).fill(64), ...Array(16).fill(128), ...Array(16).fill(256), ...Array(16).fill(512), 512, 1];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** An entropy with all its digits, as the measures write them. */
const bits = (): number => Math.random() * 5;

function manifestOf(id: string): RunManifest {
  const m = fixtureManifest(
    id,
    Array.from({ length: EPOCHS }, (_, e) => e),
  );
  m.layers = CHANNELS.map((channels, index) => ({
    index,
    name: index === 0 ? 'input' : `layer${index}`,
    className: index === 0 ? 'Input' : 'Conv2D',
    outputShape: [1, 1, channels],
    channels,
    parameters: 0,
  }));
  m.dataset = { ...m.dataset, classNames: Array.from({ length: CLASSES }, (_, k) => `class ${k}`), inputShape: [1, 1, 3] };
  m.probe = { ...m.probe, size: 500, classCounts: Array(CLASSES).fill(50) };
  return m;
}

function epochLine(epoch: number): EpochMetrics {
  return {
    epoch,
    trainLoss: epoch === 0 ? null : 1,
    trainAccuracy: epoch === 0 ? null : 0.5,
    probeLoss: 2,
    probeAccuracy: 0.1,
    confusion: Array.from({ length: CLASSES }, () => Array(CLASSES).fill(5)),
    hLabelGivenPred: Array.from({ length: CLASSES }, bits),
    hPredGivenLabel: Array.from({ length: CLASSES }, bits),
    layers: CHANNELS.map((channels, layer) => ({
      layer,
      interSampleBits: bits(),
      interSampleBitsPerClass: Array.from({ length: CLASSES }, bits),
      channelBits: Array.from({ length: channels }, bits),
      channelBitsPerClass: Array.from({ length: CLASSES }, () => Array.from({ length: channels }, bits)),
      deadChannels: [],
      nonFiniteCount: 0,
    })),
    timingsMs: { train: 1, record: 1 },
  };
}

/** The run folder with its 50 lines, the per-class entropies in files or in the lines. */
function writeRun(folder: string, lines: readonly EpochMetrics[], inFiles: boolean): void {
  mkdirSync(join(folder, 'probe'), { recursive: true });
  for (let e = 0; e < EPOCHS; e++) {
    const dir = join(folder, 'checkpoints', `epoch-${String(e).padStart(4, '0')}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'weights.bin'), '');
  }
  const text = lines
    .map((m) => JSON.stringify(inFiles ? writePerClass(folder, m, (path, bytes) => writeFileAtomic(path, bytes, { durable: false })) : m))
    .join('\n');
  writeFileSync(join(folder, 'metrics.jsonl'), `${text}\n`);
  writeFileSync(join(folder, 'manifest.json'), JSON.stringify(manifestOf(folder.split('/').pop()!), null, 2));
}

export function benchLongRun(): LongRunBenchLine[] {
  const root = mkdtempSync(join(tmpdir(), 'cnnslicer-bench-long-run-'));
  try {
    const lines = Array.from({ length: EPOCHS }, (_, e) => epochLine(e));
    const inLines = join(root, 'in-lines');
    const inFiles = join(root, 'in-files');
    writeRun(inLines, lines, false);
    writeRun(inFiles, lines, true);
    const layer = CHANNELS.length - 3;
    const read = { lines: [] as number[], files: [] as number[] };
    const multiples = { lines: [] as number[], files: [] as number[] };
    for (let i = 0; i < REPEATS; i++) {
      for (const [key, folder] of [
        ['lines', inLines],
        ['files', inFiles],
      ] as const) {
        let started = performance.now();
        const run = readRun(folder, { repair: false });
        read[key].push(performance.now() - started);
        if (run.metrics.length !== EPOCHS) throw new Error(`${folder}: ${run.metrics.length} epochs read, not ${EPOCHS}`);
        started = performance.now();
        const rows = run.metrics.map((m) => layerPerClass(folder, m, CLASSES, layer));
        multiples[key].push(performance.now() - started);
        if (
          rows[EPOCHS - 1][CLASSES - 1][CHANNELS[layer] - 1] !==
          lines[EPOCHS - 1].layers[layer].channelBitsPerClass![CLASSES - 1][CHANNELS[layer] - 1]
        )
          throw new Error('the per-class entropies read back differ from those written');
      }
    }
    const mb = (folder: string) => (statSync(join(folder, 'metrics.jsonl')).size / 1024 ** 2).toFixed(0);
    const ratio = median(read.files) / median(read.lines);
    return [
      {
        label: `50-epoch ResNet-18-shaped run, readRun, per-class entropies in the lines (the format before; ${mb(inLines)} MB of lines)`,
        ms: median(read.lines),
      },
      {
        label: `50-epoch ResNet-18-shaped run, readRun, per-class entropies in their files (${mb(inFiles)} MB of lines; ${ratio.toFixed(2)}× the line above)`,
        ms: median(read.files),
        // A tenth of the lines' bytes: at most a fifth of their time, here and now.
        goalMs: median(read.lines) / 5,
      },
      {
        label: `  its small multiples' per-class entropies of one 512-channel layer, 50 epochs, from the lines`,
        ms: median(multiples.lines),
      },
      { label: `  the same from the per-class files (50 blocks of 40 KB read)`, ms: median(multiples.files), goalMs: 100 },
    ];
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
