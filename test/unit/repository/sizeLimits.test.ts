// The hard size limits of shipped code: no function over 150 lines (ESLint warns from 120,
// eslint.config.mjs, and `npm run lint` caps the number of warnings, but a cap on a count lets a new
// long function replace a fixed one), and no file over 800. A file holds one concept; one over 800
// lines most likely holds two, and is split where they part, not by moving lines out to get under the
// count. Every line counts, comments and blanks included, as the ESLint rules count them.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';

const ROOT = join(__dirname, '../../..');
const MAX_FILE_LINES = 800;
const MAX_FUNCTION_LINES = 150;

async function oversized(patterns: string[], cwd = ROOT): Promise<string[]> {
  const eslint = new ESLint({
    cwd,
    overrideConfigFile: true,
    overrideConfig: [
      {
        files: ['**/*.ts', '**/*.tsx'],
        ignores: ['src/analysis/wasm/*Wasm.ts'],
        // The files' own disable comments name rules this check does not run.
        linterOptions: { reportUnusedDisableDirectives: 'off' },
        languageOptions: { parser: tseslint.parser, parserOptions: { ecmaFeatures: { jsx: true } } },
        rules: {
          'max-lines': ['error', { max: MAX_FILE_LINES, skipBlankLines: false, skipComments: false }],
          'max-lines-per-function': ['error', { max: MAX_FUNCTION_LINES, skipBlankLines: false, skipComments: false }],
        },
      },
    ],
  });
  const results = await eslint.lintFiles(patterns);
  return results.flatMap((r) => r.messages.map((m) => `${r.filePath.slice(cwd.length + 1)}:${m.line} ${m.message}`));
}

describe('size limits of shipped code', function () {
  this.timeout(240_000);

  it('no file in src/ or webview/ is over 800 lines and no function over 150', async () => {
    assert.deepEqual(await oversized(['src/**/*.ts', 'webview/**/*.ts', 'webview/**/*.tsx']), []);
  });

  it('the check reports a function of 151 lines and a file of 801', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'size-limits-'));
    try {
      const body = Array.from({ length: 149 }, (_, i) => `  const v${i} = ${i};`).join('\n');
      writeFileSync(join(dir, 'long.ts'), `export function long(): void {\n${body}\n}\n`);
      writeFileSync(join(dir, 'big.ts'), Array.from({ length: 801 }, (_, i) => `export const c${i} = ${i};`).join('\n'));
      writeFileSync(join(dir, 'fine.ts'), `export function fine(): void {\n${body.split('\n').slice(1).join('\n')}\n}\n`);
      const found = await oversized(['*.ts'], dir);
      assert.equal(found.length, 2, found.join('\n'));
      assert.ok(
        found.some((f) => f.startsWith('long.ts:1 ') && /151/.test(f)),
        found.join('\n'),
      );
      assert.ok(
        found.some((f) => f.startsWith('big.ts:') && /801/.test(f)),
        found.join('\n'),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
