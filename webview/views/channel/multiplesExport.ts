// The small multiples' CSV (one row per channel, class and epoch) and JSON.
import type { SmallMultiplesAnswer } from '../../../src/contract/queries';
import type { Cell } from '../../export';

export function multiplesTable(
  a: SmallMultiplesAnswer,
  order: number[],
  classNames: string[],
  layerName: string,
): { columns: string[]; rows: Cell[][] } {
  const rows: Cell[][] = [];
  const dead = a.deadChannels.map((d) => new Set(d));
  for (const c of order) {
    a.epochs.forEach((e, k) => {
      rows.push([layerName, c, 'all', e, a.all[c]?.[k] ?? null, dead[k]?.has(c) ?? false]);
      a.perClass.forEach((pc, cls) =>
        rows.push([layerName, c, classNames[cls] ?? String(cls), e, pc[c]?.[k] ?? null, dead[k]?.has(c) ?? false]),
      );
    });
  }
  return { columns: ['layer', 'channel', 'class', 'epoch', 'bits', 'dead'], rows };
}

export function multiplesJson(a: SmallMultiplesAnswer, order: number[], classNames: string[], layerName: string): unknown {
  return {
    layer: a.layer,
    layerName,
    epochs: a.epochs,
    unit: 'bits',
    channels: order.map((c) => ({
      channel: c,
      all: a.all[c],
      perClass: Object.fromEntries(a.perClass.map((pc, cls) => [classNames[cls] ?? String(cls), pc[c]])),
      deadAtEpochs: a.epochs.filter((_, k) => a.deadChannels[k]?.includes(c)),
    })),
  };
}
