import assert from 'node:assert/strict';
import { RunFormatError, validateManifest } from '../../../src/contract/runFormat';
import { fixtureManifest } from '../../support/runFixture';

const control = { spec: 'border:4', kind: 'border', parameter: 4, sourceRun: { id: 'src', folder: '../src' }, chanceAccuracy: 0.5 };

describe("the manifest's control field", () => {
  it('accepts a sound control and a manifest without one', () => {
    validateManifest({ ...fixtureManifest('a', [0]), control });
    validateManifest({
      ...fixtureManifest('a', [0]),
      control: { ...control, spec: 'shuffle-labels', kind: 'shuffle-labels', parameter: undefined },
    });
    validateManifest(fixtureManifest('a', [0]));
    validateManifest({ ...fixtureManifest('a', [0]), control: { ...control, kept: { inputShare: 0.015, contentShare: null } } });
  });
  it('refuses each broken field, naming it', () => {
    for (const [bad, field] of [
      [{ ...control, kind: 'blur' }, 'control.kind'],
      [{ ...control, parameter: 0 }, 'control.parameter'],
      [{ ...control, parameter: 2.5 }, 'control.parameter'],
      [{ ...control, kind: 'mask-centre', parameter: 1.5 }, 'control.parameter'],
      [{ ...control, kind: 'shuffle-pixels', parameter: 3 }, 'control.parameter'],
      [{ ...control, sourceRun: { id: 'src' } }, 'control.sourceRun.folder'],
      [{ ...control, sourceRun: undefined }, 'control.sourceRun'],
      [{ ...control, chanceAccuracy: 0 }, 'control.chanceAccuracy'],
      [{ ...control, spec: 3 }, 'control.spec'],
      [{ ...control, kept: { inputShare: 1.5, contentShare: 0 } }, 'control.kept.inputShare'],
      [{ ...control, kept: null }, 'control.kept'],
      [{ ...control, kept: { inputShare: 0.5, contentShare: -1 } }, 'control.kept.contentShare'],
      [{ ...control, kept: { inputShare: 0.5 } }, 'control.kept.contentShare'],
      ['border:4', 'control'],
    ] as const) {
      assert.throws(
        () => validateManifest({ ...fixtureManifest('a', [0]), control: bad }),
        (e: Error) => RunFormatError.is(e) && e.message.includes(`${field} `),
        field,
      );
    }
  });
});
