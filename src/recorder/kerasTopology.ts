/**
 * Keras model.json files as TensorFlow.js 4.22 reads them (docs/models.md, "Keras versions").
 *
 * The TensorFlow.js converter copies the Keras topology into `modelTopology` as Keras wrote it.
 * Keras 2 writes what tfjs-layers reads; Keras 3 differs in these keys, translated here before
 * tfjs-layers deserialises the topology:
 * - `batch_shape` of an InputLayer (and of a first layer) is Keras 2's `batch_input_shape`;
 * - every serialised object (layer, initializer, regularizer, dtype policy) is wrapped with
 *   `module` and `registered_name`, which are dropped;
 * - `dtype` is a policy object (`{"class_name": "DTypePolicy", "config": {"name": "float32"}}`):
 *   its name; a mixed or 16-bit policy is refused (TensorFlow.js trains in float32);
 * - each layer's `build_config` (its input shape, which tfjs infers) is dropped;
 * - `inbound_nodes` are `{"args": [...], "kwargs": {...}}` with `__keras_tensor__` entries holding
 *   `keras_history: [layer, node, tensor]`: Keras 2's `[[layer, node, tensor, {}]]`;
 * - the `L1`/`L2` regularizers are tfjs's `L1L2`.
 * What still cannot be read is refused naming the key and why ({@link KerasTopologyError}).
 *
 * The converter also copies Keras's `training_config` (optimizer with its settings, loss,
 * metrics) into `modelTopology`; TensorFlow.js saves its own as the top-level `trainingConfig`.
 * {@link readTrainingConfig} reads either, and {@link compileFromTrainingConfig} compiles the
 * model with it, as the model's own compile().
 */
import type * as tfType from '@tensorflow/tfjs';
import { layerKind } from '../contract/layerKinds';

/** A topology or training_config that cannot be read, in one line naming the key and why. */
export class KerasTopologyError extends Error {}

type Json = unknown;
type Obj = Record<string, Json>;
const isObj = (v: Json): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The float dtypes TensorFlow.js trains in: a policy naming another is refused. */
const FLOAT32_POLICIES = new Set(['float32']);

/** A dtype policy object's dtype name, else the value as it is. */
function dtypeOf(value: Json, layer: string): Json {
  if (!isObj(value)) return value;
  const name = isObj(value.config) ? value.config.name : undefined;
  if (typeof name !== 'string') throw new KerasTopologyError(`layer "${layer}": key "dtype" is an object without config.name`);
  if (!FLOAT32_POLICIES.has(name) && !['int32', 'bool', 'string'].includes(name)) {
    throw new KerasTopologyError(
      `layer "${layer}": key "dtype" is the policy "${name}", but TensorFlow.js trains in float32 only; save the Keras model with the float32 policy`,
    );
  }
  return name;
}

/** A Keras 3 node argument's tensors as Keras 2 `[layer, node, tensor, {}]` entries, depth first. */
function kerasTensors(value: Json, out: Json[][]): Json[][] {
  if (Array.isArray(value)) for (const v of value) kerasTensors(v, out);
  else if (isObj(value)) {
    if (value.class_name === '__keras_tensor__' && isObj(value.config) && Array.isArray(value.config.keras_history)) {
      const [layer, node, tensor] = value.config.keras_history as Json[];
      out.push([layer, node, tensor, {}]);
    } else for (const v of Object.values(value)) kerasTensors(v, out);
  }
  return out;
}

/** Keras 3 `inbound_nodes` (`{args, kwargs}` objects) as Keras 2 lists; Keras 2 ones unchanged. */
function inboundNodes(nodes: Json, layer: string): Json {
  if (!Array.isArray(nodes)) return nodes;
  return nodes.map((node: Json): Json => {
    if (!isObj(node)) return node;
    const tensors = kerasTensors(node.args, []);
    if (tensors.length === 0) {
      throw new KerasTopologyError(`layer "${layer}": key "inbound_nodes" has a node with no input tensor in its "args"`);
    }
    return tensors;
  });
}

