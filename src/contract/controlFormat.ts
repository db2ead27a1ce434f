/**
 * The manifest's `control` field (docs/run-format.md): a run that is a control experiment for
 * shortcuts, trained with the source run's model and settings on a transformed dataset
 * (docs/control.md). Pure; runSchema.ts holds the field's schema, which checks its parameter against its kind.
 */

/** What a control experiment's transform is (src/data/control.ts). */
export const CONTROL_KINDS = ['border', 'mask-centre', 'shuffle-pixels', 'shuffle-labels'] as const;
export type ControlKind = (typeof CONTROL_KINDS)[number];

/**
 * The seed streams of the controls (src/analysis/random.ts `streamSeed`), apart from the split's
 * (src/data/split.ts) and each other: `shuffle-pixels` draws its permutation from `pixels`,
 * `shuffle-labels` from `labels` (src/data/control.ts; the PyTorch recorder's control.py reads them
 * from python/cnn_slicer/contract.json).
 */
export const CONTROL_STREAMS = { pixels: 0x5eed_01, labels: 0x5eed_02 } as const;

/**
 * What a pixel control kept of the probe's content, measured on the probe inputs before the transform
 * (src/analysis/borderContent.ts): `inputShare`, the share of the probe inputs with a kept pixel that
 * differs from the background; `contentShare`, the share of their content on kept pixels (null when
 * the probe holds none).
 */
export interface RunControlKept {
  inputShare: number;
  contentShare: number | null;
}

export interface RunControl {
  /** The spec as recorded (`border:4`, `mask-centre:0.5`, `shuffle-pixels`, `shuffle-labels`). */
  spec: string;
  kind: ControlKind;
  /** N of `border:N`, F of `mask-centre:F`; absent for the shuffles. */
  parameter?: number;
  /** The run it controls: its id, and its folder relative to this run folder, `/`-separated. */
  sourceRun: { id: string; folder: string };
  /** The majority-class rate of the probe labels: the accuracy of always answering the most common class. */
  chanceAccuracy: number;
  /** What the control kept of the probe's content (absent for `shuffle-labels` and in older runs). */
  kept?: RunControlKept;
}

/**
 * The lines of a PyTorch training script that record control `spec` of the PyTorch run in
 * `sourceFolder` (model `name`): a PyTorch model is trained by the user's script, so its control is
 * recorded there (docs/pytorch.md "The control experiment"), not retrained by the TypeScript recorder.
 */
export function pytorchControlLines(spec: string, sourceFolder: string, name: string): string[] {
  return [
    `rec = Recorder(model, probe=(x, y), name=${JSON.stringify(name)}, control=${JSON.stringify(spec)}, source_run=${JSON.stringify(sourceFolder)})`,
    'train_set = rec.control.dataset(train_set)',
  ];
}
