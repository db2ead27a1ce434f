// @ts-check
// Writes l10n/bundle.l10n.json: every `vscode.l10n.t('…')` string of the extension host, keyed by
// itself (English is the source language). Translators copy it to bundle.l10n.<locale>.json.
// Usage: node scripts/l10n-export.mjs [--check]   (--check: exit 1 when the bundle is out of date)
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeOrCheck } from './generatedFile.mjs';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const dir = join(root, 'src', 'extension');
/** @type {Set<string>} */
const strings = new Set();
// Only literal first arguments are collected; a string built at run time cannot be translated.
const pattern = /l10n\.t\(\s*(['"`])((?:\\.|(?!\1)[^\\])*)\1/g;
// Recursive: the command groups live in src/extension/commands/.
for (const name of readdirSync(dir, { recursive: true, encoding: 'utf8' })
  .filter((n) => n.endsWith('.ts'))
  .sort()) {
  const text = readFileSync(join(dir, name), 'utf8');
  for (const m of text.matchAll(pattern)) strings.add(String(JSON.parse(`"${m[2].replace(/\\'/g, "'").replace(/"/g, '\\"')}"`)));
}
const bundle = Object.fromEntries([...strings].sort().map((s) => [s, s]));
const out = JSON.stringify(bundle, null, 2) + '\n';
writeOrCheck({
  root,
  file: 'l10n/bundle.l10n.json',
  text: out,
  command: 'node scripts/l10n-export.mjs',
  upToDate: `l10n bundle: ${strings.size} strings, up to date`,
  written: `l10n bundle: ${strings.size} strings written to l10n/bundle.l10n.json`,
});