/** Keras 3 `input_layers`/`output_layers`: one `[name, node, tensor]` becomes a list of one; a dict is refused. */
function endpointList(value: Json, key: string): Json {
  if (Array.isArray(value) && typeof value[0] === 'string') return [value];
  if (isObj(value)) {
    throw new KerasTopologyError(
      `key "${key}" is a dict of named tensors, which TensorFlow.js cannot read; build the Keras model with a list of inputs and outputs`,
    );
  }
  return value;
}

/** A serialised regularizer tfjs knows: Keras 3's `L1` and `L2` as `L1L2`. */
function regularizer(value: Obj): Obj {
  const config = isObj(value.config) ? value.config : {};
  if (value.class_name === 'L2') return { class_name: 'L1L2', config: { l1: 0, l2: config.l2 ?? 0.01 } };
  if (value.class_name === 'L1') return { class_name: 'L1L2', config: { l1: config.l1 ?? 0.01, l2: 0 } };
  return value;
}

/** One layer's config in Keras 2 form. */
function layerConfig(config: Obj): Obj {
  const name = typeof config.name === 'string' ? config.name : '?';
  const out: Obj = {};
  for (const [key, value] of Object.entries(config)) {
    if (key === 'dtype') out.dtype = dtypeOf(value, name);
    else if (key === 'batch_shape') {
      if (config.batch_input_shape === undefined) out.batch_input_shape = value;
    } else if (key === 'layers' || key === 'input_layers' || key === 'output_layers') {
      out[key] = key === 'layers' ? translate(value) : endpointList(value, key);
    } else out[key] = translate(value);
  }
  return out;
}

/**
 * A Keras 3 Sequential built with `build(shape)` has no InputLayer and no input shape on its first
 * layer: the model's `build_input_shape` (else the first layer's `build_config.input_shape`)
 * becomes the first layer's `batch_input_shape`, as tfjs needs one.
 */
function withInputShape(out: Obj, keras: Obj): void {
  const config = isObj(out.config) ? out.config : undefined;
  const layers: Json[] = config && Array.isArray(config.layers) ? (config.layers as Json[]) : [];
  const first = layers[0];
  if (!isObj(first) || !isObj(first.config) || first.config.batch_input_shape) return;
  if (typeof first.class_name === 'string' && layerKind(first.class_name).input) return;
  const kerasFirst = isObj(keras.config) && Array.isArray(keras.config.layers) ? (keras.config.layers[0] as Json) : undefined;
  const built = isObj(kerasFirst) && isObj(kerasFirst.build_config) ? kerasFirst.build_config.input_shape : undefined;
  const shape = config?.build_input_shape ?? built;
  if (Array.isArray(shape)) first.config.batch_input_shape = shape;
}

/** Any serialised value in Keras 2 form. */
function translate(value: Json): Json {
  if (Array.isArray(value)) return value.map(translate);
  if (!isObj(value)) return value;
  if (typeof value.class_name === 'string' && 'config' in value) {
    const out: Obj = {};
    const layerName = isObj(value.config) && typeof value.config.name === 'string' ? value.config.name : '?';
    for (const [key, v] of Object.entries(value)) {
      if (key === 'module' || key === 'registered_name' || key === 'build_config' || key === 'compile_config') continue;
      if (key === 'config' && isObj(v)) out.config = layerConfig(v);
      else if (key === 'inbound_nodes') out.inbound_nodes = inboundNodes(v, layerName);
      else out[key] = translate(v);
    }
    if (layerKind(value.class_name).sequential) withInputShape(out, value);
    return /^L[12]$/.test(value.class_name) ? regularizer(out) : out;
  }
  const out: Obj = {};
  for (const [key, v] of Object.entries(value)) out[key] = key === 'dtype' ? dtypeOf(v, '?') : translate(v);
  return out;
}

/**
 * The model topology of a model.json in the form TensorFlow.js 4.22 reads: Keras 3 keys translated
 * (the list above), Keras 2 and TensorFlow.js topologies unchanged in meaning.
 * @throws KerasTopologyError naming the key that cannot be read and why.
 */
