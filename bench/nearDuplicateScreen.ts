/**
 * The near-duplicate screen against the exhaustive rule (docs/estimators.md "Screening the
 * near-duplicate pairs"): on the test models (test/fixtures/models) and the example zoo
 * (examples/), every multi-channel layer's full capacity matrix with itself, the pairs the
 * exhaustive rule calls near-duplicate (src/analysis/redundancy.ts) and each one's Pearson |r| and
 * Spearman |ρ| over every probe input and position; then, at the screen's threshold, the recall
 * (near-duplicate pairs kept / found), the share of pairs the screen lets through (the exact
 * comparisons left), whether the screened evidence gives the full matrix's answer exactly, and
 * the time of the correlations against the full matrix's joint histograms. A measurement, not part
 * of `npm run bench` (needs `node esbuild.mjs` for the compute workers):
 *
 *   npx tsx bench/nearDuplicateScreen.ts [--probe N] [--train N] [--r R] [--energy-r R] [--low-bits B] [--json out.json] [model …]
 *
 * Each model is measured at initialisation and after one short training epoch (`--train` inputs,
 * default 512; 0: at initialisation only) when its output is a softmax. Data: 32×32×3 models read
 * structured fake CIFAR-10 (bench/fakeCifar.ts: CIFAR-10 is not on the machine), 28×28×1 models the
 * bundled MNIST digits, every other model seeded random inputs and labels. The probe is the first
 * `--probe` inputs (default 200, the zoo bench's), bins the recording default.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import type * as tfType from '@tensorflow/tfjs';
import { DEFAULT_BINS, layerActivations, seededRandom, spearman } from '../src/analysis';
import { channelCorrelations, channelEnergyCorrelations } from '../src/analysis/channelCorrelation';
import {
  NEAR_DUPLICATE_SCREEN,
  NEAR_DUPLICATE_SHARE,
  NearDuplicateScreen,
  nearDuplicateRatio,
  screenedPairs,
} from '../src/analysis/nearDuplicates';
import { redundancy } from '../src/analysis/redundancy';
import { ComputePool } from '../src/compute/pool';
import type { RunLayer } from '../src/contract/runFormat';
import { loadCifar10 } from '../src/data/cifar10';
import { loadMnist } from '../src/data/mnist';
import { recordedLayers } from '../src/recorder/modelFacts';
import { layerTable } from '../src/recorder/modelLoader';
import { screenedSelfCapacity, screenSaves } from '../src/service/selfCapacity';
import { initBackend } from '../src/tfjs/backend';
import { forwardLayers } from '../src/tfjs/forward';
import { withTfjsRandom } from '../src/tfjs/tfjsRandom';
import { writeFakeCifar } from './fakeCifar';

/** The thresholds the measurement also tries (Infinity: that part of the screen off). */
const GRID = { r: [0.3, 0.5, 0.7, 0.9], energyR: [0.8, 0.9, 0.95, Infinity], lowBits: [0, 0.5, 1, 2] };

interface Options {
  probe: number;
  train: number;
  screen: NearDuplicateScreen;
  json?: string;
  models: string[];
}

function parse(argv: string[]): Options {
  const o: Options = { probe: 200, train: 512, screen: { ...NEAR_DUPLICATE_SCREEN }, models: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--probe') o.probe = Number(argv[++i]);
    else if (a === '--train') o.train = Number(argv[++i]);
    else if (a === '--r') o.screen.r = Number(argv[++i]);
    else if (a === '--energy-r') o.screen.energyR = Number(argv[++i]);
    else if (a === '--low-bits') o.screen.lowBits = Number(argv[++i]);
    else if (a === '--json') o.json = argv[++i];
    else o.models.push(a);
  }
  return o;
}

const ROOT = resolve(__dirname, '..');
const ZOO = ['examples/cifar-cnn.ts', 'examples/mnist-lenet.ts', 'examples/resnet18.ts', 'examples/mobilenetv2.ts'];

