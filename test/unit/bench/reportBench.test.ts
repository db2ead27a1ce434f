// The bench compares two reports of one run answer by answer (`answerHashes`):
// an answer cut to stay under the size budget is cut by how far the report got, so it must only be
// compared with one cut alike.
import assert from 'node:assert/strict';
import { answerHashes } from '../../../bench/reportBench';

function page(answers: Record<string, object>): string {
  return `<html><script type="application/json" id="cnn-slicer-report">${JSON.stringify({ answers })}</script></html>`;
}

describe('report answer hashes', () => {
  const whole = { gzip: 'AAAA' };
  const cut16 = {
    gzip: 'BBBB',
    summary: 'The feature maps of layer 47, epoch 0: channels 0–15 of 64 only, to keep this report under 25 MB',
  };
  const cut32 = {
    gzip: 'CCCC',
    summary: 'The feature maps of layer 47, epoch 0: channels 0–31 of 64 only, to keep this report under 25 MB',
  };

  it('keys an answer by its query, a cut one by its query and its cut, and leaves out what was left out', () => {
    const hashes = answerHashes(page({ '{"kind":"a"}': whole, '{"kind":"b"}': cut16, '{"kind":"c"}': { omitted: 'out of time' } }));
    assert.deepEqual(Object.keys(hashes), ['{"kind":"a"}', `{"kind":"b"} cut: ${cut16.summary}`]);
  });

  it('gives two reports that cut one answer differently no key in common for it, and the same hash where they cut alike', () => {
    const a = answerHashes(page({ '{"kind":"featureMaps"}': cut16, '{"kind":"x"}': whole }));
    const b = answerHashes(page({ '{"kind":"featureMaps"}': cut32, '{"kind":"x"}': whole }));
    const c = answerHashes(page({ '{"kind":"featureMaps"}': cut16 }));
    const common = Object.keys(a).filter((k) => k in b);
    assert.deepEqual(common, ['{"kind":"x"}']);
    const key = `{"kind":"featureMaps"} cut: ${cut16.summary}`;
    assert.equal(a[key], c[key]);
  });

  it('refuses a page that embeds no data', () => {
    assert.throws(() => answerHashes('<html></html>'), /embeds no data/);
  });
});
