/**
 * Loads a user's model definition file into the engine's own TensorFlow.js and records where in
 * the user's source every layer was created (recording issue: "every layer knows its source
 * location"). Runs in the recorder / analysis child processes, never in the extension host.
 *
 * TypeScript and JavaScript modules are bundled on the fly with esbuild; `@tensorflow/tfjs`,
 * `-node`, `-node-gpu`, `-layers` and `-core` all resolve to a shim that hands out the engine's tfjs,
 * with the layer factories wrapped to capture a stack trace (and to give the factories Keras lets
 * users call without a config an empty one). The trace is mapped through esbuild's source map to
 * the user's file, line and column (1-based, as editors show them), so locations are right for
 * models written across several functions and files. A module may export a factory or a model it
 * built (docs/models.md). A layers-format model.json gets the line and column of each layer's entry.
 */
import { readFileSync, existsSync } from 'node:fs';
import Module, { SourceMap, SourceMapPayload } from 'node:module';
import { dirname, extname, isAbsolute, resolve } from 'node:path';
import * as esbuild from 'esbuild';
import type * as tfType from '@tensorflow/tfjs';
import { CodedError, hasErrorCode } from '../analysis';
import { channelsOf } from '../analysis/layout';
import type { RunLayer } from '../contract/runFormat';
import {
  compileFromTrainingConfig,
  kerasVersionOf,
  readTrainingConfig,
  translateKerasTopology,
  type TrainingConfig,
} from './kerasTopology';
import { channelsFirstLayers, layerArgs } from './layerConfig';
import { expressionStart, layerEntryOffsets } from './sourceText';
import { explainShapeError, windowAtLine } from './shapeErrorHint';
import { pythonModelFileProblem } from '../contract/protocols/recorder';

type Tf = typeof tfType;
type LayersModel = tfType.LayersModel;

/** Where a layer was defined: 1-based line and column, as editors display them. */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

/** One row of the layer table of a run manifest (the schema's type, src/contract/runFormat.ts). */
export type LayerInfo = RunLayer;

/** Training settings a model file may export (`export const training = {...}`). */
export interface ModelTrainingSettings {
  epochs?: number;
  batchSize?: number;
  optimizer?: string;
  learningRate?: number;
  loss?: string;
  seed?: number;
  recordEvery?: number;
}

export interface LoadedModel {
  model: LayersModel;
  layers: LayerInfo[];
  /** `export const dataset = 'mnist'` (a spec) or a loader function, when the file exports one. */
  dataset?: string | (() => unknown);
  training?: ModelTrainingSettings;
  /** `export const classificationOutput = '<layer name>'`: which output of a multi-output model the label measures read. */
  classificationOutput?: string;
  /** The files the bundle was built from (model file first), for fingerprints and watching. */
  sourceFiles: string[];
  /**
   * Where the model's own compile() came from when it was not the module's: the model.json's
   * `training_config`; `problem` says why it could not be used (refused unless the settings name an optimizer).
   */
  modelCompile?: { source: 'training_config'; problem?: string };
}

/** A problem with the user's model file, located where possible. */
export class ModelError extends CodedError {
  constructor(
    message: string,
    readonly location?: SourceLocation,
  ) {
    super('model', location ? `${location.file}:${location.line}:${location.column}: ${message}` : message, 'ModelError');
  }
  static is(e: unknown): e is ModelError {
    return hasErrorCode(e, 'model');
  }
}

const TFJS_IMPORTS = /^@tensorflow\/tfjs(-node|-node-gpu|-layers|-core)?$/;
const SHIM_GLOBAL = '__cnnSlicerTfShim';

/** How long an (async) model factory may take before the load fails, by default. */
export const DEFAULT_MODEL_FACTORY_TIMEOUT_MS = 60_000;

/** After this long without a model from the factory, the user is told it is still being waited for (10 s). */
export const SLOW_MODEL_FACTORY_NOTICE_MS = 10_000;

export interface LoadModelOptions {
  /**
   * How long the model factory may take to return (or its promise to settle), in milliseconds.
   * A promise that never settles would otherwise leave nothing for Node to wait on, and the
   * process would exit 0 without a word.
   */
  factoryTimeoutMs?: number;
  /**
   * Called once when the factory has not returned after {@link SLOW_MODEL_FACTORY_NOTICE_MS} (or
   * `slowNoticeMs`) while the limit is further away, with a line saying so and naming the limit.
   */
  onSlowFactory?: (message: string) => void;
  slowNoticeMs?: number;
}

