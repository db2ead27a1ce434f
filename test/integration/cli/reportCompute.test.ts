/**
 * A PyTorch run's report computes its Taylor pass beside its deconvolutions (src/cli/reportCompute.ts
 * SIDE_BY_SIDE): the page holds the answers each query gives computed alone, by a fresh engine.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeReport } from '../../../src/cli/report';
import { queries } from '../../../src/contract/plan';
import { canonicalQuery, type Query } from '../../../src/contract/queries';
import { decodeEntry, quantisePictures, restorePictures, type ReportData } from '../../../src/contract/reportCodec';
import type { RunManifest } from '../../../src/contract/runFormat';
import { measurePendingEpochs } from '../../../src/measure/measureRun';
import { AnalysisEngine } from '../../../src/service/engine';
import { copyPytorchRun } from '../../support/fixtureRuns';
import { embeddedJson } from '../../../src/contract/page';

/** As JSON has it (an encoded array's values are a getter). */
const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

describe('report of a PyTorch run: the Taylor pass beside the deconvolutions', function () {
  this.timeout(300_000);
  let dir: string;
  let folder: string;
  let runs: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cnn-slicer-side-'));
    ({ runs, folder } = copyPytorchRun(dir));
    await measurePendingEpochs(folder, { backend: 'wasm' });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('holds the Taylor estimate and the deconvolutions each computed alone gives', async () => {
    const out = join(dir, 'report.html');
    const r = await writeReport({
      runFolder: folder,
      out,
      maxEpochs: 1,
      deconvolutionChannels: 2,
      datasetDiversity: false,
      theme: 'light',
      maxSeconds: 600,
    });
    assert.deepEqual(r.outOfTime, [], 'nothing left out for time');
    const manifest = JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8')) as RunManifest;
    assert.equal(manifest.checkpoint?.format, 'onnx', 'a run the native engine serves');
    const json = embeddedJson(readFileSync(out, 'utf8'));
    assert.ok(json, 'the page embeds its data');
    const data = JSON.parse(json) as ReportData;
    const epoch = manifest.epochs[manifest.epochs.length - 1];
    const deconvolved = manifest.layers.filter((l) => l.index > 0 && l.outputShape.length === 3).map((l) => l.index);
    const asked: Query[] = [{ kind: 'channelImportanceEstimate', epoch }, ...deconvolved.map((l) => queries.deconvolution(l, 1, epoch))];
    const alone = new AnalysisEngine({ roots: [runs], cacheBytes: 0 });
    try {
      for (const q of asked) {
        const entry = data.answers[canonicalQuery(q)];
        assert.ok(entry, `the page holds ${canonicalQuery(q)}`);
        const held = await decodeEntry(entry);
        assert.ok('answer' in held, `${canonicalQuery(q)} is an answer`);
        // As the page holds it: pictures (the projections) quantised to 8 bits.
        const expected = restorePictures(quantisePictures(q.kind, (await alone.answer(folder, q)).answer));
        assert.deepEqual(plain(held.answer), plain(expected), canonicalQuery(q));
      }
    } finally {
      alone.close();
    }
  });
});
