// The mocha runner inside the VS Code extension host. VS Code loads this file, bundled with mocha
// to dist/test/suite/index.js by scripts/test-vscode.mjs, as --extensionTestsPath and awaits
// `run()`: resolving ends the test run with exit code 0, rejecting with 1. The test files are
// bundled next to it, one `<name>.test.js` per `test/vscode/suite/<name>.test.ts`; `vscode` stays
// external in all of them, so they get the real API of the extension host.
//
// Environment (passed through by the runner): CNN_SLICER_VSCODE_GREP runs only the tests whose
// full title matches it; CNN_SLICER_SUITE_LOG_MARKER (code-server only) tags the console output.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import Mocha from 'mocha';
import { SUITE_LOG } from './helpers';

export async function run(): Promise<void> {
  const marker = process.env.CNN_SLICER_SUITE_LOG_MARKER;
  if (marker) tagConsole(marker);
  const mocha = new Mocha({
    ui: 'bdd',
    reporter: 'spec',
    // Recording, starting the analysis service and rendering panels take seconds on 2 cores.
    timeout: 60_000,
    slow: 2_000,
    // The output reaches the terminal through the workbench's console forwarding, not a TTY.
    color: process.env.CNN_SLICER_VSCODE_COLOR === '1',
  });
  const grep = process.env.CNN_SLICER_VSCODE_GREP;
  if (grep) mocha.grep(grep);
  const files = readdirSync(__dirname)
    .filter((f) => f.endsWith('.test.js'))
    .sort();
  if (files.length === 0) throw new Error(`no *.test.js files next to ${__filename}: build the suite with node scripts/test-vscode.mjs`);
  for (const f of files) mocha.addFile(join(__dirname, f));
  const failures = await new Promise<number>((resolve) => mocha.run(resolve));
  if (failures > 0) throw new Error(`${failures} integration test${failures === 1 ? '' : 's'} failed`);
}

/**
 * In code-server the extension host's console reaches the runner mixed with the workbench's own
 * log; scripts/code-server-test.mjs passes a marker in the environment and prints only the lines
 * whose first argument it is (the others go to test-artifacts/vscode/workbench.log). The extension
 * host does not let `console.log` be replaced (its setter is a no-op), so the marker goes into
 * mocha's reporter output (reporters print through Base.consoleLog) and into the suite's own
 * `log` helper (helpers.ts), which finds this function on globalThis.
 */
function tagConsole(marker: string): void {
  const tagged = (...args: unknown[]) => console.log(marker, ...args);
  (Mocha.reporters.Base as unknown as { consoleLog: (...args: unknown[]) => void }).consoleLog = tagged;
  (globalThis as Record<string, unknown>)[SUITE_LOG] = tagged;
}
