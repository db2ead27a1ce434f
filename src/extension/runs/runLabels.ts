// What a run is called in the tree, the panels' titles and the pickers: the name the user gave it
// ("Rename…", kept per workspace by `RunNames`), else its number among its model's runs ("#3").
// One instance, created in `activate` and given to whoever shows runs.
import { resolve } from 'node:path';
import type { RunRecord } from '../../run/store';
import { runLabel, type RunNames, runOrdinals } from './runDisplay';
import type { RunIndex } from './runIndex';

export class RunLabels {
  constructor(
    private readonly runs: RunIndex,
    readonly names: RunNames,
  ) {}

  /** Fires when the user renames a run. */
  onDidChange(listener: () => void): { dispose(): void } {
    return this.names.onDidChange(listener);
  }

  /** A run's label among `all` (the index's runs, read once for a whole list). */
  label(record: RunRecord, all: readonly RunRecord[]): string {
    return runLabel(ordinalOf(record, all), this.names.get(record.manifest.id));
  }

  /** The label a run has when the user has not named it. */
  defaultLabel(record: RunRecord, all: readonly RunRecord[]): string {
    return runLabel(ordinalOf(record, all));
  }

  /** A run's label, reading the index for its number. */
  async labelOf(record: RunRecord): Promise<string> {
    return this.label(record, await this.runs.runs());
  }

  async defaultLabelOf(record: RunRecord): Promise<string> {
    return this.defaultLabel(record, await this.runs.runs());
  }
}

function ordinalOf(record: RunRecord, all: readonly RunRecord[]): number {
  // A run the index has not read yet (it started a moment ago) is the newest of its model.
  return runOrdinals(all).get(resolve(record.folder)) ?? runOrdinals([...all, record]).get(resolve(record.folder))!;
}