export function translateKerasTopology(topology: Json): Json {
  if (!isObj(topology)) return topology;
  // A topology that is the model config itself (TensorFlow.js's own model.json, a Keras 3 one).
  if (typeof topology.class_name === 'string') return translate(topology);
  // The converter's: `model_config` beside `keras_version`, `backend` and `training_config` (read apart).
  const out: Obj = {};
  for (const [key, value] of Object.entries(topology))
    if (key !== 'training_config') out[key] = key === 'model_config' ? translate(value) : value;
  return out;
}

/** The Keras version that wrote a topology, as it says (`keras_version`), when it does. */
export function kerasVersionOf(topology: Json): string | undefined {
  return isObj(topology) && typeof topology.keras_version === 'string' ? topology.keras_version : undefined;
}

/** A model.json's training configuration: the optimizer, its settings, the loss. */
export interface TrainingConfig {
  optimizer: { className: string; config: Obj };
  /** One loss, a list by output or a map by output name; each a name or a serialised loss. */
  loss: Json;
}

/** The `training_config` of a converted Keras file, or TensorFlow.js's own `trainingConfig`; undefined when there is none. */
export function readTrainingConfig(modelJson: Json): TrainingConfig | undefined {
  if (!isObj(modelJson)) return undefined;
  const topology = modelJson.modelTopology;
  const raw = isObj(topology) && isObj(topology.training_config) ? topology.training_config : modelJson.trainingConfig;
  if (!isObj(raw)) return undefined;
  const optimizer = isObj(raw.optimizer_config) ? raw.optimizer_config : undefined;
  if (!optimizer || typeof optimizer.class_name !== 'string') {
    throw new KerasTopologyError('training_config: key "optimizer_config" names no optimizer class ("class_name")');
  }
  // Keras 2.11 to 2.15 name their optimizers `Custom>Adam`; a module path may precede the name.
  const className = optimizer.class_name.replace(/^Custom>/, '').replace(/^.*\./, '');
  return { optimizer: { className, config: isObj(optimizer.config) ? optimizer.config : {} }, loss: raw.loss };
}

/** `learning_rate` → `learningRate`, `beta_1` → `beta1`: Keras's keys as TensorFlow.js spells them. */
const camel = (key: string): string => key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** Optimizer settings TensorFlow.js has no counterpart for, when set to anything but their off value. */
const UNSUPPORTED_SETTINGS = [
  'weightDecay',
  'clipnorm',
  'globalClipnorm',
  'clipvalue',
  'useEma',
  'lossScaleFactor',
  'gradientAccumulationSteps',
];

/** The TensorFlow.js optimizer for a training_config optimizer, with its settings. */
function optimizerOf(tf: typeof tfType, optimizer: TrainingConfig['optimizer']): tfType.Optimizer {
  const c: Record<string, Json> = {};
  for (const [k, v] of Object.entries(optimizer.config)) c[camel(k)] = v;
  const what = `training_config: optimizer ${optimizer.className}`;
  const rate = c.learningRate ?? c.lr ?? 0.001;
  if (typeof rate !== 'number') {
    throw new KerasTopologyError(
      `${what}: key "learning_rate" is a schedule, but TensorFlow.js optimizers take one rate; record with --lr <rate>`,
    );
  }
  for (const key of UNSUPPORTED_SETTINGS) {
    if (c[key] !== undefined && c[key] !== null && c[key] !== false && !(key === 'gradientAccumulationSteps' && c[key] === 1)) {
      throw new KerasTopologyError(
        `${what}: TensorFlow.js has no "${key}" setting; record with --optimizer <name> to train with the settings instead`,
      );
    }
  }
  const num = (key: string, fallback: number): number => (typeof c[key] === 'number' ? c[key] : fallback);
  const kind = optimizer.className.toLowerCase();
  // Keras 2's `decay` is a learning-rate decay (tfjs's RMSProp calls rho `decay`).
  if (kind !== 'rmsprop' || optimizer.className === 'RMSprop') {
    if (num('decay', 0) !== 0)
      throw new KerasTopologyError(`${what}: key "decay" (a learning-rate decay) has no TensorFlow.js counterpart`);
  }
  if (kind === 'sgd' || kind === 'momentum') {
    const momentum = num('momentum', 0);
    return momentum > 0 ? tf.train.momentum(rate, momentum, c.nesterov === true || c.useNesterov === true) : tf.train.sgd(rate);
  }
  if (kind === 'adam') {
    if (c.amsgrad === true) throw new KerasTopologyError(`${what}: key "amsgrad" is true, but TensorFlow.js has no AMSGrad`);
    return tf.train.adam(rate, num('beta1', 0.9), num('beta2', 0.999), num('epsilon', 1e-7));
  }
  if (kind === 'rmsprop') {
    const rho = optimizer.className === 'RMSProp' ? num('decay', 0.9) : num('rho', 0.9);
    return tf.train.rmsprop(rate, rho, num('momentum', 0), num('epsilon', 1e-7), c.centered === true);
  }
  if (kind === 'adagrad') return tf.train.adagrad(rate, num('initialAccumulatorValue', 0.1));
  if (kind === 'adadelta') return tf.train.adadelta(rate, num('rho', 0.95), num('epsilon', 1e-7));
  if (kind === 'adamax') return tf.train.adamax(rate, num('beta1', 0.9), num('beta2', 0.999), num('epsilon', 1e-7), 0);
  throw new KerasTopologyError(
    `${what} has no TensorFlow.js counterpart (SGD, Adam, RMSprop, Adagrad, Adadelta, Adamax have); record with --optimizer <name> to train with the settings instead`,
  );
}

