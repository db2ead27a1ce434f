import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { READ_RUN_FORMAT_VERSION } from '../../../src/contract/runFormat';
import { readRun } from '../../../src/run/store';
import { FIXTURE_RUNS, fixtureRunFolder, type FixtureRunName } from '../../support/fixtureRuns';
// @ts-expect-error: a JavaScript build script with JSDoc types, imported for its pure functions
import { fixtureSpecs, staleReason } from '../../../scripts/test-fixtures.mjs';

interface FixtureSpec {
  name: FixtureRunName;
  why: string;
  model: string;
  args: string[];
}

const specs = (fixtureSpecs as () => FixtureSpec[])();
const stale = staleReason as (spec: FixtureSpec) => string | undefined;

/** The value of `option` in a fixture's record arguments. */
function option(spec: FixtureSpec, name: string): string | undefined {
  const i = spec.args.indexOf(name);
  return i < 0 ? undefined : spec.args[i + 1];
}

// The run folders the tests read instead of training are what their spec and model file record
// today: when either changes, or the reader no longer takes them, this fails and says to record them
// again with `node scripts/test-fixtures.mjs <name>` (docs/testing.md, "Fixture runs").
describe('the fixture runs (scripts/test-fixtures.mjs) are current', () => {
  it('names the fixtures: a LeNet on the digits, ResNet-ish graphs, the tiny model and the runs the service and comparison tests query, each a runs folder of one run', () => {
    assert.deepEqual(specs.map((s) => s.name).sort(), [
      'dead-layer',
      'graph-branches',
      'graph-edges',
      'graph-segments',
      'graph-untrained',
      'label-carrier',
      'mnist-lenet',
      'one-conv-block-seed2',
      'residual-duplicates',
      'tiny',
      'tiny-cli-query',
      'tiny-damaged',
      'tiny-probe-loss',
      'tiny-seed2',
      'tiny-training-subset',
      'untrained-seed2',
    ]);
    for (const spec of specs) {
      const runs = readdirSync(join(FIXTURE_RUNS, spec.name), { withFileTypes: true }).filter((e) => e.isDirectory());
      assert.equal(runs.length, 1, `${spec.name} holds ${runs.length} runs`);
    }
  });

  for (const spec of specs) {
    it(`${spec.name}: recorded from its spec and its model file as they are now, and read by this version`, () => {
      const reason = stale(spec);
      assert.equal(reason, undefined, `${reason}: record it again with "node scripts/test-fixtures.mjs ${spec.name}"`);
      const { manifest, metrics } = readRun(fixtureRunFolder(spec.name));
      assert.equal(manifest.status, 'completed');
      assert.ok(manifest.formatVersion <= READ_RUN_FORMAT_VERSION);
      const epochs = Number(option(spec, '--epochs'));
      assert.deepEqual(
        manifest.epochs,
        Array.from({ length: epochs + 1 }, (_, e) => e),
      );
      // A class-balanced probe (--probe-per-class) holds that many inputs of each class.
      const perClass = option(spec, '--probe-per-class');
      if (perClass === undefined) assert.equal(manifest.probe.size, Number(option(spec, '--probe')));
      else assert.ok(manifest.probe.classCounts.every((n) => n === Number(perClass)));
      assert.equal(metrics.length, epochs + 1);
    });
  }

  it('calls a fixture stale when its spec or model changed, or it was never recorded', () => {
    const [spec] = specs;
    assert.match(String(stale({ ...spec, args: [...spec.args, '--lr', '0.01'] })), /spec in fixtures.json changed/);
    assert.match(String(stale({ ...spec, model: 'test/fixtures/models/deadLayer.ts' })), /deadLayer.ts changed since it was recorded/);
    assert.match(String(stale({ ...spec, name: 'never-recorded' as FixtureRunName })), /never-recorded: not recorded/);
  });
});
