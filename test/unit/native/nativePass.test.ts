import assert from 'node:assert/strict';
import { PASS_WORKER_LAYER_BYTES, passOnWorker } from '../../../src/native/nativePass';

describe('where an epoch pass runs (nativePass.ts passOnWorker)', () => {
  const layer = (...outputShape: number[]) => ({ outputShape });

  it('on the worker while the largest layer over the inputs is at most PASS_WORKER_LAYER_BYTES', () => {
    // kuangliu's CIFAR ResNet-18, probe 500: its largest layer is 64 × 32 × 32, 131 MB over 500 inputs.
    const resnet18 = [layer(3, 32, 32), layer(64, 32, 32), layer(512, 4, 4), layer(10)];
    assert.equal(passOnWorker(resnet18, 500), true);
    // torchvision's ResNet-50 at 224 × 224, probe 100: 64 × 112 × 112 is 321 MB over 100 inputs.
    const resnet50 = [layer(3, 224, 224), layer(64, 112, 112), layer(2048, 1, 1), layer(10)];
    assert.equal(passOnWorker(resnet50, 100), false);
    assert.equal(passOnWorker(resnet50, 63), false); // 202.3 MB
    assert.equal(passOnWorker(resnet50, 62), true); // 199.1 MB
  });

  it('counts only the layers 1..last of the pass, not the input', () => {
    const wideInput = [layer(3, 4096, 4096), layer(8, 8, 8), layer(10)];
    assert.equal(passOnWorker(wideInput, 100), true);
    const bytes = PASS_WORKER_LAYER_BYTES;
    const exact = [layer(1), layer(bytes / 4 / 2), layer(1)];
    assert.equal(passOnWorker(exact, 2), true);
    assert.equal(passOnWorker(exact, 3), false);
    assert.equal(passOnWorker(exact, 3, 0), true);
  });
});
