import { CONTROL_THRESHOLDS } from '../../../src/service/findings/control';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { formatFindings } from '../../../src/cli/findings';
import { THRESHOLDS } from '../../../src/service/findings/thresholds';
import type { FindingsAnswer } from '../../../src/contract/queries';
import { copyFixtureRun } from '../../support/fixtureRuns';

// `cnn-slicer findings` (dist/cli.js) on the tiny recorded run: the table, the JSON answer, and
// a bad epoch's one-line message; then the table's layout on a hand-made answer.
const CLI = path.resolve(__dirname, '../../../dist/cli.js');
const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });

describe('cnn-slicer findings', function () {
  this.timeout(240_000);
  let runs = '';
  let folder = '';

  before(async function () {
    if (!existsSync(CLI)) assert.fail('dist/cli.js is missing; run "npm run build" first');
    const r = copyFixtureRun('tiny', 'cnn-slicer-findings-');
    runs = r.runs;
    folder = r.folder;
  });

  after(function () {
    if (runs) rmSync(runs, { recursive: true, force: true });
  });

  it('--json prints the findings answer of the last epoch, with every threshold', function () {
    const r = run('findings', folder, '--json');
    assert.equal(r.status, 0, r.stderr);
    const a = JSON.parse(r.stdout) as FindingsAnswer;
    assert.equal(a.epoch, 2);
    assert.deepEqual(a.thresholds, { ...THRESHOLDS, ...CONTROL_THRESHOLDS });
    // The tiny model has layers of several channels: the evidence was measured, not skipped.
    assert.ok(!a.skipped.some((s) => s.kind === 'near-duplicate-channels'), JSON.stringify(a.skipped));
    for (const f of a.findings) assert.equal(f.epoch, 2);
  });

  it('prints a table at the epoch asked, the same findings as the JSON', function () {
    const table = run('findings', folder, '--epoch', '1');
    assert.equal(table.status, 0, table.stderr);
    const json = JSON.parse(run('findings', folder, '--epoch', '1', '--json').stdout) as FindingsAnswer;
    assert.equal(table.stdout, formatFindings(json));
    assert.match(
      table.stdout,
      json.findings.length ? /^Findings at epoch 1:\nseverity +layer +source +finding/ : /^No findings at epoch 1\./,
    );
  });

  it('a bad epoch or run is one line on stderr and exit code 2', function () {
    const r = run('findings', folder, '--epoch', '9');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^cnn-slicer: epoch 9 is not recorded in run .*; recorded epochs: 0, 1, 2\n$/);
    const bad = run('findings', folder, '--epoch', 'x');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /^cnn-slicer: --epoch must be a non-negative integer, got "x"\n$/);
    const missing = run('findings', path.join(runs, 'nothing-here'));
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /does not exist\n$/);
  });
});

describe('the findings table', function () {
  it('has one row per finding: severity, layer, file:line, message; then what was not checked', function () {
    const a: FindingsAnswer = {
      epoch: 3,
      thresholds: {},
      skipped: [{ kind: 'probe-loss-rising', reason: 'one epoch' }],
      findings: [
        {
          kind: 'dead-channels',
          severity: 'warning',
          layer: 3,
          layerName: 'conv2',
          source: { file: '/w/examples/lenet.ts', line: 15, column: 13 },
          epoch: 3,
          message: '2 dead channels of 16: 4, 9',
          detail: '',
          evidence: {},
          view: { view: 'channel' },
        },
        {
          kind: 'measurement-ceiling',
          severity: 'information',
          epoch: 3,
          message: 'saturated',
          detail: '',
          evidence: {},
          view: { view: 'query' },
        },
      ],
    };
    assert.equal(
      formatFindings(a),
      [
        'Findings at epoch 3:',
        'severity  layer  source       finding',
        'warning   conv2  lenet.ts:15  2 dead channels of 16: 4, 9',
        'info      —      —            saturated',
        'not checked: probe-loss-rising (one epoch)',
        '',
      ].join('\n'),
    );
  });

  it('writes the measured ablation of a finding once, after its message', function () {
    const text = formatFindings({
      epoch: 3,
      thresholds: {},
      skipped: [],
      findings: [
        {
          kind: 'near-duplicate-channels',
          severity: 'information',
          epoch: 3,
          message: '7 channels could go',
          detail: '',
          evidence: {},
          view: { view: 'information' },
          ablation: { channels: [0, 2], mode: 'zero', accuracyBefore: 0.192, accuracyAfter: 0.218, lossBefore: 2.1, lossAfter: 2.109 },
        },
      ],
    });
    assert.match(text, /7 channels could go; zeroing these 2 channels: probe accuracy 19\.2% → 21\.8%, loss \+0\.009\n/);
    assert.equal(text.split('zeroing').length, 2, 'once');
  });
});
