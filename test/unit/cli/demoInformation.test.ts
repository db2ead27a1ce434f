import assert from 'node:assert/strict';
import { formatInformationPlane } from '../../../src/cli/demoInformation';
import { fixtureManifest, fixtureMetrics } from '../support/runFixture';

describe("the demo's information-plane table", () => {
  const manifest = fixtureManifest('run-1', [0, 2]);
  const withPlane = (epoch: number, scale: number) => {
    const m = fixtureMetrics(epoch);
    m.layers = m.layers.map((l) => ({
      ...l,
      labelInformationBits: 0.1 * scale * l.layer,
      inputCapacityBits: 0.5 * scale,
      binnedInformation: { ixtBits: 2, ityBits: 1, saturated: l.layer === 2 },
    }));
    return m;
  };

  it('prints every layer but the input with both estimators at the first and last epoch, saturated points starred', () => {
    const text = formatInformationPlane(manifest, withPlane(0, 1), withPlane(2, 2));
    const lines = text.trim().split('\n');
    assert.match(lines[0], /epoch 0 → epoch 2 \(bits, 4 probe inputs\)/);
    // Four probe inputs of two classes: 2 of 6 pairs share a label, H(S) = 0.918; H(Y) = 1; log2 4 = 2.
    assert.match(text, /at most H\(S\) = 0\.918/);
    assert.match(text, /log2 N = 2\.000, I\(T;Y\) at most H\(Y\) = 1\.000/);
    const rows = lines.slice(4);
    assert.deepEqual(
      rows.map((r) => r.split(/\s{2,}/)),
      [
        ['conv', '0.500 → 1.000', '0.100 → 0.200', '2.000 → 2.000', '1.000 → 1.000'],
        ['dense', '0.500 → 1.000', '0.200 → 0.400', '2.000* → 2.000*', '1.000* → 1.000*'],
      ],
    );
  });
  it('says so for a run recorded before the plane was measured', () => {
    assert.match(formatInformationPlane(manifest, fixtureMetrics(0), fixtureMetrics(2)), /recorded before the information plane/);
  });
});