/** Keras loss names TensorFlow.js spells otherwise; a sparse loss becomes the categorical one, as labels become one-hot targets. */
const LOSS_ALIASES: Record<string, string> = {
  mse: 'meanSquaredError',
  mae: 'meanAbsoluteError',
  mape: 'meanAbsolutePercentageError',
  msle: 'meanSquaredLogarithmicError',
  sparseCategoricalCrossentropy: 'categoricalCrossentropy',
};

/** One loss of a training_config as TensorFlow.js takes it: a name, or softmax cross-entropy for a categorical loss from logits. */
function lossOf(tf: typeof tfType, loss: Json): string | typeof tfType.losses.softmaxCrossEntropy {
  if (typeof loss === 'string') {
    const name = camel(loss);
    return LOSS_ALIASES[name] ?? name;
  }
  if (isObj(loss) && typeof loss.class_name === 'string') {
    const config = isObj(loss.config) ? loss.config : {};
    const name = loss.class_name.charAt(0).toLowerCase() + loss.class_name.slice(1);
    if (config.from_logits === true) {
      if (/^(sparseC|c)ategoricalCrossentropy$/.test(name)) return tf.losses.softmaxCrossEntropy;
      throw new KerasTopologyError(`training_config: loss ${loss.class_name} with from_logits has no TensorFlow.js counterpart`);
    }
    return LOSS_ALIASES[name] ?? name;
  }
  throw new KerasTopologyError('training_config: key "loss" is neither a loss name nor a serialised loss');
}

/**
 * Compiles `model` with a training_config's optimizer and loss, as the model's own compile()
 * (metrics: accuracy). Returns the optimizer's name.
 * @throws KerasTopologyError for an optimizer, setting or loss TensorFlow.js has no counterpart for.
 */
export function compileFromTrainingConfig(tf: typeof tfType, model: tfType.LayersModel, config: TrainingConfig): void {
  const optimizer = optimizerOf(tf, config.optimizer);
  const loss = config.loss;
  const losses = Array.isArray(loss)
    ? loss.map((l) => lossOf(tf, l))
    : isObj(loss) && typeof loss.class_name !== 'string'
      ? Object.fromEntries(Object.entries(loss).map(([k, l]) => [k, lossOf(tf, l)]))
      : lossOf(tf, loss);
  try {
    model.compile({ optimizer, loss: losses as string, metrics: ['accuracy'] });
  } catch (e) {
    optimizer.dispose();
    throw new KerasTopologyError(`training_config: cannot compile the model with it: ${(e as Error).message}`);
  }
}
