/**
 * Every temporary folder of a mocha run in one, removed when the run ends: a mocha global fixture
 * (listed in each tier's `.mocharc*.json` `require`). `mochaGlobalSetup` runs in mocha's own
 * process before the tests run and before the parallel tiers start their workers, so `TMPDIR`, set
 * here, is what the workers, the processes they start (the CLI, Chromium, code-server, Python) and
 * `os.tmpdir()` everywhere use; `mochaGlobalTeardown` removes the folder after the last test
 * (scripts/test-temp.mjs: short, mode 711, tsx's cache linked). Under `npm test` the job's folder
 * does this already (scripts/test-all.mjs), and no second folder is nested in it. A test's own
 * `process.on('exit')` clean-up does not do it: mocha stops its parallel workers while their exit
 * handlers run. `CNN_SLICER_KEEP_TEST_TEMP=1` keeps the folder, and names it.
 */
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

interface TestTempModule {
  TEST_TEMP_VARIABLE: string;
  makeTestTemp: (prefix: string) => string;
}

let root: string | undefined;

export async function mochaGlobalSetup(): Promise<void> {
  // A computed specifier, as vscodeWorkbench.ts importScript has it: Node loads the script as ESM.
  const script = pathToFileURL(join(__dirname, '../../scripts/test-temp.mjs')).href;
  const { makeTestTemp, TEST_TEMP_VARIABLE } = (await import(script)) as TestTempModule;
  if (process.env[TEST_TEMP_VARIABLE] !== undefined && process.env[TEST_TEMP_VARIABLE] === tmpdir()) return;
  root = makeTestTemp('cnn-slicer-tests-');
  process.env.TMPDIR = root;
}

export function mochaGlobalTeardown(): void {
  if (!root) return;
  if (process.env.CNN_SLICER_KEEP_TEST_TEMP) console.log(`the run's temporary files are kept in ${root}`);
  else rmSync(root, { recursive: true, force: true });
}
