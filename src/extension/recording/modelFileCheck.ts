// Whether a file is a model "Analyze CNN" can record, decided from its text before any question is
// asked: the same static detection as the lenses (detection/detectModel.ts), so a
// file the editor already knows is not a model fails at once instead of after the quick input.
import { detectModel } from '../detection/detectModel';

/**
 * Why a file is not a model: `notModelJson` (a `.json` that is not a layers-format model.json),
 * `noLayers` (a module that creates no `tf.layers` layer), `noModelExport` (a module that creates
 * layers but exports no model factory or built model, such as a helper module).
 */
export type NotAModelReason = 'notModelJson' | 'noLayers' | 'noModelExport';

/** Undefined when the text is a model the recorder loads, else why it is not. */
export function notAModelReason(text: string, fileName: string): NotAModelReason | undefined {
  const detection = detectModel(text, fileName);
  if (detection?.isModel) return undefined;
  if (/\.json$/i.test(fileName)) return 'notModelJson';
  return detection && detection.layers.length > 0 ? 'noModelExport' : 'noLayers';
}
