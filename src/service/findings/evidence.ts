/**
 * The evidence the findings' rules read beyond the recorded metrics, gathered by the `findings`
 * handler: each multi-channel layer's capacity with itself where the near-duplicate screen keeps a
 * pair (the diagonal, and the pairs NEAR_DUPLICATE_SCREEN keeps: never the full matrix of a wide
 * layer), its channels' `I_pair(T_c; Y)` from the same distance codes, the model's topology, each probe input's loss at the epochs the probe-loss rule compares,
 * and the measured ablation of the channels a finding names.
 */
import { classScores, predictionMeasures, type LayerValues } from '../../analysis';
import { ABLATION_PATHS, measureAblationInputs, scoredOutput } from '../ablation';
import { tailPlan } from '../../tfjs/graphTail';
import { checkCancelled } from '../handlers/capacityMatrix';
import { orNull } from '../handlers/handler';
import { layerInputs } from '../networkTopology';
import { Finding, QueryError } from '../../contract/queries';
import type { QueryContext } from '../queryContext';
import { REMOVABLE_KINDS, withAblation } from './rules';
import { ablationEffect, contradictionReason, CONTRADICTED_BY_EFFECT, effectShows } from './ablationCheck';
import type { LayerEvidence, Skipped } from './types';

/** The layers whose channels the rules compare: every layer after the input with several channels. */
export function evidenceLayers(ctx: QueryContext): number[] {
  return ctx.manifest.layers.filter((l) => l.index > 0 && l.channels > 1).map((l) => l.index);
}

/** Per multi-channel layer at `epoch`: its screened capacity with itself and (with class output) its channels' label information. */
export async function gatherEvidence(
  ctx: QueryContext,
  epoch: number,
  progress: (fraction: number, message: string) => void,
): Promise<{ evidence: Map<number, LayerEvidence>; skipped: Skipped[] }> {
  const layers = evidenceLayers(ctx);
  const evidence = new Map<number, LayerEvidence>();
  if (!layers.length) {
    const reason = 'the model has no layer with several channels after its input';
    return {
      evidence,
      skipped: [
        { kind: 'near-duplicate-channels', reason },
        { kind: 'uninformative-channels', reason },
      ],
    };
  }
  const withLabels = !ctx.manifest.output?.labelMeasuresAbsent;
  // Every layer's activations (the screen's correlations read them) from one forward pass
  // (QueryContext.probeLayers) that hands each out in turn, instead of a pass per layer from the
  // deepest layer still in memory (MobileNetV2 example: evidence phase 82 s -> 74 s). The scored
  // output is handed out too, and so kept: the ablations' baseline (the model's own output) is
  // then read from memory instead of costing a pass of its own through every layer.
  const output = ctx.manifest.output?.kind === 'none' ? undefined : scoredOutput(ctx.manifest).layer;
  const wanted = output === undefined || layers.includes(output) ? layers : [...layers, output].sort((a, b) => a - b);
  const pass = ctx.probeLayers(epoch, wanted);
  // Up to EVIDENCE.inFlight layers at once: the compute pool's workers compare one layer's
  // channels while this thread runs the forward pass to the next (ONNX Runtime holds it) and
  // prepares its values, instead of each waiting for the other.
  const inFlight: Promise<void>[] = [];
  try {
    let k = 0;
    for (const l of wanted) {
      checkCancelled(ctx);
      const step = await pass.next();
      if (step.done || step.value.layer !== l) throw new Error(`the forward pass handed out no activations of layer ${l}`);
      if (l === output && !layers.includes(l)) continue;
      const at = k++;
      const layerProgress = (share: number, message: string) => progress((at + share) / layers.length, message);
      const done = layerEvidence(ctx, { layer: l, epoch, acts: step.value.acts }, withLabels, layerProgress).then((e) => {
        evidence.set(l, e);
      });
      // Awaited below; a failure meanwhile is not unhandled.
      done.catch(() => undefined);
      inFlight.push(done);
      if (inFlight.length >= EVIDENCE.inFlight) await inFlight.shift();
    }
    while (inFlight.length) await inFlight.shift();
  } finally {
    // A failure or cancellation leaves no layer's work running behind the answer.
    await Promise.allSettled(inFlight);
    await pass.return(undefined);
  }
  // In the order of the layers, whatever order their work finished in.
  return { evidence: new Map(layers.map((l) => [l, evidence.get(l)!])), skipped: [] };
}

