// What the Analyze CNN quick input says about how the model will train, and where each setting
// comes from, read from the model file's text without running it (docs/models.md, "Training"):
// a model.json's training_config (optimizer, learning rate, loss), a module that compiles its
// model itself, or the default optimizer. Plain Node, tested without VS Code.
import type { L10n } from '../l10n';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The optimizer, learning rate and loss a model.json's training_config names, or undefined when it has none. */
function trainingConfigOf(text: string): { optimizer: string; learningRate?: number; loss?: string } | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObj(json)) return undefined;
  const topology = json.modelTopology;
  const config = isObj(topology) && isObj(topology.training_config) ? topology.training_config : json.trainingConfig;
  if (!isObj(config) || !isObj(config.optimizer_config) || typeof config.optimizer_config.class_name !== 'string') return undefined;
  const settings = isObj(config.optimizer_config.config) ? config.optimizer_config.config : {};
  const rate = settings.learning_rate ?? settings.learningRate ?? settings.lr;
  const loss = isObj(config.loss) ? config.loss.class_name : config.loss;
  return {
    optimizer: config.optimizer_config.class_name.replace(/^Custom>/, '').replace(/^.*\./, ''),
    learningRate: typeof rate === 'number' ? rate : undefined,
    loss: typeof loss === 'string' ? loss : undefined,
  };
}

/**
 * Whether the model trains with its own optimizer unless the settings choose one: a model.json with a
 * training_config, or a module that calls compile().
 */
export function hasOwnTraining(modelFile: string, text: string | undefined): boolean {
  if (text === undefined) return false;
  return /\.json$/i.test(modelFile) ? trainingConfigOf(text) !== undefined : /\.compile\s*\(/.test(text);
}

/**
 * The quick input's line on training: optimizer, learning rate and loss with their source — the
 * model file's training_config, the module's own compile(), or, for a model that does not compile
 * itself, the loss that fits its output (the Optimizer and Learning rate rows say the rest).
 */
export function modelTrainingDescription(modelFile: string, text: string | undefined, l10n: L10n): string {
  if (text !== undefined && /\.json$/i.test(modelFile)) {
    const c = trainingConfigOf(text);
    if (c) {
      // Six significant digits: Keras stores 0.0005 as the float32 0.0005000000237487257.
      const rate = c.learningRate === undefined ? '' : l10n.t(', learning rate {0}', Number(c.learningRate.toPrecision(6)));
      const loss = c.loss === undefined ? '' : l10n.t(', loss {0}', c.loss);
      return l10n.t("{0}{1}{2} (the model file's training_config)", c.optimizer, rate, loss);
    }
  } else if (text !== undefined && /\.compile\s*\(/.test(text)) {
    return l10n.t("the model's own compile()");
  }
  // Not compiled by the model: the Optimizer and Learning rate rows say what trains it (its
  // `training` export or the default); the loss follows the output layer.
  return l10n.t('the loss that fits the output (cross-entropy for a softmax), with the optimizer and learning rate above');
}