/**
 * Test models that are not models to measure: factories that loop, never settle, throw or ask for
 * too much memory on purpose, and ResNet-50 (176 layers up to 2,048 channels: its full matrices
 * take longer than this measurement's budget; name it to measure it).
 */
const NOT_MEASURED = new Set(['kernelTooLarge', 'loopsForever', 'neverSettles', 'throws', 'syntaxError', 'noFactory', 'resnet50']);

/** Every test model with a createModel (but NOT_MEASURED), and the zoo. */
function defaultModels(): string[] {
  const fixtures = readdirSync(join(ROOT, 'test/fixtures/models'))
    .filter((f) => f.endsWith('.ts') && !NOT_MEASURED.has(basename(f, '.ts')))
    .map((f) => `test/fixtures/models/${f}`);
  return [...fixtures, ...ZOO];
}

/** Pearson r of every near-duplicate pair, the pairs let through, and the figures of one layer. */
interface LayerFigures {
  model: string;
  trained: boolean;
  layer: string;
  channels: number;
  count: number;
  units: number;
  pairs: number;
  nearDuplicates: {
    c: number;
    d: number;
    ratio: number;
    own: [number, number];
    nonZero: [number, number];
    r: number;
    rEnergy: number;
    rho: number | undefined;
  }[];
  /** Pairs with |r| ≥ screen.r by position-wise r alone. */
  passedPositionWise: number;
  passed: number;
  kept: number;
  /** Per `r|energyR|lowBits` of GRID: [pairs let through, near-duplicate pairs kept]. */
  grid: Record<string, [number, number]>;
  same: boolean;
  correlationMs: number;
  fullMs: number;
  screenedMs: number;
}

interface Data {
  inputs: Float32Array;
  labels: Int32Array;
  count: number;
}

async function dataFor(shape: number[], count: number, classes: number, scratch: string): Promise<Data> {
  const per = shape.reduce((a, b) => a * b, 1);
  const take = (inputs: Float32Array, labels: Int32Array): Data => {
    const n = Math.min(count, labels.length);
    return { inputs: inputs.slice(0, n * per), labels: Int32Array.from(labels.slice(0, n), (y) => y % classes), count: n };
  };
  if (shape.join() === '32,32,3') {
    const d = await loadCifar10(writeFakeCifar(scratch, count, { structured: true }));
    return take(d.inputs, d.labels);
  }
  if (shape.join() === '28,28,1') {
    const d = loadMnist();
    return take(d.inputs, d.labels);
  }
  const random = seededRandom(7);
  const inputs = Float32Array.from({ length: count * per }, () => random() * 2 - 1);
  const labels = Int32Array.from({ length: count }, () => Math.floor(random() * classes));
  return { inputs, labels, count };
}

/** One short training epoch when the model ends in a softmax over classes; false when it cannot. */
async function trainBriefly(tf: typeof tfType, model: tfType.LayersModel, data: Data, classes: number): Promise<boolean> {
  try {
    const x = tf.tensor(data.inputs, [data.count, ...model.inputs[0].shape.slice(1).map((d) => d ?? 1)]);
    const y = tf.oneHot(tf.tensor1d(data.labels, 'int32'), classes);
    model.compile({ optimizer: tf.train.adam(0.001), loss: 'categoricalCrossentropy' });
    await model.fit(x, y, { epochs: 1, batchSize: 64, verbose: 0 });
    tf.dispose([x, y]);
    return true;
  } catch {
    return false;
  }
}

