// Recorded runs of the fixture model for the runs tree and panel tests, made with the extension's
// own CLI (dist/cli.js record) in a child process: the recorder cannot be loaded into the extension
// host (no TensorFlow.js there), and a tiny recording takes about a second. Runs go to the fixture
// workspace's runs folder (a temporary copy, see test/vscode/fixture/README.md).
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import type { CnnSlicerApi } from '../../../src/extension/extension';
import { extension, fixtureUri, waitFor } from './helpers';

/** The shared run, recorded once for all the test files of one suite run (each file is its own bundle). */
const state = ((globalThis as Record<string, unknown>).__cnnSlicerTestRuns ??= { shared: undefined as Promise<string> | undefined }) as {
  shared?: Promise<string>;
};

/** Records `tiny-model.ts` (1 epoch, 40 probe inputs, then `more` options) and waits until the run index lists it. */
export async function recordFixtureRun(api: CnnSlicerApi, model = 'tiny-model.ts', more: string[] = []): Promise<string> {
  const cli = join(extension().extensionPath, 'dist', 'cli.js');
  const out = api.ctx.runsFolders()[0];
  const args = [
    cli,
    'record',
    fixtureUri(model).fsPath,
    '--epochs',
    '1',
    '--probe',
    '40',
    '--k',
    '10',
    '--backend',
    'wasm',
    '--out',
    out,
    ...more,
  ];
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(api.ctx.nodeExecutable(), args, { timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`recording the fixture failed: ${error.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
  const folder = stdout.trim().split('\n').pop()!;
  api.ctx.runs.refresh();
  // Completed, not just listed: the index may have read the run while it was still recording,
  // and a run that looks live cannot be deleted (the command would ask to cancel it first).
  await waitFor(
    `the run index to list ${folder} as completed`,
    async () => (await api.ctx.runs.find(folder))?.manifest.status === 'completed',
  );
  return folder;
}

/** One recorded run that tests only read (recorded once per suite run). */
export function sharedFixtureRun(api: CnnSlicerApi): Promise<string> {
  state.shared ??= recordFixtureRun(api);
  return state.shared;
}
