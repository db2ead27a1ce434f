// What the static scanners find in a model file, shared by the module scan (moduleScan.ts), the
// model.json scan (modelJson.ts), the Python scan (pythonScan.ts) and the matching of a recorded run
// to the text (layerMatching.ts).
//
// Positions are 0-based (line, column in UTF-16 code units), as `vscode.Position` counts; the
// recorder's manifest is 1-based, `recordedInFile` (layerMatching.ts) converts.
/** A layer definition found in the source, in source order. */
export interface DetectedLayer {
  /** The tf.layers factory called (`conv2d`, `maxPooling2d`, `input` for `tf.input`), for modules. */
  factory?: string;
  /**
   * The Keras class name (`Conv2D`), for model.json entries; for a Python model the `className` a
   * PyTorch run records (`Conv2d`, or a functional op's name: `relu`, `add`).
   */
  className?: string;
  /** The layer's `name` when the source gives it as a literal. */
  name?: string;
  /**
   * The last dimension of the layer's output when the source gives it as a literal `units`
   * (dense, recurrent layers) or `filters` (convolutions): tells apart two layers of one kind.
   */
  units?: number;
  /**
   * The literal options the source gives that a run records too (`kernelSize`, `strides`,
   * `padding`, `activation`, `filters`, `units`, `poolSize`, `rate`: moduleScan.ts MATCHED_ARGS).
   * A Python tuple (`kernel_size=(3, 5)`) is a number array, as the run records it.
   */
  args?: Record<string, string | number | number[]>;
  /** Start of the expression (`tf` of `tf.layers.conv2d(`), as the recorder locates layers. */
  line: number;
  column: number;
  /** End of the call (just after its closing parenthesis) or of the JSON entry. */
  endLine: number;
  endColumn: number;
  /** For a Python model (pythonScan.ts): what makes the layer, and its names relative to its class. */
  python?: PythonLayerSite;
}

/** A layer definition of a Python model, as the PyTorch recorder names it (python/cnn_slicer/trace.py). */
export interface PythonLayerSite {
  /** A module construction (`nn.Conv2d(…)`), or a functional op in `forward()` (`F.relu(…)`, `a + b`). */
  kind: 'module' | 'functional';
  /** The nn.Module subclass whose method holds it; absent outside a class (a top-level `nn.Sequential(…)`). */
  owner?: string;
  /**
   * The layer names this definition makes, relative to `owner` (`conv1`, `features.0`,
   * `shortcut.0`; in a run each is prefixed with the path of the owner's instance: `conv1` of a
   * block at `layer1.0` is `layer1.0.conv1`), `*` for an index the text does not fix (`blocks.*`
   * of a comprehension, of a list filled in a loop); a module called twice is also `<path>-2` in a
   * run. For a functional op, `<op>`, `<op>-2`, … in the order of the text of forward(). Several
   * when a helper builds for several attributes; empty when the text does not say. A construction
   * in a top-level helper function (`make_layers(cfg)`) has no owner: its paths are relative to the
   * class whose attribute calls the helper, or to the `nn.Sequential(…)` it builds when none does.
   */
  paths: string[];
}

export interface ModelDetection {
  kind: 'module' | 'json' | 'python';
  /** The file is something the recorder can load as a model (the `cnnSlicer.isModelFile` key). */
  isModel: boolean;
  /** Layer definitions; a helper module that only creates layers has these but `isModel` false. */
  layers: DetectedLayer[];
}