async function measureLayers(
  tf: typeof tfType,
  pool: ComputePool,
  name: string,
  model: tfType.LayersModel,
  layers: RunLayer[],
  probe: Data,
  trained: boolean,
  screen: NearDuplicateScreen,
): Promise<LayerFigures[]> {
  const out: LayerFigures[] = [];
  const wanted = layers.filter((l) => l.index > 0 && l.channels > 1).map((l) => l.index);
  if (!wanted.length) return out;
  const keep = new Set(wanted);
  for await (const { index, out: acts } of forwardLayers({
    tf,
    model,
    layers,
    inputs: probe.inputs,
    count: probe.count,
    keep,
    last: Math.max(...wanted),
  })) {
    if (!keep.has(index)) continue;
    const l = layers[index];
    const layer = layerActivations([probe.count, ...l.outputShape], acts.data, l.dataFormat);
    const codes = await pool.layerCodes(layer, DEFAULT_BINS);
    let t = performance.now();
    const full = await pool.capacityFromCodes(codes, codes);
    const fullMs = performance.now() - t;
    t = performance.now();
    const r = channelCorrelations(layer);
    const rEnergy = channelEnergyCorrelations(layer);
    const correlationMs = performance.now() - t;
    t = performance.now();
    const screened = await screenedSelfCapacity(pool, layer, codes, { screen });
    const screenedMs = performance.now() - t;
    const n = layer.channels;
    const exhaustive = redundancy({ rows: n, columns: n, values: full.values });
    const fromScreen = redundancy(screened);
    const nearDuplicates: LayerFigures['nearDuplicates'] = [];
    for (let c = 0; c < n; c++)
      for (let d = c + 1; d < n; d++) {
        const ratio = nearDuplicateRatio(full.values, n, c, d);
        if (ratio === undefined || ratio < NEAR_DUPLICATE_SHARE) continue;
        nearDuplicates.push({
          c,
          d,
          ratio,
          own: [full.values[c * n + c], full.values[d * n + d]],
          nonZero: [nonZero(layer, c), nonZero(layer, d)],
          r: r[c * n + d],
          rEnergy: rEnergy[c * n + d],
          rho: spearmanOf(layer, c, d),
        });
      }
    const own = Array.from({ length: n }, (_, c) => full.values[c * n + c]);
    const keys = (pairs: number[]) => new Set(pairs.flatMap((v, k) => (k % 2 ? [] : [`${v}-${pairs[k + 1]}`])));
    const passedPairs = screenedPairs(screen, r, rEnergy, own);
    const passed = passedPairs.length / 2;
    const passedSet = keys(passedPairs);
    const kept = nearDuplicates.filter((p) => passedSet.has(`${p.c}-${p.d}`)).length;
    const passedPositionWise = screenedPairs({ r: screen.r, energyR: Infinity, lowBits: 0 }, r, rEnergy, own).length / 2;
    // The screen at other thresholds: pairs let through and near-duplicates kept.
    const grid: Record<string, [number, number]> = {};
    for (const gr of GRID.r)
      for (const energyR of GRID.energyR)
        for (const lowBits of GRID.lowBits) {
          const got = screenedPairs({ r: gr, energyR, lowBits }, r, rEnergy, own);
          const set = keys(got);
          grid[`${gr}|${energyR}|${lowBits}`] = [got.length / 2, nearDuplicates.filter((p) => set.has(`${p.c}-${p.d}`)).length];
        }
    out.push({
      model: name,
      trained,
      layer: l.name,
      channels: n,
      count: layer.count,
      units: layer.units,
      pairs: (n * (n - 1)) / 2,
      nearDuplicates,
      passed,
      passedPositionWise,
      kept,
      grid,
      same: JSON.stringify(exhaustive) === JSON.stringify(fromScreen),
      correlationMs,
      fullMs,
      screenedMs,
    });
  }
  return out;
}

/** How many of a channel's values (inputs × positions) are not 0. */
function nonZero(layer: { count: number; units: number; channels: number; data: ArrayLike<number> }, c: number): number {
  let k = 0;
  for (let i = 0; i < layer.count * layer.units; i++) if (layer.data[i * layer.channels + c] !== 0) k++;
  return k;
}

