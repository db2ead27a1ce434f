import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildSync } from 'esbuild';
import {
  appendLineDurable,
  replaceLowLevelWrites,
  RunWriteError,
  writeFileAtomic,
  writeFileAtomicAsync,
  writeFolderAtomic,
} from '../../../src/run/files';

function errno(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: simulated`), { code });
}

/** A disk with room for `room` more bytes: writes beyond it are cut short, then fail with ENOSPC. */
function diskWithRoom(room: number): () => void {
  let left = room;
  return replaceLowLevelWrites({
    write: (fd, buffer, offset, length) => {
      if (left === 0) throw errno('ENOSPC');
      const n = Math.min(left, length);
      left -= n;
      return writeSync(fd, buffer, offset, n);
    },
  });
}

function leftovers(folder: string): string[] {
  return readdirSync(folder).filter((name) => name.includes('.tmp-'));
}

describe('run files: every write checked (a full disk never destroys a run)', function () {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cnn-slicer-runfiles-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a full disk during writeFileAtomic raises a disk-full RunWriteError and leaves the old file as it was', () => {
    const path = join(dir, 'manifest.json');
    writeFileSync(path, '{"old": true}\n');
    const restore = diskWithRoom(4096);
    try {
      assert.throws(
        () => writeFileAtomic(path, 'x'.repeat(10000)),
        (e: unknown) =>
          RunWriteError.is(e) && e.reason === 'disk-full' && /disk is full/.test(e.message) && /free some space/.test(e.message),
      );
    } finally {
      restore();
    }
    assert.equal(readFileSync(path, 'utf8'), '{"old": true}\n');
    assert.deepEqual(leftovers(dir), [], 'the temporary file is removed');
  });

  it('a write that stores nothing counts as a full disk; a quota counts too; other failures are io', () => {
    const path = join(dir, 'f.json');
    writeFileSync(path, 'old');
    const cases: [Parameters<typeof replaceLowLevelWrites>[0], RunWriteError['reason'], RegExp][] = [
      [{ write: () => 0 }, 'disk-full', /no room/],
      [
        {
          write: () => {
            throw errno('EDQUOT');
          },
        },
        'disk-full',
        /quota/,
      ],
      [
        {
          fsync: () => {
            throw errno('EIO');
          },
        },
        'io',
        /EIO/,
      ],
    ];
    for (const [replacement, reason, text] of cases) {
      const restore = replaceLowLevelWrites(replacement);
      try {
        assert.throws(
          () => writeFileAtomic(path, 'new content'),
          (e: unknown) => RunWriteError.is(e) && e.reason === reason && text.test(e.message),
        );
      } finally {
        restore();
      }
      assert.equal(readFileSync(path, 'utf8'), 'old');
      assert.deepEqual(leftovers(dir), []);
    }
  });

  it('a failed append is cut back to the old length, so the next line and every earlier one read whole', () => {
    const path = join(dir, 'metrics.jsonl');
    appendLineDurable(path, '{"epoch":0}');
    appendLineDurable(path, '{"epoch":1}');
    const restore = diskWithRoom(5);
    try {
      assert.throws(
        () => appendLineDurable(path, '{"epoch":2,"long":"' + 'x'.repeat(100) + '"}'),
        (e: unknown) => RunWriteError.is(e) && e.reason === 'disk-full',
      );
    } finally {
      restore();
    }
    assert.equal(readFileSync(path, 'utf8'), '{"epoch":0}\n{"epoch":1}\n');
    appendLineDurable(path, '{"epoch":2}');
    assert.deepEqual(readFileSync(path, 'utf8').split('\n'), ['{"epoch":0}', '{"epoch":1}', '{"epoch":2}', '']);
  });

  it('an append after a line cut off by a crash starts on a line of its own', () => {
    const path = join(dir, 'metrics.jsonl');
    writeFileSync(path, '{"epoch":0}\n{"epo');
    appendLineDurable(path, '{"epoch":1}');
    assert.deepEqual(readFileSync(path, 'utf8').split('\n'), ['{"epoch":0}', '{"epo', '{"epoch":1}', '']);
  });

  it('a failed checkpoint folder leaves no temporary folder and the old folder intact', () => {
    const path = join(dir, 'epoch-0001');
    writeFolderAtomic(path, { 'model.json': '{}', 'weights.bin': new Uint8Array(8) });
    const restore = diskWithRoom(10);
    try {
      assert.throws(
        () => writeFolderAtomic(path, { 'model.json': '{"new": 1}', 'weights.bin': new Uint8Array(100) }),
        (e: unknown) => RunWriteError.is(e) && e.reason === 'disk-full',
      );
    } finally {
      restore();
    }
    assert.deepEqual(leftovers(dir), []);
    assert.equal(readFileSync(join(path, 'model.json'), 'utf8'), '{}');
    assert.equal(readFileSync(join(path, 'weights.bin')).length, 8);
  });

  it('the asynchronous atomic write replaces the file whole', async () => {
    const path = join(dir, 'sub', 'manifest.json');
    await writeFileAtomicAsync(path, 'first');
    await writeFileAtomicAsync(path, 'second');
    assert.equal(readFileSync(path, 'utf8'), 'second');
    assert.deepEqual(leftovers(join(dir, 'sub')), []);
  });

  // /dev/full answers every write with ENOSPC: a real full device, where the system has one.
  (existsSync('/dev/full') ? it : it.skip)('an append to a device that is full (/dev/full) is a disk-full RunWriteError', () => {
    assert.throws(
      () => appendLineDurable('/dev/full', '{"epoch":0}'),
      (e: unknown) => RunWriteError.is(e) && e.reason === 'disk-full' && /ENOSPC/.test(e.message),
    );
  });

  // The replaced write above shows the logic; this shows it against a real kernel. A process with a
  // file-size limit (RLIMIT_FSIZE, `ulimit -f`) gets exactly what a full disk gives: a write cut
  // short at the limit, then an error (EFBIG; Node ignores the SIGXFSZ signal). It runs in a child
  // process because the limit applies to a whole process, and the module is bundled first so the
  // child writes no file of its own (a compile cache) before the test's writes.
  const bash = spawnSync('bash', ['-c', 'ulimit -f 8'], { encoding: 'utf8' });
  (bash.status === 0 && process.platform === 'linux' ? it : it.skip)(
    'with a real short write (a file-size limit in a child process), the manifest and metrics keep their old content',
    function () {
      this.timeout(60000);
      const bundle = join(dir, 'files.js');
      buildSync({
        entryPoints: [resolve(__dirname, '../../../src/run/files.ts')],
        bundle: true,
        platform: 'node',
        format: 'cjs',
        outfile: bundle,
        logLevel: 'silent',
      });
      const manifest = join(dir, 'run', 'manifest.json');
      const metrics = join(dir, 'run', 'metrics.jsonl');
      mkdirSync(join(dir, 'run'));
      writeFileSync(manifest, '{"status": "recording", "epochs": [0, 1, 2]}\n');
      writeFileSync(metrics, '{"epoch":0}\n{"epoch":1}\n{"epoch":2}\n');
      const driver = join(dir, 'driver.js');
      writeFileSync(
        driver,
        `const files = require(${JSON.stringify(bundle)});
         const outcome = (step) => { try { step(); return 'written'; } catch (e) { return e.code + ':' + e.reason; } };
         console.log(JSON.stringify([
           outcome(() => files.writeFileAtomic(${JSON.stringify(manifest)}, 'm'.repeat(20000))),
           outcome(() => files.appendLineDurable(${JSON.stringify(metrics)}, 'l'.repeat(20000))),
         ]));`,
      );
      const child = spawnSync('bash', ['-c', 'ulimit -f 8 && exec "$0" "$1"', process.execPath, driver], { encoding: 'utf8' });
      assert.equal(child.status, 0, child.stderr);
      assert.deepEqual(JSON.parse(child.stdout), ['run-write:disk-full', 'run-write:disk-full']);
      assert.equal(readFileSync(manifest, 'utf8'), '{"status": "recording", "epochs": [0, 1, 2]}\n', 'the old manifest is untouched');
      assert.equal(readFileSync(metrics, 'utf8'), '{"epoch":0}\n{"epoch":1}\n{"epoch":2}\n', 'no torn line is left');
      assert.deepEqual(leftovers(join(dir, 'run')), []);
    },
  );
});
