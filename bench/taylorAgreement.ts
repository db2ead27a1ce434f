/**
 * How well the Taylor estimate (src/tfjs/taylor.ts) orders a recorded run's channels by what their
 * exact ablation costs (docs/estimators.md "The Taylor estimate"): per layer, Spearman's ρ between
 * the estimate and channelImportance's Δ loss (zero mode, every probe input), and the time of the
 * estimate for every layer at once against the time of the exact ablations, layer by layer.
 * A measurement, not part of `npm run bench`:
 *
 *   npx tsx bench/taylorAgreement.ts <run-folder> [epoch] [layer …]
 *
 * (default: the last recorded epoch, every layer from 1 to the scored output with more than one
 * channel). The exact answers come from an analysis service on the WebAssembly backend, no answer
 * cached, warmed by one untimed answer; each asks `exhaustive: true`, so every channel is ablated (by
 * default channelImportance ablates only 16 channels of a layer, the two tiers of docs/estimators.md).
 * Their time includes the information measures channelImportance computes beside the ablations and
 * the Taylor pass it runs to fill its `estimate` (no answer is cached). Each layer's row is also printed
 * to stderr as soon as it is measured (with its time per channel), so a stopped run keeps the layers
 * it finished. The estimate runs on this thread's WebAssembly backend, the model loaded and one small
 * untimed pass run first.
 */
import { dirname } from 'node:path';
import { spearman } from '../src/analysis';
import { readProbe } from '../src/run/probe';
import { checkpointFolder } from '../src/run/paths';
import { readRun } from '../src/run/store';
import { scoredOutput } from '../src/service/ablation';
import { AnalysisEngine } from '../src/service/engine';
import { initBackend } from '../src/tfjs/backend';
import { loadCheckpoint } from '../src/tfjs/forward';
import { taylorEstimates } from '../src/tfjs/taylor';
import { gateAxis } from '../src/contract/runFormat';

const fixed = (rho: number | undefined) => (rho === undefined ? '—' : rho.toFixed(2));

async function main(): Promise<void> {
  const [folder, epochArg, ...layerArgs] = process.argv.slice(2);
  if (!folder) throw new Error('usage: npx tsx bench/taylorAgreement.ts <run-folder> [epoch] [layer …]');
  const run = readRun(folder);
  const manifest = run.manifest;
  const epoch = epochArg === undefined ? manifest.epochs.at(-1)! : Number(epochArg);
  const output = scoredOutput(manifest);
  const layers = layerArgs.length
    ? layerArgs.map(Number)
    : manifest.layers.filter((l) => l.index >= 1 && l.index <= output.layer && gateAxis(l).channels > 1).map((l) => l.index);
  const { tf } = await initBackend('wasm');
  const probe = readProbe({ folder, manifest });
  const model = await loadCheckpoint(tf, checkpointFolder(folder, epoch), manifest.layers);
  const common = { tf, model, layers: manifest.layers, inputs: probe.inputs, labels: probe.labels, count: probe.labels.length, output };
  // One warm-up on a few inputs (kernels compiled, tape code paths taken), then the timed pass over the probe set.
  await taylorEstimates({ ...common, count: Math.min(8, common.count), targets: layers });
  const t0 = performance.now();
  const estimates = await taylorEstimates({ ...common, targets: layers });
  const taylorMs = performance.now() - t0;
  console.error(`Taylor estimate, all ${layers.length} layers at once: ${(taylorMs / 1000).toFixed(2)} s`);
  model.dispose();

  const engine = new AnalysisEngine({ roots: [dirname(folder)], backend: 'wasm', cacheBytes: 0 });
  const rows: string[] = [];
  let exactMs = 0;
  try {
    // The service warmed up (backend, compute workers, the model and the probe's forward pass) by one untimed
    // answer, of the scored output's few units: an answer of a wide early layer would cost minutes on a
    // full-width ResNet.
    await engine.answer(folder, { kind: 'channelImportance', epoch, layer: output.layer });
    for (const layer of layers) {
      const t = performance.now();
      const l = manifest.layers[layer];
      const asked = await engine.answer(folder, { kind: 'channelImportance', epoch, layer, exhaustive: true }).then(
        (r) => r.answer,
        (e: unknown) => e as Error,
      );
      const ms = performance.now() - t;
      if (asked instanceof Error) {
        rows.push(`| ${l.name} | no exact answer: ${asked.message} | | | |`);
        console.error(rows.at(-1));
        continue;
      }
      const answer = asked;
      exactMs += ms;
      const exact = answer.channels.map((c) => c.deltaLoss);
      const estimate = Array.from(estimates.get(layer)!);
      const r = spearman(estimate, exact, { permutations: 0 });
      const abs = spearman(
        estimate.map(Math.abs),
        exact.map((v) => (v === null ? null : Math.abs(v))),
        { permutations: 0 },
      );
      const top = (values: readonly (number | null)[]) =>
        values.map((v, c) => ({ v: v ?? -Infinity, c })).sort((a, b) => b.v - a.v || a.c - b.c)[0].c;
      rows.push(
        `| ${l.name} (${estimate.length} ${l.outputShape.length < 2 ? 'units' : 'channels'}) | ${fixed(r.rho)} | ${fixed(abs.rho)} | ` +
          `${top(exact) === top(estimate) ? 'yes' : `no (${top(exact)} / ${top(estimate)})`} | ${(ms / 1000).toFixed(2)} s |`,
      );
      console.error(`${rows.at(-1)} ${(ms / 1000 / estimate.length).toFixed(2)} s per channel`);
    }
  } finally {
    engine.close();
  }
  console.log(
    `run ${manifest.id}, epoch ${epoch}, ${probe.labels.length} probe inputs, baseline probe accuracy ${run.metrics.find((m) => m.epoch === epoch)?.probeAccuracy}`,
  );
  console.log('| layer | ρ (estimate, exact Δ loss) | ρ of magnitudes | same most costly channel (exact / estimate) | exact time |');
  console.log('|---|---|---|---|---|');
  for (const row of rows) console.log(row);
  console.log(
    `Taylor estimate, all ${layers.length} layers at once: ${(taylorMs / 1000).toFixed(2)} s; exact ablations, summed: ${(exactMs / 1000).toFixed(2)} s`,
  );
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
