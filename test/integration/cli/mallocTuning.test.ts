// `cnn-slicer report`, `query` and `findings` start again with glibc's fixed mmap threshold (src/cli/mallocTuning.ts): which
// commands do, with which threshold, and the relaunch in real processes — the variable set, the exit code and a signal's
// passed back, a signal to the first process passed on to the second.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  FINDINGS_MALLOC_TUNING_ENV,
  MALLOC_TUNING_ENV,
  mallocTuningEnv,
  relaunchFlags,
  runWithMallocTuning,
  wantsMallocTuning,
} from '../../../src/cli/mallocTuning';

describe('cnn-slicer report with its malloc tuned', function () {
  this.timeout(60_000);
  let dir = '';
  before(() => (dir = mkdtempSync(join(tmpdir(), 'cnn-slicer-malloc-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('starts again only for report, query and findings, on Linux, and only once', () => {
    assert.equal(wantsMallocTuning(['report', 'run'], {}, 'linux'), true);
    assert.equal(wantsMallocTuning(['--verbose', 'report', 'run'], {}, 'linux'), true);
    assert.equal(wantsMallocTuning(['query', 'run', 'findings'], {}, 'linux'), true);
    assert.equal(wantsMallocTuning(['findings', 'run'], {}, 'linux'), true);
    assert.equal(wantsMallocTuning(['runs', 'folder'], {}, 'linux'), false);
    assert.equal(wantsMallocTuning([], {}, 'linux'), false);
    assert.equal(wantsMallocTuning(['report', 'run'], {}, 'darwin'), false);
    // The second launch (or a user's own setting) runs as it is.
    assert.equal(wantsMallocTuning(['report', 'run'], { ...MALLOC_TUNING_ENV }, 'linux'), false);
    assert.equal(wantsMallocTuning(['report', 'run'], { CNN_SLICER_SAME_PROCESS: '1' }, 'linux'), false);
  });

  it('maps blocks of 4 MiB on their own for report and query, of 64 MiB for findings', () => {
    assert.equal(MALLOC_TUNING_ENV.MALLOC_MMAP_THRESHOLD_, String(4 * 1024 ** 2));
    assert.equal(FINDINGS_MALLOC_TUNING_ENV.MALLOC_MMAP_THRESHOLD_, String(64 * 1024 ** 2));
    assert.equal(mallocTuningEnv(['report', 'run']), MALLOC_TUNING_ENV);
    assert.equal(mallocTuningEnv(['query', 'run', 'findings']), MALLOC_TUNING_ENV);
    assert.equal(mallocTuningEnv(['findings', 'run']), FINDINGS_MALLOC_TUNING_ENV);
    assert.equal(mallocTuningEnv(['--verbose', 'findings', 'run']), FINDINGS_MALLOC_TUNING_ENV);
    // Either way the second launch runs as it is.
    assert.equal(wantsMallocTuning(['findings', 'run'], { ...FINDINGS_MALLOC_TUNING_ENV }, 'linux'), false);
  });

  it('passes Node’s flags on, but not the inspector’s, whose port the first process holds', () => {
    assert.deepEqual(
      relaunchFlags(['--inspect', '--max-old-space-size=4096', '--inspect-brk=9230', '--inspect-port=0', '--expose-gc', '--inspector-x']),
      ['--max-old-space-size=4096', '--expose-gc', '--inspector-x'],
    );
  });

  it('runs the script again with the variable set and gives back its exit code, or 128 + its signal', async () => {
    const script = join(dir, 'child.js');
    writeFileSync(
      script,
      `const [how] = process.argv.slice(2);
       if (process.env.MALLOC_MMAP_THRESHOLD_ !== '${MALLOC_TUNING_ENV.MALLOC_MMAP_THRESHOLD_}') process.exit(9);
       if (process.env.MALLOC_ARENA_MAX !== '2') process.exit(10);
       if (how === 'signal') process.kill(process.pid, 'SIGTERM');
       else process.exit(Number(how));`,
    );
    assert.equal(await runWithMallocTuning(script, ['3']), 3);
    assert.equal(await runWithMallocTuning(script, ['0']), 0);
    assert.equal(await runWithMallocTuning(script, ['signal']), 128 + 15);
    // `findings` gets its own threshold.
    const findings = join(dir, 'findings.js');
    writeFileSync(
      findings,
      `process.exit(process.env.MALLOC_MMAP_THRESHOLD_ === '${FINDINGS_MALLOC_TUNING_ENV.MALLOC_MMAP_THRESHOLD_}' && process.env.MALLOC_ARENA_MAX === '2' ? 0 : 9);`,
    );
    assert.equal(await runWithMallocTuning(findings, ['findings', 'run']), 0);
    assert.equal(await runWithMallocTuning(findings, ['report', 'run']), 9);
  });

  it('passes a signal on to the second process, and exits when it does', async () => {
    const marker = join(dir, 'stopped');
    const child = join(dir, 'sleeper.js');
    writeFileSync(
      child,
      `process.on('SIGTERM', () => { require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'yes'); process.exit(7); });
       console.log('ready'); setInterval(() => {}, 1000);`,
    );
    const parent = join(dir, 'parent.js');
    const mallocTuning = resolve(__dirname, '../../../src/cli/mallocTuning.ts');
    writeFileSync(
      parent,
      `require(${JSON.stringify(require.resolve('tsx/cjs'))});
       require(${JSON.stringify(mallocTuning)}).runWithMallocTuning(${JSON.stringify(child)}, []).then((code) => process.exit(code));`,
    );
    const p = spawn(process.execPath, [parent], { stdio: ['ignore', 'pipe', 'inherit'], cwd: resolve(__dirname, '../../..') });
    await new Promise<void>((ready, failed) => {
      p.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && ready());
      p.once('exit', (c) => failed(new Error(`the first process exited with ${c} before the second was ready`)));
    });
    p.kill('SIGTERM');
    const code = await new Promise<number | null>((exited) => p.once('exit', (c) => exited(c)));
    assert.equal(code, 7, 'the first process exits with the second’s code');
    assert.ok(existsSync(marker), 'the second process got the signal');
  });
});
