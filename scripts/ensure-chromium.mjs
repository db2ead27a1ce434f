// @ts-check
// Finds the Chromium the browser tests drive, installing Debian's `chromium` package on first use
// (this project's machines reach Debian's archive but not Playwright's browser downloads; see
// docs/testing.md). Usage: node scripts/ensure-chromium.mjs  → prints the executable's path.
// Also imported by the tests (test/browser/harness.ts).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/**
 * The Chromium executable: $CNN_SLICER_CHROMIUM, else the first of the usual paths that exists.
 * @returns {string | undefined}
 */
export function findChromium() {
  const fromEnv = process.env.CNN_SLICER_CHROMIUM;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`CNN_SLICER_CHROMIUM=${fromEnv} does not exist`);
    return fromEnv;
  }
  return CANDIDATES.find((p) => existsSync(p));
}

/**
 * The Chromium executable, installed with apt-get first when there is none.
 * @param {(line: string) => void} [log] where the install note goes (stderr)
 * @returns {string}
 */
export function ensureChromium(log = (line) => process.stderr.write(`${line}\n`)) {
  const found = findChromium();
  if (found) return found;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const hasApt = existsSync('/usr/bin/apt-get');
  if (!hasApt)
    throw new Error(
      'Chromium is not installed and this is not a Debian/Ubuntu machine: install Chromium and set CNN_SLICER_CHROMIUM to its path',
    );
  const sudo = isRoot ? [] : ['sudo', '-n'];
  log('browser tests: installing Debian chromium (first run only, about a minute)…');
  const run = (/** @type {string[]} */ args) =>
    execFileSync(sudo.length ? sudo[0] : args[0], sudo.length ? [...sudo.slice(1), ...args] : args.slice(1), {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  try {
    run(['apt-get', 'update', '-qq']);
    run(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', 'chromium']);
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new Error(
      `could not install chromium with apt-get (${reason}); install it by hand (apt-get install chromium) or set CNN_SLICER_CHROMIUM`,
      { cause: error },
    );
  }
  const installed = findChromium();
  if (!installed) throw new Error('apt-get installed chromium but no executable was found');
  return installed;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    console.log(ensureChromium());
  } catch (error) {
    console.error(`ensure-chromium: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
