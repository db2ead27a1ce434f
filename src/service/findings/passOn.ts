/**
 * Layers that only pass a channel on (docs/estimators.md "Findings"; `passesOn` in
 * src/contract/layerKinds.ts): a pooling, flatten, activation, dropout or noise, padding, cropping,
 * up-sampling or batch-normalisation layer, and a reshape or concatenate whose channels map 1:1 to
 * its inputs'. A dead or constant channel there that comes from a dead or constant channel of the
 * layer it reads is that layer's fault: the finding sits at the layer that causes it, and names the
 * layers that pass it on in its detail.
 */
import type { RunLayer } from '../../contract/runFormat';
import { layerKind } from '../../contract/layerKinds';

/** One channel of one layer. */
export interface ChannelRef {
  layer: number;
  channel: number;
}

/** Whether the layer's output is a vector `[U]` (one channel of all its units). */
export const isVector = (layer: RunLayer): boolean => layer.outputShape.length < 2;

/**
 * Where each output channel of layer `l` comes from, when `l` only passes channels on: for channel
 * `c`, the input channels it is made of (one for a 1:1 map; every channel of the input for a flatten
 * or global pooling to a vector). Undefined for every other layer, and where the channels do not
 * map (a reshape that changes the channel count, a concatenate on another axis). Layer 0, the
 * input, holds no findings, so a layer reading it passes nothing on.
 */
export function channelSources(
  layers: readonly RunLayer[],
  l: number,
  inputs: readonly number[],
): ((c: number) => ChannelRef[]) | undefined {
  const layer = layers[l];
  const kind = layerKind(layer.className);
  if (!kind.passesOn || !inputs.length || inputs.some((i) => i <= 0 || i >= l)) return undefined;
  const from = inputs.map((i) => layers[i]);
  if (kind.merge === 'concatenate') {
    if (isVector(layer) || from.some((f) => f.outputShape.length !== layer.outputShape.length)) return undefined;
    const offsets: number[] = [];
    let total = 0;
    for (const f of from) {
      offsets.push(total);
      total += f.channels;
    }
    if (total !== layer.channels || from.some((f) => f.channels <= 0)) return undefined;
    return (c) => {
      let k = from.length - 1;
      while (k > 0 && offsets[k] > c) k--;
      return [{ layer: inputs[k], channel: c - offsets[k] }];
    };
  }
  if (inputs.length !== 1) return undefined;
  const input = from[0];
  if (isVector(layer)) {
    if (isVector(input)) return () => [{ layer: inputs[0], channel: 0 }];
    if (input.channels <= 0) return undefined;
    const all = Array.from({ length: input.channels }, (_, channel) => ({ layer: inputs[0], channel }));
    return () => all;
  }
  if (isVector(input) || input.channels !== layer.channels || layer.channels <= 0) return undefined;
  return (c) => [{ layer: inputs[0], channel: c }];
}

/**
 * Splits every layer's flagged channels (dead or constant, by layer index) into those it causes and
 * those it passes on, and gives for each layer that causes some the layers that pass them on
 * (ascending), following chains (conv → pool → flatten). A flagged channel is passed on when every
 * channel it comes from (`channelSources`) is flagged too.
 */
export function passedOn(
  layers: readonly RunLayer[],
  flagged: ReadonlyMap<number, ReadonlySet<number>>,
  inputsOf: (l: number) => number[],
): { passed: Map<number, Set<number>>; passers: Map<number, number[]> } {
  const passed = new Map<number, Set<number>>();
  // Per passed-on channel, the layers whose own channels it comes from.
  const origins = new Map<string, Set<number>>();
  const passers = new Map<number, Set<number>>();
  for (const l of [...flagged.keys()].sort((a, b) => a - b)) {
    const sources = channelSources(layers, l, inputsOf(l));
    if (!sources) continue;
    for (const c of flagged.get(l) ?? []) {
      const from = sources(c);
      if (!from.length || !from.every((s) => flagged.get(s.layer)?.has(s.channel))) continue;
      if (!passed.has(l)) passed.set(l, new Set());
      passed.get(l)!.add(c);
      const mine = new Set<number>();
      for (const s of from) for (const o of origins.get(`${s.layer}:${s.channel}`) ?? [s.layer]) mine.add(o);
      origins.set(`${l}:${c}`, mine);
      for (const o of mine) {
        if (!passers.has(o)) passers.set(o, new Set());
        passers.get(o)!.add(l);
      }
    }
  }
  return { passed, passers: new Map([...passers].map(([o, ls]) => [o, [...ls].sort((a, b) => a - b)])) };
}
