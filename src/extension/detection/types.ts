// What the static scanners find in a model file, shared by the module scan (moduleScan.ts), the
// model.json scan (modelJson.ts) and the matching of a recorded run to the text (layerMatching.ts).
//
// Positions are 0-based (line, column in UTF-16 code units), as `vscode.Position` counts; the
// recorder's manifest is 1-based, `recordedInFile` (layerMatching.ts) converts.
/** A layer definition found in the source, in source order. */
export interface DetectedLayer {
  /** The tf.layers factory called (`conv2d`, `maxPooling2d`, `input` for `tf.input`), for modules. */
  factory?: string;
  /** The Keras class name (`Conv2D`), for model.json entries. */
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
   */
  args?: Record<string, string | number>;
  /** Start of the expression (`tf` of `tf.layers.conv2d(`), as the recorder locates layers. */
  line: number;
  column: number;
  /** End of the call (just after its closing parenthesis) or of the JSON entry. */
  endLine: number;
  endColumn: number;
}

export interface ModelDetection {
  kind: 'module' | 'json';
  /** The file is something the recorder can load as a model (the `cnnSlicer.isModelFile` key). */
  isModel: boolean;
  /** Layer definitions; a helper module that only creates layers has these but `isModel` false. */
  layers: DetectedLayer[];
}
