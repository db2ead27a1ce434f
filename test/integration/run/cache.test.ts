import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildSync } from 'esbuild';
import { AnswerCache } from '../../../src/run/cache';
import { replaceLowLevelWrites, writeFileAtomic } from '../../../src/run/files';

/** The unprivileged user the read-only test runs as when the tests run as root (nobody on Linux). */
const NOBODY = 65534;

describe('answer cache: an optimisation, never a condition (read-only and hostile run folders)', function () {
  this.timeout(60000);
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'cnn-slicer-runcache-'));
  });
  afterEach(() => {
    chmodSync(root, 0o700);
    for (const name of readdirSync(root)) if (existsSync(join(root, name, 'cache'))) chmodSync(join(root, name, 'cache'), 0o755);
    rmSync(root, { recursive: true, force: true });
  });

  it('never makes a deleted run folder again: an answer computed while the run was deleted is not kept', () => {
    const run = join(root, 'run');
    mkdirSync(run);
    const cache = new AnswerCache(join(run, 'cache'));
    cache.set('a', { x: 1 });
    assert.deepEqual(cache.get('a'), { x: 1 });
    rmSync(run, { recursive: true });
    cache.set('b', { x: 2 });
    assert.equal(existsSync(run), false);
  });

  it('writes answers without a flush to the disk (a damaged entry is a miss), and keeps its cap counting the folder once', () => {
    const folder = join(root, 'run', 'cache');
    mkdirSync(join(root, 'run'));
    let flushes = 0;
    const restore = replaceLowLevelWrites({ fsync: () => void flushes++ });
    try {
      const cache = new AnswerCache(folder, 2500);
      const big = 'x'.repeat(1000);
      for (const key of ['a', 'b', 'c', 'd', 'e']) cache.set(key, { big });
      assert.equal(flushes, 0, 'a burst of answers does not wait for the disk');
      assert.ok(cache.usage().bytes <= 2500, 'the cap holds');
      assert.deepEqual(cache.get('e'), { big }, 'the newest answer stays');
      writeFileAtomic(join(root, 'run', 'manifest.json'), '{}');
      assert.equal(flushes, 1, 'run files are still flushed');
    } finally {
      restore();
    }
  });

  // A run folder this process may read but not write: answers come without the cache (no throw
  // from touching the entry, no failed removal after it). Root ignores permission bits, so chmod
  // alone proves nothing when the tests run as root: the check then runs in a child process as the
  // unprivileged user `nobody`, to whom the folder and its entries (owned by root) are read-only,
  // as a colleague's run folder or a read-only mount would be. As another user the test process
  // cannot own files it does not own, so without root there is no honest way to set it up: skipped.
  const isRoot = process.getuid?.() === 0;
  (isRoot && process.platform === 'linux' ? it : it.skip)(
    'a read-only run folder still answers from its cache and never throws (skipped unless root can run a child as nobody)',
    () => {
      const bundle = join(root, 'cache.js');
      buildSync({
        entryPoints: [resolve(__dirname, '../../../src/run/cache.ts')],
        bundle: true,
        platform: 'node',
        format: 'cjs',
        outfile: bundle,
        logLevel: 'silent',
      });
      const folder = join(root, 'run', 'cache');
      mkdirSync(join(root, 'run'));
      const cache = new AnswerCache(folder);
      cache.set('answer', { bits: 1.5 });
      chmodSync(root, 0o755);
      chmodSync(join(root, 'run'), 0o555);
      chmodSync(folder, 0o555);
      const driver = join(root, 'driver.js');
      writeFileSync(
        driver,
        `const { AnswerCache } = require(${JSON.stringify(bundle)});
       const cache = new AnswerCache(${JSON.stringify(folder)});
       const steps = {};
       for (const [name, step] of Object.entries({
         get: () => cache.get('answer'),
         set: () => cache.set('other', { bits: 2 }),
         miss: () => cache.get('other'),
         evict: () => cache.evict(),
       })) { try { steps[name] = { value: step() ?? null }; } catch (e) { steps[name] = { threw: e.code || e.message }; } }
       console.log(JSON.stringify(steps));`,
      );
      const child = spawnSync(process.execPath, [driver], { uid: NOBODY, gid: NOBODY, encoding: 'utf8' });
      assert.equal(child.status, 0, child.stderr);
      assert.deepEqual(JSON.parse(child.stdout), {
        get: { value: { bits: 1.5 } },
        set: { value: null },
        miss: { value: null },
        evict: { value: null },
      });
      assert.deepEqual(readdirSync(folder), [`answer.json`]);
    },
  );

  it('a cache folder that is a link elsewhere is not used: no reads, writes or evictions there', () => {
    const elsewhere = join(root, 'elsewhere');
    mkdirSync(elsewhere);
    writeFileSync(join(elsewhere, 'precious.json'), '{"keep": true}');
    writeFileSync(join(elsewhere, 'answer.json'), '{"planted": true}');
    mkdirSync(join(root, 'run'));
    symlinkSync(elsewhere, join(root, 'run', 'cache'));
    const cache = new AnswerCache(join(root, 'run', 'cache'), 10);
    assert.equal(cache.get('answer'), undefined, 'a planted answer is not served');
    cache.set('new', { x: 1 });
    cache.evict();
    assert.deepEqual(readdirSync(elsewhere).sort(), ['answer.json', 'precious.json']);
    assert.equal(readFileSync(join(elsewhere, 'precious.json'), 'utf8'), '{"keep": true}');
  });

  (existsSync('/dev/zero') ? it : it.skip)('an entry that is a link (to /dev/zero, say) is a miss, read at no cost', () => {
    const folder = join(root, 'run', 'cache');
    mkdirSync(folder, { recursive: true });
    symlinkSync('/dev/zero', join(folder, 'answer.json'));
    const cache = new AnswerCache(folder);
    assert.equal(cache.get('answer'), undefined);
    cache.set('answer', { bits: 3 });
    assert.deepEqual(cache.get('answer'), { bits: 3 });
  });
});