/** Loads a `.ts`/`.js`/`.mjs`/`.cjs` model module or a layers-format `model.json`. */
export async function loadModelFile(file: string, tf: Tf, options: LoadModelOptions = {}): Promise<LoadedModel> {
  const path = resolve(file);
  if (!existsSync(path)) throw new ModelError(`model file not found: ${path}`);
  if (extname(path).toLowerCase() === '.json') return loadModelJson(path, tf);
  const python = pythonModelFileProblem(path);
  if (python) throw new ModelError(python);
  return loadModule(path, tf, {
    timeoutMs: options.factoryTimeoutMs ?? DEFAULT_MODEL_FACTORY_TIMEOUT_MS,
    noticeMs: options.slowNoticeMs ?? SLOW_MODEL_FACTORY_NOTICE_MS,
    onSlow: options.onSlowFactory,
  });
}

/** Whether `v` looks like a built tf.LayersModel (of any copy of tfjs). */
function isLayersModel(v: unknown): v is LayersModel {
  return !!v && typeof v === 'object' && 'layers' in v && typeof (v as LayersModel).predict === 'function';
}

/**
 * What a model module hands over, in the ways users write it: a factory (`export function
 * createModel`, a default export, `module.exports = function`), or a model it built when it loaded
 * (`module.exports = model`, `export default model`, `export const model`).
 */
function modelExport(exports: Record<string, unknown> & Partial<() => unknown>): { factory?: () => unknown; model?: LayersModel } {
  if (typeof exports === 'function') return { factory: exports };
  if (isLayersModel(exports)) return { model: exports };
  for (const key of ['createModel', 'default', 'model']) {
    const value = exports[key];
    if (typeof value === 'function') return { factory: value as () => unknown };
    if (isLayersModel(value)) return { model: value };
  }
  return {};
}

/** Whether a function is a class, which must be constructed with `new`. */
function isClass(f: unknown): boolean {
  return typeof f === 'function' && /^class[\s{]/.test(Function.prototype.toString.call(f));
}

/** How long a factory may take, and whom to tell when it is slow. */
interface FactoryWait {
  timeoutMs: number;
  noticeMs: number;
  onSlow?: (message: string) => void;
}

const seconds = (ms: number) => `${ms / 1000} s`;

async function withinTimeout(value: unknown, wait: FactoryWait, path: string): Promise<unknown> {
  if (!value || typeof (value as PromiseLike<unknown>).then !== 'function') return value;
  const { timeoutMs, noticeMs, onSlow } = wait;
  let timer: NodeJS.Timeout | undefined;
  let notice: NodeJS.Timeout | undefined;
  if (onSlow && noticeMs < timeoutMs) {
    notice = setTimeout(() => {
      onSlow(
        `the model factory of ${path} has not returned its model after ${seconds(noticeMs)}; waiting up to ${seconds(timeoutMs)} ` +
          '(record --model-timeout S sets the limit)',
      );
    }, noticeMs);
  }
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(
        new ModelError(
          `the model factory of ${path} did not return a model within ${seconds(timeoutMs)}: its promise never settled; ` +
            'check that every await in createModel finishes (a load that never completes, a missing resolve) and that it returns the model',
        ),
      );
    }, timeoutMs);
  });
  try {
    return await Promise.race([Promise.resolve(value), timeout]);
  } finally {
    clearTimeout(timer);
    clearTimeout(notice);
  }
}

