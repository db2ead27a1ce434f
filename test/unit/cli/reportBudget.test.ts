/**
 * A report over its size budget (src/cli/report.ts `encodeAnswers`, src/contract/reportCodec.ts): wide
 * layers' feature maps are summarised to their first channels before anything is left out, the
 * deconvolutions of higher channels go before those of lower ones, and the page reads only the
 * embedded format versions it knows.
 */
import assert from 'node:assert/strict';
import { pageReserveMs, REPORT_CONSECUTIVE_PAIRS, reportConsecutivePairs } from '../../../src/cli/report';
import { encodeAnswers, holdAnswer } from '../../../src/cli/reportAnswers';
import { canonicalQuery, decodeFloat32, encodeFloat32 } from '../../../src/contract/queries';
import type { FeatureMapsAnswer } from '../../../src/contract/queries';
import {
  decodeEntry,
  keepChannels,
  quantisePictures,
  REPORT_FORMAT_VERSION,
  reportVersionProblem,
} from '../../../src/contract/reportCodec';
import type { QuantisedFeatureMaps, ReportAnswer, ReportEntry } from '../../../src/contract/reportCodec';
import { rng } from '../../support/reference';

const SAMPLE = { kind: 'perClass', count: 1, seed: 0 } as const;

/** A feature-maps answer of `channels` channels of 16×16 noise for 4 inputs: value = channel + noise. */
function featureMaps(layer: number, channels: number, seed: number): FeatureMapsAnswer {
  const random = rng(seed);
  const [n, h, w] = [4, 16, 16];
  const maps = new Float32Array(n * channels * h * w);
  for (let i = 0; i < n; i++)
    for (let c = 0; c < channels; c++) for (let p = 0; p < h * w; p++) maps[(i * channels + c) * h * w + p] = c + random();
  return {
    layer,
    epoch: 0,
    inputs: [0, 1, 2, 3],
    labels: [0, 1, 2, 3],
    channels: Array.from({ length: channels }, (_, c) => c),
    maps: encodeFloat32([n, channels, h, w], maps),
    min: 0,
    max: channels,
    channelRanges: Array.from({ length: channels }, (_, c) => [c, c + 1]),
  };
}

function mapsKey(layer: number, channels: number): string {
  return canonicalQuery({ kind: 'featureMaps', layer, channels: Array.from({ length: channels }, (_, c) => c), epoch: 0, x: SAMPLE });
}

function deconvolutionKey(layer: number, channel: number): string {
  return canonicalQuery({ kind: 'deconvolution', layer, channel, epoch: 0, x: SAMPLE });
}

function deconvolution(seed: number): ReportAnswer {
  const random = rng(seed);
  return {
    answer: {
      projections: encodeFloat32(
        [4, 16, 16, 1],
        Float32Array.from({ length: 1024 }, () => random()),
      ),
      min: 0,
      max: 1,
    },
  };
}

const pageBytes = (entries: Record<string, unknown>, fixed: number) =>
  fixed + Object.entries(entries).reduce((n, [k, v]) => n + JSON.stringify(k).length + JSON.stringify(v).length + 2, 0);

