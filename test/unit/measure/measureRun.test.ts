/**
 * The metrics line of a measured PyTorch epoch (src/measure/measureRun.ts `metricsLine`): JSON as
 * it is appended, and one clear line where it cannot be one string (a model with very many classes).
 */
import assert from 'node:assert/strict';
import type { EpochMetrics, RunManifest } from '../../../src/contract/runFormat';
import { metricsLine } from '../../../src/measure/measureRun';

const manifest = { dataset: { classNames: Array.from({ length: 1000 }, (_, c) => `class ${c}`) } } as unknown as RunManifest;

describe('measureRun: the metrics line of an epoch', () => {
  it('is the line as JSON', () => {
    const line = { epoch: 3, layers: [] } as unknown as EpochMetrics;
    assert.equal(metricsLine(line, manifest), '{"epoch":3,"layers":[]}');
  });

  it('says in one line why it does not fit in one string, naming the classes and channels, instead of "Invalid string length"', () => {
    const layers = [
      {
        channelBits: new Array(2048).fill(0),
        toJSON: () => {
          throw new RangeError('Invalid string length');
        },
      },
    ];
    const line = { epoch: 0, layers } as unknown as EpochMetrics;
    assert.throws(
      () => metricsLine(line, manifest),
      (e: Error) =>
        /^epoch 0's measures do not fit in one metrics line: 2,048 channels and 1,000 classes are more than one line of JSON holds;/.test(
          e.message,
        ) && !e.message.includes('\n'),
    );
  });

  it('lets other errors through', () => {
    const line = {
      epoch: 0,
      layers: [
        {
          toJSON: () => {
            throw new TypeError('boom');
          },
        },
      ],
    } as unknown as EpochMetrics;
    assert.throws(() => metricsLine(line, manifest), TypeError);
  });
});
