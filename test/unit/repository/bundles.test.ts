/**
 * Every bundle esbuild.mjs builds (but the bench's) is packaged: listed in scripts/package.mjs's
 * BUNDLES, which the packaging checks are in the .vsix, and let through .vscodeignore's allow-list.
 * A worker bundle left out makes the installed extension fall back without it (the two training
 * threads and the kernel thread each did once).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '../../..');

describe('packaged bundles', () => {
  it('are every esbuild entry point but bench, in package.mjs and in .vscodeignore', async () => {
    const entries = [...readFileSync(join(ROOT, 'esbuild.mjs'), 'utf8').matchAll(/entryPoints: \{ (\w+):/g)].map((m) => m[1]);
    assert.ok(entries.includes('recorder') && entries.includes('kernelWorker'), `esbuild.mjs entries read: ${entries.join(', ')}`);
    const shipped = entries.filter((e) => e !== 'bench').map((e) => `dist/${e}.js`);
    const { BUNDLES } = (await import(join(ROOT, 'scripts/package.mjs'))) as { BUNDLES: string[] };
    assert.deepEqual([...BUNDLES].sort(), [...shipped].sort());
    const allowed = readFileSync(join(ROOT, '.vscodeignore'), 'utf8').split('\n');
    assert.deepEqual(
      shipped.filter((f) => !allowed.includes(`!${f}`)),
      [],
    );
  });
});
