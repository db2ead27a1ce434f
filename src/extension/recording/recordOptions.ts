// The recorder's options for a recording started in VS Code, with where each value came from
// (`RecordOptions.origins`), which the recorder's log names setting by setting: a run being
// recorded again, a VS Code setting, or the Analyze CNN choices.
import type { RecordOptions } from '../../recorder/protocol';
import type { RecordingSettings, Settings } from '../settings';

/** The VS Code setting behind each Analyze CNN value that starts from one. */
const SETTING_OF = { dataset: 'defaultDataset', probeSize: 'probeSize', bins: 'bins', k: 'k' } as const;

const CHOSEN = 'the Analyze CNN choices';

/**
 * The options of one recording. `from` names where all of `s` came from when it is not the Analyze
 * CNN flow ("run R being recorded again"); otherwise a value equal to its VS Code setting is
 * named as that setting, and any other as the Analyze CNN choices. `s.seed`, `probePerClass`,
 * `recordEvery` and `trainLimit` are passed as given (Record Again sets them; the flow does not ask them).
 */
export function recordOptionsOf(
  modelFile: string,
  runsFolder: string,
  s: RecordingSettings,
  config: Pick<Settings, 'epochs' | 'batchSize' | 'defaultDataset' | 'probeSize' | 'bins' | 'k'>,
  from?: string,
): RecordOptions {
  const origins: Record<string, string> = {
    'defaults.epochs': 'the VS Code setting cnnSlicer.epochs',
    'defaults.batchSize': 'the VS Code setting cnnSlicer.batchSize',
  };
  if (from !== undefined) origins.options = from;
  else {
    origins.options = CHOSEN;
    for (const [key, setting] of Object.entries(SETTING_OF))
      if (s[key as keyof typeof SETTING_OF] === config[setting]) origins[key] = `the VS Code setting cnnSlicer.${setting}`;
  }
  return {
    modelFile,
    runsFolder,
    ...(s.dataset ? { dataset: s.dataset } : {}),
    ...(s.epochs !== undefined ? { epochs: s.epochs } : {}),
    ...(s.batchSize !== undefined ? { batchSize: s.batchSize } : {}),
    ...(s.optimizer !== undefined ? { optimizer: s.optimizer } : {}),
    ...(s.learningRate !== undefined ? { learningRate: s.learningRate } : {}),
    ...(s.seed !== undefined ? { seed: s.seed } : {}),
    ...(s.probePerClass !== undefined ? { probePerClass: s.probePerClass } : {}),
    ...(s.recordEvery !== undefined ? { recordEvery: s.recordEvery } : {}),
    ...(s.trainLimit !== undefined ? { trainLimit: s.trainLimit } : {}),
    defaults: { epochs: config.epochs, batchSize: config.batchSize },
    probeSize: s.probeSize,
    bins: s.bins,
    k: s.k,
    backend: s.backend,
    origins,
  };
}
