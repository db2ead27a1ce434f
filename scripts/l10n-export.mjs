// @ts-check
// Writes l10n/bundle.l10n.json: every `vscode.l10n.t('…')` string of the extension host, keyed by
// itself (English is the source language). Translators copy it to bundle.l10n.<locale>.json.
// Usage: node scripts/l10n-export.mjs [--check]   (--check: exit 1 when the bundle is out of date)
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

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
const file = join(root, 'l10n', 'bundle.l10n.json');
if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(file, 'utf8');
  } catch {
    // No bundle yet: it is out of date.
  }
  if (current !== out) {
    console.error('l10n/bundle.l10n.json is out of date: run node scripts/l10n-export.mjs');
    process.exit(1);
  }
  console.log(`l10n bundle: ${strings.size} strings, up to date`);
} else {
  writeFileSync(file, out);
  console.log(`l10n bundle: ${strings.size} strings written to l10n/bundle.l10n.json`);
}