async function loadModule(path: string, tf: Tf, wait: FactoryWait): Promise<LoadedModel> {
  const bundleName = `${path}.cnnslicer-bundle.js`;
  let result: esbuild.BuildResult & { outputFiles: esbuild.OutputFile[]; metafile: esbuild.Metafile };
  try {
    result = await esbuild.build({
      entryPoints: [path],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      write: false,
      outfile: bundleName,
      sourcemap: 'external',
      sourcesContent: true,
      metafile: true,
      logLevel: 'silent',
      plugins: [
        {
          name: 'cnn-slicer-tfjs',
          setup(build) {
            build.onResolve({ filter: TFJS_IMPORTS }, () => ({ path: 'tfjs', namespace: 'cnn-slicer' }));
            build.onLoad({ filter: /.*/, namespace: 'cnn-slicer' }, () => ({
              contents: `module.exports = globalThis.${SHIM_GLOBAL};`,
              loader: 'js',
            }));
          },
        },
      ],
    });
  } catch (e) {
    const first = (e as esbuild.BuildFailure).errors?.[0];
    if (first?.location) {
      throw new ModelError(first.text, {
        file: resolve(first.location.file),
        line: first.location.line,
        column: first.location.column + 1,
      });
    }
    throw new ModelError(`cannot bundle ${path}: ${(e as Error).message}`);
  }
  const js = result.outputFiles.find((f) => f.path.endsWith('.js'))!.text;
  const mapFile = result.outputFiles.find((f) => f.path.endsWith('.map'))!;
  const map = new SourceMap(JSON.parse(mapFile.text) as SourceMapPayload);
  const mapDir = dirname(mapFile.path);
  const payload = JSON.parse(mapFile.text) as { sources: string[]; sourcesContent?: (string | null)[] };
  const sourceText = new Map<string, string>();
  payload.sources.forEach((s, i) => sourceText.set(resolve(mapDir, s), payload.sourcesContent?.[i] ?? ''));
  const locate = (line: number, column: number): SourceLocation | undefined => {
    const entry = map.findEntry(line - 1, column - 1) as { originalSource?: string; originalLine?: number; originalColumn?: number };
    if (entry.originalSource === undefined || entry.originalLine === undefined) return undefined;
    const file = isAbsolute(entry.originalSource) ? entry.originalSource : resolve(mapDir, entry.originalSource);
    if (file.includes(`${'/'}node_modules${'/'}`)) return undefined;
    const text = sourceText.get(file);
    const start = text
      ? expressionStart(text, entry.originalLine, entry.originalColumn!)
      : { line: entry.originalLine, column: entry.originalColumn! };
    return { file, line: start.line + 1, column: start.column + 1 };
  };

  const locations = new WeakMap<object, SourceLocation>();
  const shim = instrumentTf(tf, bundleName, locate, locations);
  const exports = evaluate(js, bundleName, path, shim, locate);
  const found = modelExport(exports);
  if (!found.factory && !found.model) {
    const names = Object.keys(exports).filter((k) => k !== '__esModule');
    throw new ModelError(
      `${path} exports no model factory: export a function "createModel" (or a default export) that returns a tf.LayersModel, ` +
        `or the model itself (module.exports = model, export default model, export const model)` +
        (names.length ? `; it exports ${names.join(', ')}` : ''),
    );
  }
  let model: unknown = found.model;
  if (found.factory) {
    const factory = found.factory;
    let returned: unknown;
    try {
      // A model class (`export default class M extends tf.Sequential`) is constructed, not called.
      returned = isClass(factory) ? new (factory as unknown as new () => unknown)() : factory();
    } catch (e) {
      throw userError('the model factory threw', e, bundleName, locate);
    }
    try {
      model = await withinTimeout(returned, wait, path);
    } catch (e) {
      if (ModelError.is(e)) throw e;
      throw userError('the model factory threw', e, bundleName, locate);
    }
  }
  if (!isLayersModel(model)) {
    throw new ModelError(`the model factory of ${path} did not return a tf.LayersModel (got ${describe(model)})`);
  }
  const layersModel = model;
  if (layersModel.layers.length === 0) {
    throw new ModelError(`the model returned by ${path} has no layers: add layers (tf.layers.*) before returning it`);
  }
  const sourceFiles = Object.keys(result.metafile.inputs)
    .filter((p) => !p.startsWith('cnn-slicer:') && !p.includes('node_modules'))
    .map((p) => resolve(p));
  return {
    model: layersModel,
    layers: layerTable(layersModel, (layer) => locations.get(layer)),
    dataset:
      typeof exports.dataset === 'string' || typeof exports.dataset === 'function'
        ? (exports.dataset as string | (() => unknown))
        : undefined,
    training: typeof exports.training === 'object' && exports.training ? exports.training : undefined,
    classificationOutput: typeof exports.classificationOutput === 'string' ? exports.classificationOutput : undefined,
    sourceFiles: [path, ...sourceFiles.filter((p) => p !== path)],
  };
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? `an object with keys ${Object.keys(v).slice(0, 5).join(', ') || '(none)'}` : typeof v;
}

