// One definition per recording setting (src/contract/recordSettings.ts): package.json's
// `cnnSlicer.*` configuration agrees with the descriptors (type, default, enum, minimum, maximum,
// description), and a default changed in the descriptors shows in `record --help`, in the
// extension's settings reader and in that check.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HELP_WIDTH, RECORD_SETTINGS, type RecordSettingTable, recordSettingsHelp } from '../../../src/contract/recordSettings';
import { recordHelp } from '../../../src/cli/usage';
import { CONFIGURATION_SECTION, readSettings } from '../../../src/extension/settings';

const ROOT = join(__dirname, '..', '..', '..');
const readJson = (file: string): Record<string, unknown> => JSON.parse(readFileSync(join(ROOT, file), 'utf8')) as Record<string, unknown>;

type Properties = Record<string, Record<string, unknown> | undefined>;

/** package.json's configuration properties, and package.nls.json's texts. */
function packageConfiguration(): { properties: Properties; nls: Record<string, string> } {
  const pkg = readJson('package.json') as { contributes: { configuration: { properties: Properties } } };
  return { properties: pkg.contributes.configuration.properties, nls: readJson('package.nls.json') as Record<string, string> };
}

/** Where package.json's configuration differs from the descriptors of `table`, one line a difference. */
function configurationDifferences(properties: Properties, nls: Record<string, string>, table: RecordSettingTable): string[] {
  const out: string[] = [];
  for (const s of Object.values(table)) {
    if (!s.vscode) continue;
    const key = `${CONFIGURATION_SECTION}.${s.vscode.key}`;
    const p = properties[key];
    if (!p) {
      out.push(`${key} is missing from package.json`);
      continue;
    }
    const descriptionKey = `%${CONFIGURATION_SECTION}.config.${s.vscode.key}%`;
    const expected: Record<string, unknown> = {
      type: s.kind === 'integer' ? 'integer' : s.kind === 'positive' ? 'number' : 'string',
      default: s.default ?? (s.kind === 'text' ? '' : undefined),
      minimum: s.kind === 'integer' ? (s.vscode.minimum ?? s.min) : undefined,
      maximum: s.kind === 'integer' ? s.max : undefined,
      enum: s.kind === 'choice' ? s.choices : undefined,
      enumDescriptions: s.kind === 'choice' ? s.choiceDescriptions?.map((d) => `%${d}%`) : undefined,
      [s.vscode.markdown ? 'markdownDescription' : 'description']: descriptionKey,
    };
    for (const [field, value] of Object.entries(expected))
      if (JSON.stringify(p[field]) !== JSON.stringify(value))
        out.push(`${key}: ${field} is ${JSON.stringify(p[field])} in package.json, ${JSON.stringify(value)} in its descriptor`);
    const text = nls[descriptionKey.slice(1, -1)];
    if (text !== s.vscode.description)
      out.push(
        `${key}: package.nls.json describes it as ${JSON.stringify(text)}, its descriptor as ${JSON.stringify(s.vscode.description)}`,
      );
  }
  return out;
}

/** The descriptors with the probe size's default changed. */
const changed: RecordSettingTable = { ...RECORD_SETTINGS, probeSize: { ...RECORD_SETTINGS.probeSize, default: 800 } };

describe('the recording settings, one definition each', () => {
  it("package.json's configuration holds each VS Code setting as its descriptor defines it", () => {
    const { properties, nls } = packageConfiguration();
    assert.deepEqual(configurationDifferences(properties, nls, RECORD_SETTINGS), []);
  });

  it('a default changed in the descriptors shows in record --help, in the extension settings reader and in the package.json check', () => {
    assert.match(recordHelp(RECORD_SETTINGS), /--probe N +probe inputs.*\(default 500\)/);
    assert.match(recordHelp(changed), /--probe N +probe inputs.*\(default 800\)/);

    const unset = { get: () => undefined };
    assert.equal(readSettings(unset).probeSize, 500);
    assert.equal(readSettings(unset, changed).probeSize, 800);
    const set = { get: <T>(key: string) => (key === 'probeSize' ? (300 as T) : undefined) };
    assert.equal(readSettings(set, changed).probeSize, 300, 'the VS Code setting wins over the default');

    const { properties, nls } = packageConfiguration();
    assert.deepEqual(configurationDifferences(properties, nls, changed), [
      'cnnSlicer.probeSize: default is 500 in package.json, 800 in its descriptor',
    ]);
  });

  it("the settings' help lines fit the terminal width the help is written for", () => {
    const long = recordSettingsHelp().filter((line) => line.length > HELP_WIDTH);
    assert.deepEqual(long, []);
  });

  it('the help names every setting by its flag, with its default', () => {
    const help = recordHelp();
    for (const s of Object.values(RECORD_SETTINGS as RecordSettingTable)) {
      assert.match(help, new RegExp(`^  --${s.flag} ${s.placeholder} `, 'm'));
      if (s.default !== undefined) assert.ok(help.includes(`(default ${s.default})`), `${s.flag}'s default`);
    }
  });
});