/** Spearman ρ of two channels over every input and position (at most 200,000 values: a seeded sample of rows beyond). */
function spearmanOf(
  layer: { count: number; units: number; channels: number; data: ArrayLike<number> },
  c: number,
  d: number,
): number | undefined {
  const rows = layer.count * layer.units;
  const step = Math.max(1, Math.ceil(rows / 200_000));
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < rows; i += step) {
    a.push(layer.data[i * layer.channels + c]);
    b.push(layer.data[i * layer.channels + d]);
  }
  return spearman(a, b, { permutations: 0 }).rho;
}

async function main(): Promise<void> {
  const o = parse(process.argv.slice(2));
  const { tf } = await initBackend('wasm');
  const pool = new ComputePool({ workers: 2 });
  const scratch = mkdtempSync(join(tmpdir(), 'near-duplicate-screen-'));
  const figures: LayerFigures[] = [];
  try {
    for (const file of o.models.length ? o.models : defaultModels()) {
      const name = basename(file, '.ts');
      let mod: { createModel?: () => tfType.LayersModel };
      try {
        mod = (await import(resolve(ROOT, file))) as typeof mod;
      } catch {
        continue;
      }
      if (typeof mod.createModel !== 'function') continue;
      for (const trained of o.train > 0 ? [false, true] : [false]) {
        try {
          const create = mod.createModel;
          const model = withTfjsRandom(seededRandom(11), () => create());
          const layers = recordedLayers({ model, layers: layerTable(model, () => undefined) });
          const shape = layers[0].outputShape;
          if (shape.some((d) => d <= 0)) break;
          const outShape = model.outputs[0].shape;
          const classes = outShape.length === 2 ? (outShape[1] ?? 2) : 2;
          const all = await dataFor(shape, Math.max(o.probe, o.train), classes, scratch);
          const probe = {
            inputs: all.inputs.slice(0, o.probe * (all.inputs.length / all.count)),
            labels: all.labels.slice(0, o.probe),
            count: Math.min(o.probe, all.count),
          };
          if (trained && !(await trainBriefly(tf, model, all, classes))) break;
          const t = performance.now();
          const rows = await measureLayers(tf, pool, name, model, layers, probe, trained, o.screen);
          figures.push(...rows);
          const nd = rows.reduce((s, r) => s + r.nearDuplicates.length, 0);
          const kept = rows.reduce((s, r) => s + r.kept, 0);
          const pairs = rows.reduce((s, r) => s + r.pairs, 0);
          const passed = rows.reduce((s, r) => s + r.passed, 0);
          const minR = Math.min(...rows.flatMap((r) => r.nearDuplicates.map((p) => Math.max(Math.abs(p.r), Math.abs(p.rEnergy)))));
          console.log(
            `${name}${trained ? ' (trained)' : ''}: ${rows.length} layers, ${pairs} pairs, ${nd} near-duplicate (kept ${kept}), ` +
              `min screen |r| ${Number.isFinite(minR) ? minR.toFixed(3) : '—'}, let through ${passed} (${((100 * passed) / Math.max(pairs, 1)).toFixed(1)}%), ` +
              `same answer ${rows.every((r) => r.same)}, ${((performance.now() - t) / 1000).toFixed(1)} s`,
          );
          model.dispose();
        } catch (e) {
          console.log(`${name}${trained ? ' (trained)' : ''}: skipped (${(e as Error).message.split('\n')[0]})`);
          break;
        }
      }
    }
  } finally {
    pool.close();
    rmSync(scratch, { recursive: true, force: true });
  }
  summarise(figures, o.screen);
  if (o.json) writeFileSync(o.json, JSON.stringify(figures, null, 1));
}

