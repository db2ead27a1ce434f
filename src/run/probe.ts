/**
 * The probe set of a run (the inputs X of the hypercube and their true labels), read and checked
 * against the manifest once: the inputs must be `probe.size` arrays of `dataset.inputShape` (and
 * fit the model's input), the labels `probe.size` integers naming classes of the run. A probe file
 * that passes here cannot make the slicing code index past its arrays.
 */
import { NpyArray, npyToFloat64, parseNpy } from '../analysis';
import { RunFormatError, RunManifest } from '../contract/runFormat';
import { probeFileLimits } from './limits';
import { runFilePath } from './paths';
import { FileReadError, readBoundedFile } from './read';

export interface Probe {
  /** Row-major `[size, ...inputShape]`. */
  inputs: Float32Array;
  labels: Int32Array;
  /** `[size, ...inputShape]`. */
  shape: number[];
}

const RECORD_AGAIN = 'record the run again';

function readNpyFile(folder: string, file: string, field: string, maxBytes: number): NpyArray {
  const path = runFilePath(folder, file, field);
  let bytes: Buffer;
  try {
    bytes = readBoundedFile(path, { maxBytes, within: folder });
  } catch (e) {
    if (FileReadError.is(e) && e.problem === 'missing')
      throw new RunFormatError(`${path} is missing; the run cannot be sliced — ${RECORD_AGAIN}`);
    throw new RunFormatError(`${(e as Error).message}; ${RECORD_AGAIN}`);
  }
  try {
    return parseNpy(bytes);
  } catch (e) {
    throw new RunFormatError(`${path} is damaged (${(e as Error).message}); ${RECORD_AGAIN}`);
  }
}

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * Reads and checks the probe files of a run.
 * @throws RunFormatError for a missing, unsafe, damaged or inconsistent probe file.
 */
export function readProbe(run: { folder: string; manifest: RunManifest }): Probe {
  const { folder, manifest: m } = run;
  const limits = probeFileLimits(m);
  const inputs = readNpyFile(folder, m.probe.inputsFile, 'probe.inputsFile', limits.inputsBytes);
  const labels = readNpyFile(folder, m.probe.labelsFile, 'probe.labelsFile', limits.labelsBytes);
  const size = m.probe.size;
  const expected = [size, ...m.dataset.inputShape];
  if (!sameDims(inputs.shape, expected)) {
    throw new RunFormatError(
      `${m.probe.inputsFile} has shape (${inputs.shape.join(', ')}) but manifest.json says (${expected.join(', ')}); ${RECORD_AGAIN}`,
    );
  }
  // The model's input (layer 0) takes the same values per input, whatever its exact axes.
  const modelInput = m.layers[0].outputShape;
  const perInput = m.dataset.inputShape.reduce((a, b) => a * b, 1);
  if (!modelInput.includes(-1) && modelInput.reduce((a, b) => a * b, 1) !== perInput) {
    throw new RunFormatError(
      `the probe inputs are [${m.dataset.inputShape.join(', ')}] but the model's input is [${modelInput.join(', ')}]; ${RECORD_AGAIN}`,
    );
  }
  if (!(sameDims(labels.shape, [size]) || sameDims(labels.shape, [size, 1]))) {
    throw new RunFormatError(
      `${m.probe.labelsFile} has shape (${labels.shape.join(', ')}) but the probe has ${size} inputs; ${RECORD_AGAIN}`,
    );
  }
  const classes = m.dataset.classNames.length;
  const values = npyToFloat64(labels);
  const labelArray = new Int32Array(size);
  for (let i = 0; i < size; i++) {
    const v = values[i];
    if (!Number.isInteger(v) || v < 0 || v >= classes) {
      throw new RunFormatError(`${m.probe.labelsFile}: label ${i} is ${v}, not a class of the run (0..${classes - 1}); ${RECORD_AGAIN}`);
    }
    labelArray[i] = v;
  }
  const data = inputs.data instanceof Float32Array ? inputs.data : Float32Array.from(npyToFloat64(inputs));
  return { inputs: data, labels: labelArray, shape: inputs.shape };
}
