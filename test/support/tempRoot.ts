/**
 * Every temporary folder of a test run in one, removed when the run ends: a mocha global fixture
 * (listed in each tier's `.mocharc*.json` `require`). `mochaGlobalSetup` runs in mocha's own
 * process before any test file loads and before the parallel tiers start their workers, so
 * `TMPDIR`, set here, is what the workers, the processes they start (the CLI, Chromium,
 * code-server, Python) and `os.tmpdir()` everywhere use; `mochaGlobalTeardown` removes the folder
 * after the last test (scripts/test-temp.mjs keeps tsx's compile cache out of it). A test's own
 * `process.on('exit')` clean-up did not do it: mocha stops its parallel workers while their exit
 * handlers run. `CNN_SLICER_KEEP_TEST_TEMP=1` keeps the folder, and names it.
 */
import { rmSync } from 'node:fs';

let root: string | undefined;

export async function mochaGlobalSetup(): Promise<void> {
  const { makeTestTemp } = (await import('../../scripts/test-temp.mjs')) as { makeTestTemp: (prefix: string) => string };
  root = makeTestTemp('cnn-slicer-tests-');
  process.env.TMPDIR = root;
}

export function mochaGlobalTeardown(): void {
  if (!root) return;
  if (process.env.CNN_SLICER_KEEP_TEST_TEMP) console.log(`the run's temporary files are kept in ${root}`);
  else rmSync(root, { recursive: true, force: true });
}
