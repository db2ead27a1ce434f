/**
 * The opened run as a query reads it (queryContext.ts): its manifest, probe set and classes, and the
 * checks of a query's arguments (epoch recorded, layer and channel in range, the probe subset).
 */
import { InputSubset, resolveSubset } from '../analysis';
import { QueryError } from '../contract/queries';
import type { EpochMetrics, RunManifest } from '../contract/runFormat';
import type { Probe } from '../run/probe';
import { readProbe, type RunState } from './runs';

export class RunChecks {
  constructor(readonly run: RunState) {}

  get manifest(): RunManifest {
    return this.run.record.manifest;
  }

  probe(): Probe {
    return readProbe(this.run);
  }

  classes(): number {
    return this.manifest.dataset.classNames.length;
  }

  /** The recorded metrics of `epoch`, or an `epoch-not-recorded` error naming the recorded ones. */
  metricsAt(epoch: number): EpochMetrics {
    const m = this.run.record.metrics.find((e) => e.epoch === epoch);
    if (!m) {
      const recorded = this.manifest.epochs;
      throw new QueryError(
        'epoch-not-recorded',
        `epoch ${epoch} is not recorded in run ${this.manifest.id}; recorded epochs: ${recorded.length ? recorded.join(', ') : 'none yet'}`,
      );
    }
    return m;
  }

  checkLayer(layer: number, what = 'layer'): void {
    const count = this.manifest.layers.length;
    if (layer >= count)
      throw new QueryError('out-of-range', `${what} ${layer} is out of range: the model has layers 0..${count - 1} (0 = input)`);
  }

  checkChannel(layer: number, channel: number): void {
    const l = this.manifest.layers[layer];
    if (channel >= l.channels)
      throw new QueryError(
        'out-of-range',
        `channel ${channel} is out of range: layer ${layer} (${l.name}) has channels 0..${l.channels - 1}`,
      );
  }

  /** The probe inputs of `x` (all when absent), ascending. */
  subset(x: InputSubset | undefined): number[] {
    const probe = this.probe();
    return resolveSubset(x ?? { kind: 'all' }, probe.labels, this.classes());
  }
}
