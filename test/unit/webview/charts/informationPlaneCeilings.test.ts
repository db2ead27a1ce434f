// The information plane's ceilings named on the chart (webview/charts/informationPlaneCeilings.ts):
// in a comparison whose runs' H(S) differ by a few pixels (0.479 and 0.462 bits), each line's label
// is centred on its own line, names its run and takes its colour; a note never sits on a line.
import assert from 'node:assert/strict';
import { scaleLinear } from 'd3-scale';
import { ceilingLayout } from '../../../../webview/charts/informationPlaneCeilings';
import { distinctValues, intersects, M } from '../../../../webview/charts/informationPlaneGeometry';

const WIDTH = 730;
const HEIGHT = 420;
const TEXT = { ixtCeiling: 'capacity ceiling', ityCeiling: 'H(S)' };
const RUNS = [
  { name: 'A', colour: 'blue' },
  { name: 'B', colour: 'orange' },
];
// The comparison of the issue: the plane's y axis to 0.5 bits, the capacity ceilings off the scale.
const x = scaleLinear()
  .domain([0, 3])
  .range([M.left, WIDTH - M.right]);
const y = scaleLinear()
  .domain([0, 0.5])
  .range([HEIGHT - M.bottom, M.top]);

describe('information plane: the ceilings named on the chart', () => {
  it('groups equal values (as printed) with every run they are of', () => {
    assert.deepEqual(distinctValues([0.4791, 0.462, 0.4794, null]), [
      { bits: 0.4791, runs: [0, 2] },
      { bits: 0.462, runs: [1] },
    ]);
  });

  it("centres each run's H(S) label on its own line, names its run and takes its colour", () => {
    const layout = ceilingLayout(
      { ixt: { inRange: [], offScale: distinctValues([5, 5.5]) }, ity: { inRange: distinctValues([0.479, 0.462]), offScale: [] } },
      x,
      y,
      WIDTH,
      RUNS,
      TEXT,
    );
    const lines = layout.ity.lines;
    assert.deepEqual(
      lines.map((l) => [l.text, l.colour]),
      [
        ['A: H(S) = 0.479', 'blue'],
        ['B: H(S) = 0.462', 'orange'],
      ],
    );
    for (const l of lines) {
      assert.equal(l.y, y(l.value.bits), `${l.text}: drawn at its own value`);
      assert.equal(l.box.y + l.box.height / 2, y(l.value.bits), `${l.text}: its middle is its line`);
    }
    assert.ok(!intersects(lines[0].box, lines[1].box), 'the two labels stay apart');
    // The lines are ~12 px apart: neither runs through the other's label.
    for (const l of lines)
      for (const o of lines)
        if (o !== l) assert.ok(o.y < l.box.y || o.y > l.box.y + l.box.height, `${o.text}'s line misses ${l.text}'s label`);
    // The notes of the off-scale capacity ceilings: named with their run, off every line and label.
    assert.deepEqual(
      layout.ixt.notes.map((n) => [n.text, n.colour]),
      [
        ['A: capacity ceiling = 5.000', 'blue'],
        ['B: capacity ceiling = 5.500', 'orange'],
      ],
    );
    for (const n of layout.ixt.notes) {
      for (const l of lines) {
        assert.ok(l.y < n.box.y || l.y > n.box.y + n.box.height, `${l.text}'s line misses the note ${n.text}`);
        assert.ok(!intersects(l.box, n.box), `${l.text} and ${n.text} stay apart`);
      }
    }
    assert.ok(!intersects(layout.ixt.notes[0].box, layout.ixt.notes[1].box));
    assert.equal(layout.boxes.length, 4, 'every label and note is an obstacle for the trajectories’ labels');
  });

  it('names a value every run shares once, plainly, and a single run’s values without a run name', () => {
    const shared = ceilingLayout(
      { ixt: { inRange: [], offScale: [] }, ity: { inRange: distinctValues([0.479, 0.479]), offScale: [] } },
      x,
      y,
      WIDTH,
      RUNS,
      TEXT,
    );
    assert.deepEqual(
      shared.ity.lines.map((l) => [l.text, l.colour, l.runs]),
      [['H(S) = 0.479', undefined, '0 1']],
    );
    const single = ceilingLayout(
      { ixt: { inRange: distinctValues([2.5]), offScale: [] }, ity: { inRange: distinctValues([0.479]), offScale: [] } },
      x,
      y,
      WIDTH,
      [{}],
      TEXT,
    );
    assert.deepEqual(
      [...single.ixt.lines, ...single.ity.lines].map((l) => [l.text, l.colour]),
      [
        ['capacity ceiling = 2.500', undefined],
        ['H(S) = 0.479', undefined],
      ],
    );
  });
});
