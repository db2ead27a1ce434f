import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

interface MenuItem {
  command: string;
  when?: string;
}

const manifest = JSON.parse(readFileSync(join(__dirname, '../../../../package.json'), 'utf8')) as {
  contributes: { menus: Record<string, MenuItem[]> };
};

/** The regular expressions a `when` clause matches `viewItem` against (`viewItem =~ /…/`). */
function viewItemPatterns(when: string): RegExp[] {
  return Array.from(when.matchAll(/viewItem =~ \/((?:[^/\\]|\\.)*)\//g), (m) => new RegExp(m[1]));
}

describe('run tree menus (package.json)', () => {
  it('show run commands on run items only, never on their detail rows or model-file groups', () => {
    const items = manifest.contributes.menus['view/item/context'].filter((m) => m.when?.includes('viewItem =~'));
    assert.ok(items.length > 0);
    for (const item of items)
      for (const pattern of viewItemPatterns(item.when!)) {
        // A pattern matches every recorded run (`run.done`, a control run's `run.done.control`); most match recordings too.
        assert.ok(pattern.test('run.done') && pattern.test('run.done.control'), `${item.command} shows on runs`);
        for (const other of ['runDetails', 'runDetail', 'modelFile', 'layer', 'unreadableRun'])
          assert.ok(!pattern.test(other), `${item.command} must not show on a ${other} item`);
      }
  });

  it('offer "Compare with Source Run" on a control run only', () => {
    const item = manifest.contributes.menus['view/item/context'].find((m) => m.command === 'cnnSlicer.compareWithSourceRun');
    assert.match(item?.when ?? '', /viewItem == run\.done\.control/);
  });
});