describe('report budget: summarise before leaving out', () => {
  it('keepChannels keeps the first channels of every input, with their ranges', () => {
    const full = featureMaps(3, 10, 1);
    const kept = keepChannels(full, 4);
    assert.deepEqual(kept.channels, [0, 1, 2, 3]);
    assert.deepEqual(kept.maps.shape, [4, 4, 16, 16]);
    assert.deepEqual(kept.channelRanges, full.channelRanges.slice(0, 4));
    const a = decodeFloat32(full.maps);
    const b = decodeFloat32(kept.maps);
    for (let i = 0; i < 4; i++) assert.deepEqual(b.subarray(i * 4 * 256, (i + 1) * 4 * 256), a.subarray(i * 10 * 256, (i * 10 + 4) * 256));
    assert.equal(keepChannels(full, 10), full);
  });

  it('keepChannels cuts quantised maps to exactly the bytes of quantising the cut maps', () => {
    const full = featureMaps(3, 10, 7);
    // A picture with a non-finite value quantises to a flat one: still per picture.
    const values = decodeFloat32(full.maps);
    values[(1 * 10 + 2) * 256 + 5] = NaN;
    full.maps = encodeFloat32(full.maps.shape, values);
    for (const count of [1, 4, 9, 10]) {
      const quantisedThenCut = keepChannels(quantisePictures('featureMaps', full) as QuantisedFeatureMaps, count);
      assert.equal(JSON.stringify(quantisedThenCut), JSON.stringify(quantisePictures('featureMaps', keepChannels(full, count))));
    }
  });

  it('writes the same page from answers held as embedded (holdAnswer) as from whole ones, at every budget', async () => {
    const whole: Record<string, ReportAnswer> = {
      [mapsKey(1, 128)]: { answer: featureMaps(1, 128, 1) },
      [mapsKey(2, 70)]: { answer: featureMaps(2, 70, 2) },
      [mapsKey(3, 8)]: { answer: featureMaps(3, 8, 3) },
    };
    for (const layer of [1, 2]) for (let c = 0; c < 12; c++) whole[deconvolutionKey(layer, c)] = deconvolution(layer * 100 + c);
    const held: Record<string, ReportAnswer | undefined> = {};
    const encoded = new Map<string, { entry: ReportEntry; rawBytes: number }>();
    for (const [key, entry] of Object.entries(whole)) {
      const h = holdAnswer((JSON.parse(key) as { kind: string }).kind, (entry as { answer: unknown }).answer);
      held[key] = h.whole;
      encoded.set(key, await h.encoded);
    }
    // Only the feature maps, which the budget may cut, are held whole.
    assert.deepEqual(
      Object.keys(held).filter((k) => held[k] !== undefined),
      [mapsKey(1, 128), mapsKey(2, 70), mapsKey(3, 8)],
    );
    const unbounded = pageBytes(encodeAnswers(whole, 1000, Infinity).entries, 1000);
    let [summarised, omitted] = [0, 0];
    for (const share of [Infinity, 0.6, 0.3, 0.1, 0.02]) {
      const budget = share === Infinity ? Infinity : Math.round(unbounded * share);
      const expected = encodeAnswers(whole, 1000, budget);
      const actual = encodeAnswers(held, 1000, budget, undefined, encoded);
      assert.equal(JSON.stringify(actual), JSON.stringify(expected), `budget ${share}`);
      summarised += expected.summarised.length;
      omitted += expected.omitted.length;
    }
    assert.ok(summarised > 0 && omitted > 0, `the budgets summarise (${summarised}) and leave out (${omitted})`);
    assert.throws(() => encodeAnswers(held, 1000, Infinity), /held neither whole nor encoded/);
  });

  it('cuts the widest layers’ feature maps to their first channels, saying so, and leaves nothing out when that is enough', async () => {
    const answers: Record<string, ReportAnswer> = {
      [mapsKey(1, 128)]: { answer: featureMaps(1, 128, 1) },
      [mapsKey(2, 8)]: { answer: featureMaps(2, 8, 2) },
    };
    const unbounded = pageBytes(encodeAnswers(answers, 1000, Infinity).entries, 1000);
    const budget = Math.round(unbounded * 0.5);
    const { entries, omitted, summarised } = encodeAnswers(answers, 1000, budget);
    assert.ok(pageBytes(entries, 1000) <= budget, `${pageBytes(entries, 1000)} bytes within ${budget}`);
    assert.deepEqual(omitted, []);
    assert.equal(summarised.length, 1, summarised.join('\n'));
    const wide = entries[mapsKey(1, 128)];
    assert.ok(!('omitted' in wide));
    const decoded = await decodeEntry(wide);
    assert.ok('answer' in decoded);
    const maps = decoded.answer as FeatureMapsAnswer;
    const kept = maps.channels.length;
    assert.ok([64, 32].includes(kept), `${kept} channels kept`);
    assert.match(wide.summary ?? '', new RegExp(`channels 0–${kept - 1} of 128 only, to keep this report under \\d+ kB`));
    assert.equal(summarised[0], wide.summary);
    assert.deepEqual(
      maps.channels,
      Array.from({ length: kept }, (_, c) => c),
    );
    assert.deepEqual(maps.maps.shape, [4, kept, 16, 16]);
    // The narrow layer is whole.
    assert.ok(!('summary' in entries[mapsKey(2, 8)]));
  });

  it('leaves out the deconvolutions of higher channels before any of the lower ones', () => {
    const answers: Record<string, ReportAnswer> = {};
    for (const layer of [1, 2]) for (let c = 0; c < 16; c++) answers[deconvolutionKey(layer, c)] = deconvolution(layer * 100 + c);
    const unbounded = pageBytes(encodeAnswers(answers, 1000, Infinity).entries, 1000);
    const budget = Math.round(unbounded * 0.4);
    const { entries, omitted } = encodeAnswers(answers, 1000, budget);
    assert.ok(pageBytes(entries, 1000) <= budget);
    assert.ok(omitted.length > 16, `${omitted.length} left out`);
    for (const layer of [1, 2]) {
      const kept = Array.from({ length: 16 }, (_, c) => c).filter((c) => !('omitted' in entries[deconvolutionKey(layer, c)]));
      // Each layer keeps its lowest channels: every kept channel is below every left-out one.
      assert.ok(kept.length >= 1, `layer ${layer} keeps channel 0`);
      assert.deepEqual(
        kept,
        Array.from({ length: kept.length }, (_, c) => c),
        `layer ${layer} keeps ${kept.join(', ')}`,
      );
    }
    const note = entries[deconvolutionKey(1, 15)] as { omitted: string };
    assert.match(note.omitted, /left out of this report to keep it under .* [kM]B.*VS Code.*--max-mb/);
  });
});

