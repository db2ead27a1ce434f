// What the comparison view asks each run: its training curves and input diversity once, and its
// per-layer entropies at the epoch compared. A failed query becomes a line said under the charts.
import { useEffect, useState } from 'preact/hooks';
import type { RunManifest } from '../../../src/contract/runFormat';
import type { ChannelEntropiesAnswer, InputDiversityAnswer, InterSampleAnswer, TrainingAnswer } from '../../../src/contract/queries';
import type { RunLayerValues } from '../../charts/runComparison';
import { meanDefined } from '../../compare';
import type { CompareEpochChoice } from '../../compare';
import type { DataSource } from '../../data';
import { ViewError } from '../../data';
import { compareQueries, queries } from '../../../src/contract/plan';

/** One run of the comparison: its manifest and where its answers come from. */
export interface CompareRun {
  manifest: RunManifest;
  data: DataSource;
  /** What VS Code's tree and tabs call the run ("#2"); absent in a report, where its id names it. */
  name?: string;
}

export interface RunAnswers {
  training?: TrainingAnswer;
  diversity?: InputDiversityAnswer;
  /** Messages of the queries that failed, said under the charts. */
  problems: string[];
}

/** One run's per-layer values at the epoch compared, and the queries of them that failed. */
export interface RunLayerAnswers {
  layers: RunLayerValues;
  problems: string[];
}

/** Asks one query, turning a failure into a line of `problems` (unless the view was left). */
export function asker(problems: string[], signal: AbortSignal) {
  return async <T>(what: string, p: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await p();
    } catch (e) {
      if (signal.aborted) return undefined;
      problems.push(`${what}: ${e instanceof ViewError || e instanceof Error ? e.message : String(e)}`);
      return undefined;
    }
  };
}

/** A run's training curves and input diversity: asked once per comparison. */
async function loadRun(run: CompareRun, all: RunManifest[], signal: AbortSignal): Promise<RunAnswers> {
  const problems: string[] = [];
  const ask = asker(problems, signal);
  const options = { signal };
  const [training, diversity] = await Promise.all([
    ask('training metrics', () => run.data.query(queries.training(), { ...options, view: 'training' })),
    ask('input diversity', () => run.data.query(compareQueries.inputDiversity(all), { ...options, view: 'training' })),
  ]);
  return { training, diversity, problems };
}

/** A run's per-layer entropies at one of its epochs (undefined: the run has no epoch to compare). */
async function loadLayers(run: CompareRun, epoch: number | undefined, signal: AbortSignal): Promise<RunLayerAnswers> {
  const problems: string[] = [];
  const ask = asker(problems, signal);
  const options = { signal };
  const interSample: (number | undefined)[] = [];
  const inputs: (number | undefined)[] = [];
  const meanChannel: (number | undefined)[] = [];
  if (epoch !== undefined) {
    await Promise.all(
      run.manifest.layers.map(async (l) => {
        const inter = await ask<InterSampleAnswer>(`inter-sample entropy of layer ${l.index} at epoch ${epoch}`, () =>
          run.data.query(queries.interSample(l.index, epoch, { kind: 'all' }), { ...options, view: 'query' }),
        );
        interSample[l.index] = inter?.bits ?? undefined;
        inputs[l.index] = inter?.inputCount;
        if (l.index === 0) return;
        const channels = await ask<ChannelEntropiesAnswer>(`channel entropies of layer ${l.index} at epoch ${epoch}`, () =>
          run.data.query(queries.channelEntropies(l.index, epoch, { kind: 'all' }), { ...options, view: 'channel' }),
        );
        meanChannel[l.index] = channels ? meanDefined(channels.all) : undefined;
      }),
    );
  }
  return { layers: { epoch, interSample, inputs, meanChannel }, problems };
}

/** Every run's training curves and input diversity; undefined while they are read. */
export function useRunAnswers(runs: CompareRun[], manifests: RunManifest[]): RunAnswers[] | undefined {
  const [answers, setAnswers] = useState<RunAnswers[] | undefined>(undefined);
  useEffect(() => {
    const controller = new AbortController();
    setAnswers(undefined);
    void Promise.all(runs.map((r) => loadRun(r, manifests, controller.signal))).then((a) => {
      if (!controller.signal.aborted) setAnswers(a);
    });
    return () => controller.abort();
  }, [runs, manifests]);
  return answers;
}

/** The layer values last received, for the epochs in `key` (kept on screen while another epoch computes). */
export interface LayerAnswers {
  key: string;
  choice: CompareEpochChoice;
  runs: RunLayerAnswers[];
}

/** Every run's per-layer values at `epochs[r]`; `epochsKey` stands for `epochs`, so an equal new array asks nothing again. */
export function useLayerAnswers(
  runs: CompareRun[],
  epochs: (number | undefined)[],
  epochsKey: string,
  epochChoice: CompareEpochChoice,
): LayerAnswers | undefined {
  const [layerAnswers, setLayerAnswers] = useState<LayerAnswers | undefined>(undefined);
  useEffect(() => {
    const controller = new AbortController();
    void Promise.all(runs.map((r, i) => loadLayers(r, epochs[i], controller.signal))).then((answers) => {
      if (!controller.signal.aborted) setLayerAnswers({ key: epochsKey, choice: epochChoice, runs: answers });
    });
    return () => controller.abort();
  }, [runs, epochsKey, epochChoice]);
  return layerAnswers;
}
