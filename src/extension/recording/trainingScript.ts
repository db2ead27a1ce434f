// What records a PyTorch model again (docs/vscode.md "Record Again"): the script or notebook that
// trained its run (the manifest's `trainingScript`, python/cnn_slicer/recorder.py), not the file
// that defines the model, which trains nothing (kuangliu/pytorch-cifar's `models/resnet.py`).
// Pure: the manifests come in, the file to run goes out; commands/runs.ts and pythonAnalyze.ts act on it.
import { resolve } from 'node:path';
import type { RunManifest } from '../../contract/runFormat';

/** Where Record Again goes: run a script, open a notebook (its cells record), or Analyze CNN on the model file. */
export interface RecordAgainTarget {
  kind: 'script' | 'notebook' | 'model';
  file: string;
  /** The Python that trained the run, where the manifest names one that still exists (a script's only). */
  python?: string;
}

/**
 * The run's training script or notebook where the manifest names one that still exists, else its
 * model file (a TF.js run, which the extension trains from the model file itself; a PyTorch run
 * recorded before the script was written, or from `python -c`).
 */
export function recordAgainTarget(
  manifest: Pick<RunManifest, 'model' | 'trainingScript'>,
  exists: (path: string) => boolean,
): RecordAgainTarget {
  const script = manifest.trainingScript;
  if (script && exists(script.file))
    return { kind: script.kind, file: script.file, ...(script.python && exists(script.python) ? { python: script.python } : {}) };
  return { kind: 'model', file: manifest.model.file };
}

/**
 * The training scripts and notebooks that recorded `modelFile` (the model file or one of its source
 * files) in `manifests` (newest first), each once, newest first, those that no longer exist left out.
 */
export function knownTrainingScripts(
  manifests: readonly Pick<RunManifest, 'model' | 'trainingScript'>[],
  modelFile: string,
  exists: (path: string) => boolean,
): RecordAgainTarget[] {
  const target = resolve(modelFile);
  const out: RecordAgainTarget[] = [];
  for (const m of manifests) {
    if (resolve(m.model.file) !== target && !m.model.sourceFiles.some((f) => resolve(f) === target)) continue;
    const found = recordAgainTarget(m, exists);
    if (found.kind !== 'model' && resolve(found.file) !== target && !out.some((o) => resolve(o.file) === resolve(found.file)))
      out.push(found);
  }
  return out;
}
