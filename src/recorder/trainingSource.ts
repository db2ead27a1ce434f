/** Where a run's optimizer and learning rate came from, for the log. */
export interface TrainingSourceInput {
  /** The model's own compile() trained it. */
  compiledByModel: boolean;
  /** Where that compile came from: a model.json's `training_config`, else the module's compile(). */
  modelSource?: 'training_config';
  optimizer: string;
  learningRate: number;
  loss: string;
  /** Where each value came from, in words (settingOrigins.ts `settingOrigin`). */
  origins: { optimizer: string; learningRate: string };
}

/**
 * The log line that says what trains the model and where each value came from: the model's own
 * compile() or its model.json's training_config, else each value's origin — the caller (the command
 * line, VS Code, the run being recorded again), the model file's `training` export, or the default.
 */
export function describeTrainingSource(t: TrainingSourceInput): string {
  if (t.compiledByModel) {
    const by = t.modelSource === 'training_config' ? "the model file's training_config" : "the model's own compile()";
    return `training: ${by} — ${t.optimizer} (learning rate ${t.learningRate}), loss ${t.loss}`;
  }
  const { optimizer: opt, learningRate: lr } = t.origins;
  const from = opt === lr ? `both from ${opt}` : `optimizer from ${opt}, learning rate from ${lr}`;
  return `training: ${t.optimizer} (learning rate ${t.learningRate}), ${from}, loss ${t.loss}`;
}