describe('report format version', () => {
  it('the page reads versions 1 to the current one and refuses others with a message saying what to do', () => {
    assert.equal(REPORT_FORMAT_VERSION, 2);
    assert.equal(reportVersionProblem({ formatVersion: 1 }), undefined);
    assert.equal(reportVersionProblem({ formatVersion: 2 }), undefined);
    assert.match(reportVersionProblem({ formatVersion: 3 }) ?? '', /format version 3.*reads versions 1 to 2.*cnn-slicer report/);
    assert.match(reportVersionProblem({}) ?? '', /no format version/);
  });
});

describe('report of a deep model', () => {
  it('precomputes the capacity of at most 12 consecutive pairs, spread over the depth, besides the depth strip’s', () => {
    // 40 multi-channel layers after the input: 39 consecutive pairs.
    const layers = [{ index: 0, name: 'input', className: 'Input', outputShape: [8, 8, 3], channels: 3, parameters: 0 }];
    for (let l = 1; l <= 40; l++)
      layers.push({ index: l, name: `conv${l}`, className: 'Conv2D', outputShape: [8, 8, 4], channels: 4, parameters: 0 });
    const manifest = { layers } as unknown as Parameters<typeof reportConsecutivePairs>[0];
    const { kept, skipped } = reportConsecutivePairs(manifest);
    assert.equal(kept + skipped.size, 39);
    assert.equal(kept, REPORT_CONSECUTIVE_PAIRS);
    // The first pair (the Layer view's default) and the last are kept.
    assert.ok(!skipped.has('1:2') && !skipped.has('39:40'));
    // A shallow model keeps every pair.
    const shallow = { layers: layers.slice(0, 6) } as unknown as Parameters<typeof reportConsecutivePairs>[0];
    assert.equal(reportConsecutivePairs(shallow).skipped.size, 0);
  });
});

describe('report time budget: the page is written within --max-seconds', () => {
  it('stops computing 3 s before the budget ends, a tenth of a budget under 30 s', () => {
    assert.equal(pageReserveMs(60), 3000);
    assert.equal(pageReserveMs(1200), 3000);
    assert.equal(pageReserveMs(10), 1000);
    assert.equal(pageReserveMs(1), 100);
  });
});
