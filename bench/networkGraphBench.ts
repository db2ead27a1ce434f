/**
 * The network graph of the full-width ResNet-18 (examples/resnet18.ts: 67 layers, 64–512 channels)
 * at one epoch, cold (issue 28): a run recorded on CIFAR-format images (bench/fakeCifar.ts,
 * structured so that the network learns something), probe 200, one epoch on 256 training inputs,
 * by the CLI in a child process, as bench/reportBench.ts records its runs: the timed process is
 * the service's kind, which never trains (in the process that had just trained the model the graph
 * took ≈ 1.3 s longer). Then a fresh engine warmed on epoch 0 as the service bench warms one
 * (backend, workers, the first layer's kernels), no cached answer, epoch 1 not loaded — and the
 * `networkGraph` query of epoch 1 timed. CPU time of every thread and the load average are given beside the wall time:
 * on a shared machine the wall time follows the other processes, the CPU time much less.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { AnalysisEngine } from '../src/service/engine';
import type { ServiceBenchLine } from './serviceBench';
import { readRun } from '../src/run/store';
import { scoredOutput } from '../src/service/ablation';

/** Goal of issue 48: channelImportance (both tiers) of every layer of the full-width ResNet-18 in under 20 s. */
export const IMPORTANCE_EVERY_LAYER_GOAL_MS = 20_000;

/**
 * `channelImportance` (two tiers: the Taylor pass, 16 ablations a layer, the information measures) of
 * every multi-channel layer before the scored output at epoch 1, on a fresh engine warmed as above, no
 * answer cached: the time of all of them, one after another.
 */
async function importanceOfEveryLayer(runs: string, folder: string): Promise<ServiceBenchLine> {
  const manifest = readRun(folder).manifest;
  const output = scoredOutput(manifest).layer;
  const layers = manifest.layers.filter((l) => l.index >= 1 && l.index <= output && l.channels > 1).map((l) => l.index);
  rmSync(join(folder, 'cache'), { recursive: true, force: true });
  const engine = new AnalysisEngine({ roots: [runs] });
  try {
    await engine.answer(folder, { kind: 'featureMaps', layer: 1, channels: [0], epoch: 0, x: { kind: 'all' } });
    const cpu = process.cpuUsage();
    const t = performance.now();
    let measured = 0;
    for (const layer of layers)
      measured += (await engine.answer(folder, { kind: 'channelImportance', layer, epoch: 1 })).answer.estimate.measuredCount;
    const ms = performance.now() - t;
    const used = process.cpuUsage(cpu);
    return {
      label:
        `channelImportance (two tiers) of every layer of the full-width ResNet-18, cold (${layers.length} layers, ${measured} channels ablated; ` +
        `CPU ${((used.user + used.system) / 1e6).toFixed(1)} s on all threads; load ${loadavg()[0].toFixed(1)})`,
      ms,
      goalMs: IMPORTANCE_EVERY_LAYER_GOAL_MS,
    };
  } finally {
    engine.close();
  }
}

/** Goal of issue 28: the cold graph in under 10 s. */
export const NETWORK_GRAPH_GOAL_MS = 10_000;

/**
 * Records the run, then times the cold network graph or, with `everyLayer` (the `importance`
 * section, run only when named: tens of minutes on two cores), channelImportance of every layer.
 */
export async function benchNetworkGraph(
  workDir: string,
  cifarFolder: string,
  everyLayer = false,
): Promise<{ lines: ServiceBenchLine[]; recordSeconds: number }> {
  const runs = join(workDir, 'graph-runs');
  const t0 = performance.now();
  const cli = join(__dirname, 'cli.js');
  const model = resolve(__dirname, '../examples/resnet18.ts');
  const args = ['record', model, '--dataset', `cifar10:${cifarFolder}`, '--epochs', '1', '--batch-size', '64', '--probe', '200'];
  const out = execFileSync(process.execPath, [cli, ...args, '--train-limit', '256', '--out', runs], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
    maxBuffer: 1 << 24,
  });
  const folder = out.trim().split('\n').at(-1)!.trim();
  const recordSeconds = (performance.now() - t0) / 1000;
  if (everyLayer) {
    try {
      return { lines: [await importanceOfEveryLayer(runs, folder)], recordSeconds };
    } finally {
      rmSync(runs, { recursive: true, force: true });
    }
  }
  const engine = new AnalysisEngine({ roots: [runs] });
  try {
    await engine.answer(folder, { kind: 'featureMaps', layer: 1, channels: [0], epoch: 0, x: { kind: 'all' } });
    rmSync(join(folder, 'cache'), { recursive: true, force: true });
    const load = loadavg()[0];
    const cpu = process.cpuUsage();
    const t = performance.now();
    const graph = (await engine.answer(folder, { kind: 'networkGraph', epoch: 1 })).answer;
    const ms = performance.now() - t;
    const used = process.cpuUsage(cpu);
    const sampled = graph.edges.filter((e) => e.sampledPairs !== undefined).length;
    return {
      lines: [
        {
          label:
            `network graph of the full-width ResNet-18 at one epoch, cold (probe 200; ${graph.clusters.length} clusters, ${graph.edges.length} edges, ` +
            `${sampled} of them sampled means; CPU ${((used.user + used.system) / 1e6).toFixed(1)} s on all threads; load ${load.toFixed(1)} on ${cpus().length} cores)`,
          ms,
          goalMs: NETWORK_GRAPH_GOAL_MS,
        },
      ],
      recordSeconds,
    };
  } finally {
    engine.close();
    rmSync(runs, { recursive: true, force: true });
  }
}