/** Runs the bundle as a CommonJS module named after it, with `require` resolving beside the model file. */
function evaluate(
  js: string,
  bundleName: string,
  modelPath: string,
  shim: unknown,
  locate: (l: number, c: number) => SourceLocation | undefined,
): Record<string, unknown> & Partial<() => unknown> {
  const g = globalThis as Record<string, unknown>;
  g[SHIM_GLOBAL] = shim;
  const m = new Module(bundleName) as Module & { _compile(code: string, filename: string): void; paths: string[] };
  m.filename = bundleName;
  m.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(dirname(modelPath));
  try {
    m._compile(js, bundleName);
  } catch (e) {
    throw userError(`${modelPath} failed while loading`, e, bundleName, locate);
  }
  return m.exports as Record<string, unknown> & Partial<() => unknown>;
}

/** Parses V8 stack frames of an error into bundle (line, column) pairs. */
function bundleFrames(e: unknown, bundleName: string): { line: number; column: number }[] {
  const stack = e instanceof Error ? (e.stack ?? '') : '';
  const frames: { line: number; column: number }[] = [];
  const escaped = bundleName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`${escaped}:(\\d+):(\\d+)`, 'g');
  for (const m of stack.matchAll(re)) frames.push({ line: Number(m[1]), column: Number(m[2]) });
  return frames;
}

/** A user's error with its stack mapped to their own files. */
function userError(what: string, e: unknown, bundleName: string, locate: (l: number, c: number) => SourceLocation | undefined): ModelError {
  const frames = bundleFrames(e, bundleName)
    .map((f) => locate(f.line, f.column))
    .filter((x): x is SourceLocation => !!x);
  const raw = e instanceof Error ? e.message : String(e);
  const message = explainShapeError(raw, frames[0] && windowAtLine(frames[0].file, frames[0].line));
  const err = new ModelError(`${what}: ${message}`, frames[0]);
  if (frames.length) err.stack = `${err.message}\n${frames.map((f) => `    at ${f.file}:${f.line}:${f.column}`).join('\n')}`;
  return err;
}

/** Layer factories whose every option has a default, so users call them without a config. */
const OPTIONAL_CONFIG_LAYERS = /^(global(Average|Avg|Max)Pool(ing)?[123]d|(max|average|avg)Pool(ing)?[123]d|upSampling2d)$/;

/**
 * A tf object for the user's code: everything is the engine's tfjs, except that the layer
 * factories (`tf.layers.*`) and `tf.input` note the user-code location of each call.
 */
function instrumentTf(
  tf: Tf,
  bundleName: string,
  locate: (l: number, c: number) => SourceLocation | undefined,
  locations: WeakMap<object, SourceLocation>,
): Tf {
  const here = (): SourceLocation | undefined => {
    const frames = bundleFrames(new Error(), bundleName);
    for (const f of frames) {
      const loc = locate(f.line, f.column);
      if (loc) return loc;
    }
    return undefined;
  };
  const layers: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(tf.layers)) {
    layers[name] =
      typeof fn === 'function' && /^[a-z]/.test(name)
        ? (...args: unknown[]) => {
            // Keras lets these layers be created without a config; tfjs reads a property of the
            // missing config and throws inside its constructor ("reading 'dataFormat'").
            if (args[0] === undefined && OPTIONAL_CONFIG_LAYERS.test(name)) args = [{}, ...args.slice(1)];
            const layer = (fn as (...a: unknown[]) => unknown)(...args);
            const loc = here();
            if (loc && layer && typeof layer === 'object') locations.set(layer, loc);
            return layer;
          }
        : fn;
  }
  const input = (...args: Parameters<Tf['input']>) => {
    const sym = tf.input(...args);
    const loc = here();
    const source = (sym as unknown as { sourceLayer?: object }).sourceLayer;
    if (loc && source) locations.set(source, loc);
    return sym;
  };
  // A model used as a layer of another (a block built by a helper) is located at the call that builds it.
  const located =
    <A extends unknown[], R extends object>(build: (...a: A) => R) =>
    (...args: A): R => {
      const model = build(...args);
      const loc = here();
      if (loc) locations.set(model, loc);
      return model;
    };
  return { ...tf, layers, input, sequential: located(tf.sequential), model: located(tf.model) } as unknown as Tf;
}