function summarise(figures: LayerFigures[], screen: NearDuplicateScreen): void {
  const nd = figures.flatMap((f) => f.nearDuplicates.map((p) => ({ ...p, model: f.model, layer: f.layer, trained: f.trained })));
  const pairs = figures.reduce((s, f) => s + f.pairs, 0);
  const passed = figures.reduce((s, f) => s + f.passed, 0);
  const kept = figures.reduce((s, f) => s + f.kept, 0);
  const screenR = (p: { r: number; rEnergy: number }) => Math.max(Math.abs(p.r) || 0, Math.abs(p.rEnergy) || 0);
  const lowest = [...nd].sort((a, b) => screenR(a) - screenR(b)).slice(0, 10);
  const passedPositionWise = figures.reduce((s, f) => s + f.passedPositionWise, 0);
  const keptPositionWise = nd.filter((p) => Math.abs(p.r) >= screen.r).length;
  console.log(`\nscreen ${JSON.stringify(screen)}: ${figures.length} layers of ${new Set(figures.map((f) => f.model)).size} models`);
  console.log(
    `near-duplicate pairs (exhaustive): ${nd.length}; kept by the screen: ${kept} (recall ${nd.length ? (kept / nd.length).toFixed(4) : '—'})`,
  );
  console.log(`pairs let through: ${passed} of ${pairs} (${((100 * passed) / Math.max(pairs, 1)).toFixed(2)}%)`);
  console.log(
    `position-wise r alone: kept ${keptPositionWise} of ${nd.length} near-duplicate pairs, let through ${passedPositionWise} (${((100 * passedPositionWise) / Math.max(pairs, 1)).toFixed(2)}%)`,
  );
  const lowestBy = (k: 'r' | 'rEnergy') => Math.min(...nd.map((p) => Math.abs(p[k]) || 0));
  console.log(
    `smallest |r| of a near-duplicate pair: position-wise ${lowestBy('r').toFixed(3)}, energies ${lowestBy('rEnergy').toFixed(3)}, larger of the two ${Math.min(...nd.map(screenR)).toFixed(3)}`,
  );
  const worth = figures.filter((f) => screenSaves(f.count, f.units));
  console.log(
    `layers where the screen saves work (screenSaves): ${worth.length} of ${figures.length}; their pairs let through ${worth.reduce((s, f) => s + f.passed, 0)} of ${worth.reduce((s, f) => s + f.pairs, 0)}`,
  );
  console.log(`screened answer equal to the full matrix's on every layer: ${figures.every((f) => f.same)}`);
  const big = figures.filter((f) => f.pairs >= 1000);
  const sum = (k: 'correlationMs' | 'fullMs' | 'screenedMs', fs: LayerFigures[]) => fs.reduce((s, f) => s + f[k], 0);
  console.log(
    `time, layers with ≥ 1,000 pairs (${big.length}): correlations ${sum('correlationMs', big).toFixed(0)} ms, ` +
      `full matrix ${sum('fullMs', big).toFixed(0)} ms, screened cells ${sum('screenedMs', big).toFixed(0)} ms ` +
      `(screened includes its correlations)`,
  );
  console.log('the screen at other thresholds (r | energies r | low bits): near-duplicate pairs kept, pairs let through');
  const grid = new Map<string, [number, number]>();
  for (const f of figures)
    for (const [k, [p, kp]] of Object.entries(f.grid)) {
      const g = grid.get(k) ?? [0, 0];
      grid.set(k, [g[0] + p, g[1] + kp]);
    }
  for (const [k, [p, kp]] of grid)
    console.log(`  ${k}: kept ${kp} of ${nd.length}, let through ${((100 * p) / Math.max(pairs, 1)).toFixed(2)}%`);
  console.log('lowest |r| of a near-duplicate pair:');
  for (const p of lowest)
    console.log(
      `  ${p.model}${p.trained ? ' (trained)' : ''} ${p.layer} (${p.c}, ${p.d}): ratio ${p.ratio.toFixed(3)} (own ${p.own.map((v) => v.toFixed(3)).join(', ')} bits; non-zero values ${p.nonZero.join(', ')}), r ${p.r.toFixed(3)}, energies r ${p.rEnergy.toFixed(3)}, Spearman ρ ${p.rho?.toFixed(3) ?? '—'}`,
    );
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