/**
 * `inFlight`: layers whose evidence is computed at once (`gatherEvidence`). 2 lets the compute
 * workers compare one layer's channels while this thread runs the forward pass to the next and
 * prepares its values; more would hold more layers' values and codes for little more overlap. 1
 * computes one layer after the other (a switch for the test that checks both give the same answer).
 */
export const EVIDENCE = { inFlight: 2 };

/** One layer's evidence: its screened capacity with itself and, `withLabels`, its channels' label information. */
async function layerEvidence(
  ctx: QueryContext,
  q: { layer: number; epoch: number; acts: LayerValues },
  withLabels: boolean,
  progress: (share: number, message: string) => void,
): Promise<LayerEvidence> {
  const l = q.layer;
  const name = ctx.manifest.layers[l].name;
  progress(0, `findings: near-duplicate screen of ${name}`);
  const e: LayerEvidence = { selfCapacity: await ctx.selfCapacity({ layer: l, epoch: q.epoch }, q.acts) };
  if (withLabels) {
    progress(0.5, `findings: label information of ${name}'s channels`);
    e.channelLabelBits = (await ctx.channelLabelBits({ layer: l, epoch: q.epoch })).map(orNull);
  }
  return e;
}

/**
 * Per ablated layer of a graph model, the run layers its ablation tail reads besides the layer's
 * descendants (src/tfjs/graphTail.ts `tailPlan`: a residual block's shortcut, the input). The
 * findings' pass hands them out beside the ablated layers, so that they are in memory when the
 * tail reads them instead of each being computed again by a pass of its own once the activation
 * budget has let them go. Empty for a sequential model, or where the tails do not apply.
 */
async function tailSides(ctx: QueryContext, epoch: number, layers: readonly number[]): Promise<Map<number, number[]>> {
  const sides = new Map<number, number[]>();
  if (ctx.manifest.output?.kind === 'none') return sides;
  const output = scoredOutput(ctx.manifest).layer;
  const native = await ctx.native(epoch);
  if (native) {
    // The native cut at the layer reads them (QueryContext `forwardFrom`).
    for (const l of layers) {
      let read: readonly number[] = [];
      try {
        read = l < output ? native.model.cutSides(l, output).filter((side) => side > 0) : [];
      } catch {
        // No cut there: its ablation says why.
      }
      if (read.length) sides.set(l, [...read]);
    }
    return sides;
  }
  if (!ABLATION_PATHS.graphTail) return sides;
  const { model } = await ctx.model(epoch);
  for (const l of layers) {
    const read = tailPlan(model, ctx.manifest.layers, l, output)?.sides.map((side) => side.layer);
    if (read?.length) sides.set(l, read);
  }
  return sides;
}

/**
 * Each probe input's loss at each of `epochs` (the `probe-loss-rising` rule's bootstrap): a forward
 * pass of the checkpoint to its scored output, the loss of src/analysis/predictions.ts.
 */
export async function probeLossesAt(ctx: QueryContext, epochs: readonly number[]): Promise<Map<number, Float64Array>> {
  const losses = new Map<number, Float64Array>();
  if (!epochs.length || ctx.manifest.output?.kind === 'none') return losses;
  const output = scoredOutput(ctx.manifest);
  const probe = ctx.probe();
  const all = Array.from(probe.labels, (_, i) => i);
  const classes = ctx.classes();
  for (const epoch of epochs) {
    checkCancelled(ctx);
    const out = await ctx.layerOutput(epoch, output.layer, all);
    const scores = classScores(output.kind, Float32Array.from(out.data), classes);
    losses.set(epoch, predictionMeasures(scores, probe.labels, classes).inputLosses);
  }
  return losses;
}

