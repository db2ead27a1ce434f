/**
 * Whether the extension measures a PyTorch run (src/extension/runs/pendingMeasureDecision.ts): only a
 * run whose recorder has stopped and whose epochs await their measures, not twice in one window, and
 * never while another process holds the run's measuring lock (it waits for it instead).
 */
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import type { MeasureLock } from '../../../../src/contract/measureLockFormat';
import { decideMeasure, leftToAnother } from '../../../../src/extension/runs/pendingMeasureDecision';
import type { RunRecord } from '../../../../src/run/store';
import { fixtureManifest } from '../../../support/runFixture';

function run(status: RunRecord['manifest']['status'], pendingEpochs: number[]): Pick<RunRecord, 'pending' | 'manifest'> {
  const manifest = { ...fixtureManifest('r1', []), status };
  const pending = pendingEpochs.map((epoch) => ({ epoch, pending: 'measures' }) as unknown as NonNullable<RunRecord['pending']>[number]);
  return { manifest, ...(pending.length ? { pending } : {}) };
}

const follower: MeasureLock = { pid: 4242, host: hostname(), startedAt: '2026-11-27T10:00:00.000Z', follow: true };

describe('extension/runs/pendingMeasureDecision: one measurer per run', () => {
  it('measures a stopped run with pending epochs that no process measures', () => {
    assert.deepEqual(decideMeasure(run('completed', [1, 2]), undefined, false), { kind: 'measure' });
    assert.deepEqual(decideMeasure(run('interrupted', [2]), undefined, false), { kind: 'measure' });
  });

  it("waits while the recorder's measure --follow (or any live process) holds the lock", () => {
    assert.deepEqual(decideMeasure(run('completed', [1, 2]), follower, false), { kind: 'wait', holder: follower });
  });

  it('leaves alone a run still recording, one with nothing pending, and one this window measures already', () => {
    assert.deepEqual(decideMeasure(run('recording', [1]), undefined, false), { kind: 'skip' });
    assert.deepEqual(decideMeasure(run('recording', [1]), follower, false), { kind: 'skip' });
    assert.deepEqual(decideMeasure(run('completed', []), undefined, false), { kind: 'skip' });
    assert.deepEqual(decideMeasure(run('completed', [1]), undefined, true), { kind: 'skip' });
    assert.deepEqual(decideMeasure(run('completed', [1]), follower, true), { kind: 'skip' });
  });

  it('tells a measure that left the run to another process by its one line', () => {
    assert.equal(leftToAnother('run /x/r1 is being measured by process 12 since 2026-11-27T10:00:00.000Z; not measuring it twice\n'), true);
    assert.equal(leftToAnother('epoch 1: measured 10 layers (probe accuracy 8.3%)\n'), false);
    assert.equal(leftToAnother(''), false);
  });
});
