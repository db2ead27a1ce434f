import assert from 'node:assert/strict';
import { exportCaption } from '../../../webview/export';

describe('exportCaption', () => {
  it('names the chart, the run, the linked layer and the epoch', () => {
    assert.equal(
      exportCaption({ chart: 'Capacity', runId: '20261122-104501-lenet', layer: 'conv1', epoch: 3 }),
      'Capacity — run 20261122-104501-lenet · layer conv1 · epoch 3',
    );
  });

  it('leaves out the layer when no layer is picked, and keeps epoch 0', () => {
    assert.equal(exportCaption({ chart: 'Loss', runId: 'r1', epoch: 0 }), 'Loss — run r1 · epoch 0');
  });

  it("reads a title spread over lines as one line, and a blank title as the run's facts alone", () => {
    assert.equal(exportCaption({ chart: '  Channel\n  packing ', runId: 'r1' }), 'Channel packing — run r1');
    assert.equal(exportCaption({ chart: ' ', runId: 'r1', layer: 'dense' }), 'run r1 · layer dense');
  });
});
