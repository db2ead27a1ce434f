// The recorder's options for a recording started in VS Code, with where each value came from
// (`RecordOptions.origins`), which the recorder's log names setting by setting: a run being
// recorded again, a VS Code setting, the Analyze CNN choices, or the default.
import {
  DEFAULT_RECORD_SETTINGS,
  EDITOR_FALLBACK_NAMES,
  RECORD_SETTINGS,
  type RecordSettingName,
  type RecordSettingTable,
} from '../../contract/recordSettings';
import type { RecordOptions } from '../../contract/protocols/recorder';
import { CONFIGURATION_SECTION, type RecordingSettings, type Settings } from '../settings';

/** The Analyze CNN values that start from a VS Code setting, and the field of `Settings` that holds it. */
const SETTING_OF = { dataset: 'defaultDataset', probeSize: 'probeSize', bins: 'bins', k: 'k' } as const;

const CHOSEN = 'the Analyze CNN choices';
const TABLE: RecordSettingTable = RECORD_SETTINGS;
const setting = (name: RecordSettingName): string => `the VS Code setting ${CONFIGURATION_SECTION}.${TABLE[name].vscode?.key}`;

/**
 * The options of one recording. `from` names where all of `s` came from when it is not the Analyze
 * CNN flow ("run R being recorded again"); otherwise a value equal to its VS Code setting is
 * named as that setting, the seed (which the flow does not ask) as the default, and any other as the
 * Analyze CNN choices. `s.seed` is always passed; `probePerClass`, `recordEvery` and `trainLimit`
 * when set (Record Again sets them; the flow does not ask them).
 */
export function recordOptionsOf(
  modelFile: string,
  runsFolder: string,
  s: RecordingSettings,
  config: Pick<Settings, 'epochs' | 'batchSize' | 'defaultDataset' | 'probeSize' | 'bins' | 'k'>,
  from?: string,
): RecordOptions {
  const origins: Record<string, string> = Object.fromEntries(EDITOR_FALLBACK_NAMES.map((name) => [`defaults.${name}`, setting(name)]));
  if (from !== undefined) origins.options = from;
  else {
    origins.options = CHOSEN;
    for (const [key, field] of Object.entries(SETTING_OF))
      if (s[key as keyof typeof SETTING_OF] === config[field]) origins[key] = setting(key as keyof typeof SETTING_OF);
    if (s.seed === DEFAULT_RECORD_SETTINGS.seed) origins.seed = 'the default';
  }
  const given = { ...s, dataset: s.dataset || undefined };
  return {
    modelFile,
    runsFolder,
    ...Object.fromEntries(Object.entries(given).filter(([, value]) => value !== undefined)),
    defaults: Object.fromEntries(EDITOR_FALLBACK_NAMES.map((name) => [name, config[name]])),
    origins,
  };
}