/** The layers each layer reads, from the checkpoint's topology. */
export async function topology(ctx: QueryContext, epoch: number): Promise<number[][]> {
  const { model } = await ctx.model(epoch);
  return layerInputs(model, ctx.manifest.layers);
}

/** The channels to ablate for a finding: its channels, or every unit of a vector layer (whose one channel is the whole layer). */
function ablationChannels(ctx: QueryContext, f: Finding): number[] {
  const layer = ctx.manifest.layers[f.layer!];
  if (layer.outputShape.length >= 2) return f.channels ?? [];
  return Array.from({ length: Math.max(layer.outputShape[0], 0) }, (_, u) => u);
}

/**
 * Each finding that names removable-looking channels, with the measured ablation of all of them
 * together (zero mode). An ablation the service cannot answer (`unsupported`, or a model it cannot
 * split) leaves the finding without one; cancellation and bugs propagate. A finding its own
 * ablation contradicts (dead channels whose zeroing moves the probe accuracy or loss beyond the
 * paired bootstrap interval: ablationCheck.ts) is left out, and `skipped` says why.
 */
export async function addAblations(
  ctx: QueryContext,
  epoch: number,
  findings: Finding[],
): Promise<{ findings: Finding[]; skipped: Skipped[] }> {
  // Measured layer by layer, ascending, each layer's activations handed out by one forward pass
  // (probeLayers): in the findings' own order (by kind, then layer) an ablation whose layer had left
  // memory ran a forward pass of its own to it.
  const ablated = findings
    .map((f, i) => ({ f, i }))
    .filter(({ f }) => REMOVABLE_KINDS.includes(f.kind) && f.layer !== undefined && f.channels?.length)
    .sort((a, b) => a.f.layer! - b.f.layer! || a.i - b.i);
  const layers = [...new Set(ablated.map(({ f }) => f.layer!))];
  const sides = layers.length ? await tailSides(ctx, epoch, layers) : new Map<number, number[]>();
  const handedOut = [...new Set([...layers, ...[...sides.values()].flat()])];
  const pass = layers.length ? ctx.probeLayers(epoch, handedOut) : undefined;
  const measured = new Map<number, Finding>();
  const contradicted = new Map<number, Skipped>();
  try {
    let at = -1;
    for (const { f, i } of ablated) {
      checkCancelled(ctx);
      // The pass goes on past the layer to the last value its tail reads besides (a projection shortcut listed after it).
      const reach = Math.max(f.layer!, ...(sides.get(f.layer!) ?? []));
      while (at < reach) {
        const step = await pass!.next();
        if (step.done) throw new Error(`the forward pass handed out no activations of layer ${f.layer}`);
        at = step.value.layer;
      }
      try {
        const a = await measureAblationInputs(ctx, { epoch, layer: f.layer!, channels: ablationChannels(ctx, f), mode: 'zero' });
        const shown = withAblation(f, a.answer);
        measured.set(i, shown);
        const effect = CONTRADICTED_BY_EFFECT.includes(f.kind) ? ablationEffect(a.baseline, a.ablated) : undefined;
        if (effect && effectShows(effect)) contradicted.set(i, { kind: f.kind, reason: contradictionReason(shown, effect) });
      } catch (e) {
        if (!(e instanceof QueryError) || e.code === 'internal' || e.code === 'cancelled') throw e;
      }
    }
  } finally {
    await pass?.return(undefined);
  }
  return {
    findings: findings.flatMap((f, i) => (contradicted.has(i) ? [] : [measured.get(i) ?? f])),
    skipped: [...contradicted.values()],
  };
}
