/**
 * The editor's findings query (src/extension/editor/findingsRequest.ts): about the newest epoch by
 * number, from no view (so no newer query cancels it), asked again per run state, and asked again
 * after a cancellation, a bounded number of times. The service side is
 * test/integration/extension/editor/findingsRequest.test.ts.
 */
import assert from 'node:assert/strict';
import { QueryError } from '../../../../src/contract/queries';
import {
  askFindingsAgain,
  FINDINGS_ASKED_AGAIN,
  findingsAnswerable,
  findingsRequest,
  findingsStateKey,
} from '../../../../src/extension/editor/findingsRequest';
import { fixtureManifest } from '../../../support/runFixture';

const run = (epochs: number[], status: 'completed' | 'recording' = 'completed') => ({
  manifest: { ...fixtureManifest('r1', epochs), status },
});

describe('extension/editor/findingsRequest: the findings of the newest epoch, never cancelled by the next', () => {
  it('asks the newest epoch by number, at background priority, from no view', () => {
    assert.deepEqual(findingsRequest(run([0, 1])), { query: { kind: 'findings', epoch: 1 }, options: { priority: 'background' } });
    assert.deepEqual(findingsRequest(run([0, 1, 2]))?.query, { kind: 'findings', epoch: 2 });
    assert.equal(findingsRequest(run([])), undefined);
    assert.equal(findingsRequest(run([0, 1]))?.options.view, undefined);
  });

  it('asks a PyTorch run about its measured epochs while it still trains; a TensorFlow.js run once it ends', () => {
    const pytorch = (epochs: number[], status: 'completed' | 'recording') => ({
      manifest: {
        ...run(epochs, status).manifest,
        checkpoint: { format: 'onnx' as const, file: 'model.onnx', opset: 17, producer: 'pytorch 1.13' },
      },
    });
    assert.equal(findingsAnswerable(pytorch([0, 1], 'recording')), true);
    assert.equal(findingsAnswerable(pytorch([], 'recording')), false, 'no measured epoch yet');
    assert.equal(findingsAnswerable(run([0, 1], 'recording')), false);
    assert.equal(findingsAnswerable(run([0, 1], 'completed')), true);
    assert.equal(findingsAnswerable(run([], 'completed')), false);
  });

  it('a new epoch or a new status is a new state; the same epochs read again are not', () => {
    assert.notEqual(findingsStateKey(run([0, 1])), findingsStateKey(run([0, 1, 2])));
    assert.notEqual(findingsStateKey(run([0, 1], 'recording')), findingsStateKey(run([0, 1])));
    assert.equal(findingsStateKey(run([0, 1])), findingsStateKey(run([0, 1])));
  });

  it('asks again after a cancellation, at most FINDINGS_ASKED_AGAIN times; never after another error', () => {
    const cancelled = new QueryError('cancelled', 'the query was cancelled');
    assert.equal(askFindingsAgain(cancelled, 0), true);
    assert.equal(askFindingsAgain(cancelled, FINDINGS_ASKED_AGAIN - 1), true);
    assert.equal(askFindingsAgain(cancelled, FINDINGS_ASKED_AGAIN), false);
    assert.equal(askFindingsAgain(new QueryError('epoch-not-recorded', 'epoch 9 is not recorded'), 0), false);
    assert.equal(askFindingsAgain(new Error('cancelled'), 0), false);
  });
});
