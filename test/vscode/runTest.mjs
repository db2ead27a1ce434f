// Runs the integration suite (test/vscode/suite/, built by scripts/test-vscode.mjs) in a real VS
// Code with @vscode/test-electron's runTests. On this project's machines VS Code cannot be
// downloaded, so the "VS Code executable" is scripts/code-server-test.mjs, which takes the same
// flags and runs the suite in the VS Code that code-server bundles (docs/testing.md); with
// CNN_SLICER_VSCODE=<path of a desktop `code` executable> the same call runs it there instead.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTests } from '@vscode/test-electron';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const CODE_SERVER_TEST = join(ROOT, 'scripts', 'code-server-test.mjs');
export const FIXTURE = join(ROOT, 'test', 'vscode', 'fixture');

/**
 * Runs the suite whose runner is `extensionTestsPath` on a temporary copy of the fixture workspace
 * (runs the tests record stay out of the repository) with fresh user-data and extensions folders.
 * Resolves to 0; rejects with test-electron's TestRunFailedError (its `code`) when the suite fails.
 *
 * `vsix`: test an installed .vsix instead of the sources (code-server only): the extension is
 * installed into the fresh extensions folder and the suite runs against that copy.
 * @param {{ extensionTestsPath: string, vsix?: string, env?: Record<string, string>, keepWorkspace?: boolean }} options
 * @returns {Promise<number>}
 */
export async function runVSCodeTests({ extensionTestsPath, vsix, env = {}, keepWorkspace = false }) {
  const desktop = process.env.CNN_SLICER_VSCODE;
  if (vsix && desktop) throw new Error('testing a .vsix is supported with code-server only: unset CNN_SLICER_VSCODE');
  const temp = mkdtempSync(join(tmpdir(), 'cnn-slicer-vscode-test-'));
  const workspace = join(temp, 'workspace');
  cpSync(FIXTURE, workspace, { recursive: true });
  try {
    return await runTests({
      vscodeExecutablePath: desktop || CODE_SERVER_TEST,
      extensionDevelopmentPath: ROOT,
      extensionTestsPath,
      launchArgs: [workspace, `--user-data-dir=${join(temp, 'user-data')}`, `--extensions-dir=${join(temp, 'extensions')}`],
      extensionTestsEnv: { ...env, ...(vsix ? { CNN_SLICER_FROM_VSIX: vsix } : {}) },
    });
  } finally {
    if (!keepWorkspace) rmSync(temp, { recursive: true, force: true, maxRetries: 3 });
    else console.log(`runTest: kept ${temp}`);
  }
}