/** The manifest's layer table for a model, with the locations found. */
export function layerTable(model: LayersModel, locationOf: (layer: object) => SourceLocation | undefined): LayerInfo[] {
  const formats = channelsFirstLayers(model);
  return model.layers.map((layer, index) => {
    const shape = (
      Array.isArray(layer.outputShape[0]) || layer.outputShape[0] === undefined ? layer.outputShape[0] : layer.outputShape
    ) as (number | null)[];
    const outputShape = (shape ?? []).slice(1).map((d) => d ?? -1);
    const dataFormat = outputShape.length >= 2 && formats.has(layer) ? ('channelsFirst' as const) : undefined;
    return {
      index,
      name: layer.name,
      className: layer.getClassName(),
      outputShape,
      channels: channelsOf(outputShape, dataFormat),
      parameters: layer.countParams(),
      source: locationOf(layer),
      ...(dataFormat ? { dataFormat } : {}),
      ...layerArgs(layer.getConfig()),
    };
  });
}

/** Loads a TensorFlow.js layers-format model.json (topology, and weights when its files exist). */
async function loadModelJson(path: string, tf: Tf): Promise<LoadedModel> {
  const text = readFileSync(path, 'utf8');
  let json: { modelTopology?: unknown; weightsManifest?: { paths: string[]; weights: tfType.io.WeightsManifestEntry[] }[] };
  try {
    json = JSON.parse(text) as typeof json;
  } catch (e) {
    const m = /position (\d+)/.exec((e as Error).message);
    const pos = m ? Number(m[1]) : 0;
    const line = text.slice(0, pos).split('\n').length;
    throw new ModelError(`not valid JSON: ${(e as Error).message}`, { file: path, line, column: pos - text.lastIndexOf('\n', pos - 1) });
  }
  if (!json.modelTopology) throw new ModelError(`${path} is not a TensorFlow.js layers model (no "modelTopology")`);
  let weightSpecs: tfType.io.WeightsManifestEntry[] | undefined;
  let weightData: ArrayBuffer | undefined;
  const manifest = json.weightsManifest;
  if (manifest?.length) {
    const files = manifest.flatMap((g) => g.paths.map((p) => resolve(dirname(path), p)));
    if (files.every((f) => existsSync(f))) {
      weightSpecs = manifest.flatMap((g) => g.weights);
      const buffers = files.map((f) => readFileSync(f));
      const total = buffers.reduce((s, b) => s + b.length, 0);
      const all = new Uint8Array(total);
      let o = 0;
      for (const b of buffers) {
        all.set(b, o);
        o += b.length;
      }
      weightData = all.buffer;
    }
  }
  let model: LayersModel;
  let modelTopology: unknown;
  let trainingConfig: TrainingConfig | undefined;
  try {
    modelTopology = translateKerasTopology(json.modelTopology);
    trainingConfig = readTrainingConfig(json);
  } catch (e) {
    throw new ModelError(`${path}: cannot read the model: ${(e as Error).message}`);
  }
  try {
    model = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: modelTopology as object, weightSpecs, weightData }));
  } catch (e) {
    const version = kerasVersionOf(json.modelTopology);
    throw new ModelError(`${path}: cannot build the model${version ? ` (written by Keras ${version})` : ''}: ${(e as Error).message}`);
  }
  let modelCompile: LoadedModel['modelCompile'];
  if (trainingConfig) {
    modelCompile = { source: 'training_config' };
    try {
      compileFromTrainingConfig(tf, model, trainingConfig);
    } catch (e) {
      modelCompile.problem = `${path}: ${(e as Error).message}`;
    }
  }
  const entries = layerEntryOffsets(text);
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') lineStarts.push(i + 1);
  const lineOf = (name: string): SourceLocation | undefined => {
    const offset = entries.get(name);
    if (offset === undefined) return undefined;
    let line = 0;
    while (line + 1 < lineStarts.length && lineStarts[line + 1] <= offset) line++;
    return { file: path, line: line + 1, column: offset - lineStarts[line] + 1 };
  };
  return {
    model,
    layers: layerTable(model, (layer) => lineOf((layer as { name: string }).name)),
    sourceFiles: [path],
    ...(modelCompile ? { modelCompile } : {}),
  };
}
