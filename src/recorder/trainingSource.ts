import type { TrainingExport } from './settings';

/** Where a run's optimizer and learning rate came from, for the log. */
export interface TrainingSourceInput {
  /** The model's own compile() trained it. */
  compiledByModel: boolean;
  /** Where that compile came from: a model.json's `training_config`, else the module's compile(). */
  modelSource?: 'training_config';
  optimizer: string;
  learningRate: number;
  loss: string;
  /** What the caller set (CLI options or the editor's settings). */
  options: { optimizer?: string; learningRate?: number };
  /** The model file's `training` export. */
  fromFile?: TrainingExport;
}

/** Names the first source that set one training value: the options, the model's export, or the default. */
function sourceOf(fromOptions: unknown, fromFile: unknown): string {
  if (fromOptions !== undefined) return 'the settings';
  if (fromFile !== undefined) return "the model's `training` export";
  return 'the default';
}

/**
 * The log line that says what trains the model and where each value came from: the model's own
 * compile(), the caller's settings, the model file's `training` export, or the recorder's default.
 */
export function describeTrainingSource(t: TrainingSourceInput): string {
  if (t.compiledByModel) {
    const by = t.modelSource === 'training_config' ? "the model file's training_config" : "the model's own compile()";
    return `training: ${by} — ${t.optimizer} (learning rate ${t.learningRate}), loss ${t.loss}`;
  }
  const opt = sourceOf(t.options.optimizer, t.fromFile?.optimizer);
  const lr = sourceOf(t.options.learningRate, t.fromFile?.learningRate);
  const from = opt === lr ? `both from ${opt}` : `optimizer from ${opt}, learning rate from ${lr}`;
  return `training: ${t.optimizer} (learning rate ${t.learningRate}), ${from}, loss ${t.loss}`;
}
