/**
 * One probe pass of a graph model (every layer's activations of 200 inputs, what recording
 * measures each epoch and what the service's first query of a run computes): the one pass of
 * src/tfjs/forward.ts against one extraction model per layer, each running from the input (how
 * graph models ran before). Model: examples/resnet18.ts (67 layers, 11 M weights, 32×32×3 inputs)
 * with its initial weights; inputs uniform noise.
 *
 * The per-layer way costs about as much as one pass per layer, so it runs on a tenth of the inputs
 * and its time is extrapolated ×10 (a forward pass's time is proportional to its inputs; the figure
 * is labelled as such). CPU seconds are given beside wall seconds: on a shared machine the wall
 * time varies with the other processes, the CPU time much less.
 *
 * A report of a ResNet-18-size run is not benched: recording one takes minutes before the report
 * starts, and writing the report took 476 s on a shared 2-core machine (docs/views.md, "Report
 * size"), far beyond what one bench entry may take.
 *
 * Standalone: `npx tsx bench/forwardBench.ts`.
 */
import type * as tfjs from '@tensorflow/tfjs';
import { createModel } from '../examples/resnet18';
import { seededRandom } from '../src/analysis';
import { recordedLayers } from '../src/recorder/modelFacts';
import { layerTable } from '../src/recorder/modelLoader';
import { initBackend } from '../src/tfjs/backend';
import { FORWARD_CHUNK, forwardLayers } from '../src/tfjs/forward';

const PROBE = 200;
const PER_LAYER_SHARE = 10;

interface PassTime {
  wallSeconds: number;
  cpuSeconds: number;
}

async function timed(run: () => Promise<void>): Promise<PassTime> {
  const cpu = process.cpuUsage();
  const t = performance.now();
  await run();
  const used = process.cpuUsage(cpu);
  return { wallSeconds: (performance.now() - t) / 1000, cpuSeconds: (used.user + used.system) / 1e6 };
}

/** Runs the benchmark and returns its report, one printable line per entry. */
export async function benchGraphForward(): Promise<string[]> {
  // The model is built with the bundled tfjs the example imports: the backend must be one of its own.
  const { tf, backend } = await initBackend('wasm');
  const model = createModel();
  const layers = recordedLayers({ model, layers: layerTable(model, () => undefined) });
  const random = seededRandom(3);
  const per = layers[0].outputShape.reduce((a, b) => a * b, 1);
  const inputs = Float32Array.from({ length: PROBE * per }, () => random());
  const onePass = (count: number) => async () => {
    for await (const { out } of forwardLayers({ tf, model, layers, inputs: inputs.subarray(0, count * per), count })) void out;
  };
  await onePass(8)(); // untimed: compiles the kernels and sets up the operators
  const one = await timed(onePass(PROBE));
  const perLayerCount = PROBE / PER_LAYER_SHARE;
  const perLayer = await timed(async () => {
    for (let l = 1; l < layers.length; l++) {
      const extractor = tf.model({ inputs: model.inputs, outputs: model.getLayer(layers[l].name).output });
      for (let s = 0; s < perLayerCount; s += FORWARD_CHUNK) {
        const e = Math.min(perLayerCount, s + FORWARD_CHUNK);
        const y = tf.tidy(
          () => extractor.predict(tf.tensor(inputs.subarray(s * per, e * per), [e - s, ...layers[0].outputShape])) as tfjs.Tensor,
        );
        await y.data();
        y.dispose();
      }
    }
  });
  model.dispose();
  const fmt = (t: PassTime, times = 1) => `${(t.wallSeconds * times).toFixed(1)} s wall, ${(t.cpuSeconds * times).toFixed(1)} s CPU`;
  return [
    `ResNet-18 (examples/resnet18.ts, ${layers.length - 1} layers), one probe pass of ${PROBE} inputs on ${backend}`,
    `  one pass over the graph (each layer once):              ${fmt(one)}`,
    `  one extraction model per layer (the old way):           ${fmt(perLayer, PER_LAYER_SHARE)} (${perLayerCount} inputs ×${PER_LAYER_SHARE}, extrapolated)`,
    `  speed-up ${((perLayer.cpuSeconds * PER_LAYER_SHARE) / one.cpuSeconds).toFixed(1)}× in CPU time`,
  ];
}

// Run directly (`npx tsx bench/forwardBench.ts`), print the report. Matching the script name rather
// than `require.main === module` keeps this inert inside an esbuild bundle, where every module is the
// main one: the bench's own case would otherwise run a second pass at the same time.
if (/forwardBench\.[cm]?[jt]s$/.test(process.argv[1] ?? '')) void benchGraphForward().then((lines) => console.log(lines.join('\n')));
