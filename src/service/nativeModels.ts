/**
 * A PyTorch run's checkpoints on the native engine (ONNX Runtime, src/native/), which runs every
 * forward pass the service makes of them, the ablations through the checkpoint cut, the Taylor
 * estimate and the deconvolution; TensorFlow.js keeps what the native models refuse (an op without
 * a rule of theirs) and the topology it reads off the imported model. A TensorFlow.js run, or a
 * machine where the native runtime cannot load, has none: its reason is said once, on the service's stderr.
 */
import { PYTORCH_RUN_FORMAT_VERSION, type RunManifest } from '../contract/runFormat';
import { NativeCheckpoint } from '../native/nativeForward';
import { nativeRuntime, providerFromEnvironment } from '../native/ortRuntime';
import type { ExecutionProvider } from '../contract/recordSettings';
import { readAnyCheckpoint } from '../run/checkpoint';
import { CheckpointModels } from './models';

let saidUnavailable = false;

/** The native checkpoints of the run in `folder`, or undefined where the native engine does not serve it. */
export function nativeCheckpoints(
  folder: string,
  manifest: RunManifest,
  provider: ExecutionProvider = providerFromEnvironment(),
): CheckpointModels<NativeCheckpoint> | undefined {
  if (manifest.formatVersion !== PYTORCH_RUN_FORMAT_VERSION) return undefined;
  const runtime = nativeRuntime();
  if ('reason' in runtime) {
    if (!saidUnavailable)
      process.stderr.write(`cnn-slicer: the native engine is not in use (${runtime.reason}): forward passes run on WebAssembly\n`);
    saidUnavailable = true;
    return undefined;
  }
  return new CheckpointModels<NativeCheckpoint>(folder, async (dir) => {
    const files = await readAnyCheckpoint(dir, manifest.layers);
    if (files.format !== 'onnx') throw new Error(`${dir} holds a TensorFlow.js checkpoint where a PyTorch run has its ONNX file`);
    return NativeCheckpoint.open(files.bytes, manifest.layers, provider);
  });
}
