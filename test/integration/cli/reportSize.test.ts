import assert from 'node:assert/strict';
import { cpSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { writeReport } from '../../../src/cli/report';
import { budgetOrder, encodeAnswers, entryBytes } from '../../../src/cli/reportAnswers';
import { deadlineSignal } from '../../../src/cli/reportCompute';
import { AnalysisEngine } from '../../../src/service/engine';
import { canonicalQuery, decodeFloat32, encodeFloat32 } from '../../../src/contract/queries';
import type { FeatureMapsAnswer, Query } from '../../../src/contract/queries';
import type { ReportData } from '../../../src/contract/reportCodec';
import { reportDataSource, ViewError } from '../../../webview/data';
import { decodeEntries, decodeEntry, quantise, quantisePictures } from '../../../src/contract/reportCodec';
import type { ReportAnswer } from '../../../src/contract/reportCodec';
import { copyFixtureRun } from '../../support/fixtureRuns';
import { HANDLERS } from '../../../src/service/handlers';
import { checkCancelled } from '../../../src/service/handlers/capacityMatrix';
import { embeddedJson } from '../../../src/contract/page';

// The report's size bounds (docs/views.md, "Report size"): pictures at 8 bits, answers gzipped and
// decoded by the page's own decoder (DecompressionStream, which Node has too), a --max-mb budget.

function embedded(file: string): ReportData {
  const html = readFileSync(file, 'utf8');
  const json = embeddedJson(html);
  assert.ok(json, 'the report embeds its data');
  return JSON.parse(json) as ReportData;
}

describe('report size: 8-bit pictures', function () {
  it('keeps each picture within one 255th of its own range, and its min and max exact', function () {
    // Two pictures of very different ranges: one quantisation step each is its own range / 255.
    const values = new Float32Array([0, 0.5, 1, 2, -1000, 0, 500, 1000]);
    const q = quantise(encodeFloat32([2, 4], values), 1);
    assert.equal(q.dtype, 'uint8');
    assert.deepEqual(q.mins, [0, -1000]);
    assert.deepEqual(q.maxs, [2, 1000]);
    const answer = quantisePictures('featureMaps', { maps: encodeFloat32([1, 2, 1, 4], values), min: -1000, max: 1000 });
    return decodeEntry({ answer }).then((d) => {
      assert.ok('answer' in d);
      const back = decodeFloat32((d.answer as FeatureMapsAnswer).maps);
      for (let i = 0; i < 4; i++) assert.ok(Math.abs(back[i] - values[i]) <= 2 / 255 / 2 + 1e-6, `value ${i}: ${back[i]} vs ${values[i]}`);
      for (let i = 4; i < 8; i++)
        assert.ok(Math.abs(back[i] - values[i]) <= 2000 / 255 / 2 + 1e-3, `value ${i}: ${back[i]} vs ${values[i]}`);
      assert.equal(back[0], 0);
      assert.equal(back[3], 2);
      assert.equal(back[4], -1000);
      assert.equal(back[7], 1000);
    });
  });

  it('leaves the numbers people read (entropies, capacities) untouched', function () {
    const capacity = { layerI: 1, layerJ: 2, values: [0.123456789, null, 1.5] };
    assert.deepEqual(quantisePictures('capacityMatrix', capacity), capacity);
  });
});

describe('report time: the deadline signal', function () {
  it('aborts when read past its deadline, though the event loop has not turned (its listeners called at once)', function () {
    const { signal, clear } = deadlineSignal(performance.now() + 30);
    let heard = 0;
    signal.addEventListener('abort', () => heard++);
    assert.equal(signal.aborted, false);
    // Busy, as a forward pass awaiting settled promises is: no timer runs.
    for (const until = performance.now() + 60; performance.now() < until;);
    assert.equal(heard, 0, 'no timer has fired');
    assert.equal(signal.aborted, true);
    assert.equal(heard, 1);
    assert.throws(() => signal.throwIfAborted());
    clear();
  });

  it('never aborts with an infinite budget, and at once with none left', function () {
    const never = deadlineSignal(Number.POSITIVE_INFINITY);
    assert.equal(never.signal.aborted, false);
    never.clear();
    assert.equal(deadlineSignal(performance.now() - 1).signal.aborted, true);
  });
});

describe('report size: a written report', function () {
  this.timeout(300_000);
  let dir = '';
  let folder = '';

  before(function () {
    // The checked-in tiny run (test/fixtures/runs/tiny), copied into dir/runs.
    const r = copyFixtureRun('tiny', 'cnn-slicer-report-size-');
    dir = path.dirname(r.runs);
    folder = r.folder;
  });

  after(function () {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const options = (out: string, maxBytes?: number) => ({
    runFolder: folder,
    out,
    maxEpochs: 2,
    deconvolutionChannels: 2,
    datasetDiversity: false,
    theme: 'light' as const,
    maxBytes,
    maxSeconds: Number.POSITIVE_INFINITY,
  });

  it('round-trips: the page’s decoder gives back the engine’s answers, pictures within one 8-bit step', async function () {
    const out = path.join(dir, 'full.html');
    const r = await writeReport(options(out));
    assert.deepEqual(r.omitted, []);
    // Each class alone is held too, within budget.
    assert.ok(r.classes && r.classes.total > 0 && r.classes.held === r.classes.total, JSON.stringify(r.classes));
    const data = embedded(out);
    assert.ok(
      Object.values(data.answers).some((e) => 'gzip' in e),
      'large answers are stored gzipped',
    );
    const decoded = await decodeEntries(data.answers);
    const engine = new AnalysisEngine({ roots: [path.dirname(folder)] });
    try {
      let pictures = 0;
      for (const [key, entry] of Object.entries(decoded)) {
        assert.ok(!('omitted' in entry), `${key} is in the report`);
        if (!('answer' in entry)) continue;
        const expected = (await engine.answer(folder, JSON.parse(key) as Query)).answer as unknown as Record<string, unknown>;
        const got = entry.answer as Record<string, unknown>;
        for (const field of Object.keys(expected)) {
          const e = expected[field] as { dtype?: string } | undefined;
          if (e?.dtype === 'float32') {
            const want = decodeFloat32(e as never);
            const have = decodeFloat32(got[field] as never);
            assert.equal(have.length, want.length, `${key} ${field} length`);
            const range = (expected.max as number) - (expected.min as number);
            for (let i = 0; i < want.length; i++)
              assert.ok(Math.abs(have[i] - want[i]) <= range / 255, `${key} ${field}[${i}]: ${have[i]} vs ${want[i]}`);
            pictures++;
          } else assert.deepEqual(got[field], expected[field], `${key} ${field} is exact`);
        }
      }
      assert.ok(pictures > 0, 'the report holds pictures');
    } finally {
      engine.close();
    }
  });

  it('holds a small budget by leaving the largest answers out, each replaced by a note the view shows as "not in this report"', async function () {
    const full = await writeReport(options(path.join(dir, 'unbounded.html')));
    // The page without answers (the bundle, the stylesheet) plus half of the answers.
    const answerBytes = Object.values(full.sizes).reduce((n, x) => n + x.embeddedBytes, 0);
    // The per-class answers (not in `sizes`: they only fill the room left) are left out of the page too.
    const classBytes = Object.entries(embedded(path.join(dir, 'unbounded.html')).answers)
      .filter(([k]) => /"classes":\[/.test(k))
      .reduce((n, [k, e]) => n + entryBytes(k, e), 0);
    const maxBytes = Math.round(full.bytes - classBytes - answerBytes / 2);
    const out = path.join(dir, 'bounded.html');
    const r = await writeReport(options(out, maxBytes));
    assert.ok(r.bytes <= maxBytes, `${r.bytes} bytes within the budget of ${maxBytes}`);
    assert.ok(r.omitted.length > 0, 'something was left out');
    const data = embedded(out);
    // The per-class answers come after the all-input ones: a page that had to cut those holds no
    // class, and computes none (they would all be thrown away).
    assert.equal(r.classes?.held, 0);
    assert.equal(r.classes?.overSize, r.classes?.total);
    assert.deepEqual(
      Object.keys(r.timings ?? {}).filter((kind) => kind.endsWith('(class alone)')),
      [],
      'no class computed',
    );
    assert.ok(
      Object.keys(full.timings ?? {}).some((kind) => kind.endsWith('(class alone)')),
      'the unbounded report computed them',
    );
    assert.deepEqual(data.subsets, []);
    assert.ok(!Object.keys(data.answers).some((k) => /"classes":\[/.test(k)), 'no per-class answer');
    const omittedKey = Object.keys(data.answers).find((k) => 'omitted' in data.answers[k]);
    assert.ok(omittedKey);
    const source = reportDataSource(data);
    await assert.rejects(source.query(JSON.parse(omittedKey) as never, { view: 'layer' }), (e: unknown) => {
      assert.ok(e instanceof ViewError);
      assert.equal(e.code, 'not-in-report');
      // The note names the size budget that left the answer out, and only it.
      assert.match(e.message, /left out of this report to keep it under .* \(it would add [\d.]+ [kM]B\).*--max-mb/);
      assert.doesNotMatch(e.message, /--max-seconds/);
      return true;
    });
    // The run itself is never left out: every view starts from it.
    assert.ok('answer' in (await decodeEntry(data.answers[canonicalQuery({ kind: 'run' })])));
  });

  it('holds a time budget: past it, answers that run the model and are not cached are left out with a note; cached ones are reused', async function () {
    // A copy without the answer cache the other tests filled.
    const copy = path.join(path.dirname(folder), 'uncached');
    cpSync(folder, copy, { recursive: true });
    rmSync(path.join(copy, 'cache'), { recursive: true, force: true });
    const out = path.join(dir, 'timed.html');
    const none = await writeReport({ ...options(out), runFolder: copy, maxSeconds: 0 });
    assert.ok(none.outOfTime.length > 0, 'forward-pass answers were left out');
    // A class is held whole or not at all: past the budget none is, and none leaves a note.
    assert.equal(none.classes?.held, 0);
    const data = embedded(out);
    const left = Object.keys(data.answers).filter((k) => 'omitted' in data.answers[k]);
    assert.equal(left.length, none.outOfTime.length);
    const kinds = new Set(left.map((k) => (JSON.parse(k) as Query).kind));
    for (const kind of kinds)
      assert.ok(
        [
          'capacityMatrix',
          'layerCapacity',
          'featureMaps',
          'deconvolution',
          'confusion',
          'channelPair',
          'channelLabelInformation',
          'networkGraph',
          'channelImportance',
          // The one Taylor pass the importance answers read, asked before them.
          'channelImportanceEstimate',
          // Shown first, but it runs the model too: a zero budget starts it no more than the others.
          'findings',
        ].includes(kind),
        kind,
      );
    // What reads the recorded summaries is always there.
    for (const kind of ['run', 'training', 'channelEntropies', 'interSample', 'smallMultiples', 'informationPlane'])
      assert.ok(
        Object.keys(data.answers).some((k) => (JSON.parse(k) as Query).kind === kind && !('omitted' in data.answers[k])),
        kind,
      );
    assert.match(data.coverage, /not computed within the report's 0 s \(--max-seconds\)/);
    const source = reportDataSource(data);
    await assert.rejects(source.query(JSON.parse(left[0]) as never, { view: 'layer' }), (e: unknown) => {
      assert.ok(e instanceof ViewError && e.code === 'not-in-report');
      assert.match(e.message, /time budget of 0 s.*--max-seconds/);
      assert.doesNotMatch(e.message, /--max-mb/);
      return true;
    });
    // A report with time computes (and caches) everything; the same zero budget then leaves nothing out.
    const full = await writeReport({ ...options(path.join(dir, 'timed-full.html')), runFolder: copy });
    assert.deepEqual(full.outOfTime, []);
    const again = await writeReport({ ...options(path.join(dir, 'timed-again.html')), runFolder: copy, maxSeconds: 0 });
    // Only refusals are not cached (a dense layer cannot be deconvolved): nothing computed is left out.
    assert.ok(again.outOfTime.length <= full.errors, again.outOfTime.join('\n'));
    assert.ok(again.outOfTime.length < none.outOfTime.length);
    assert.ok(
      again.outOfTime.every((line) => line.startsWith('The deconvolution')),
      again.outOfTime.join('\n'),
    );
  });

  it('bounds its time: at the deadline the answer computing is cancelled, left out whole with a note, and the page written', async function () {
    const copy = path.join(path.dirname(folder), 'uncached-slow');
    cpSync(folder, copy, { recursive: true });
    rmSync(path.join(copy, 'cache'), { recursive: true, force: true });
    // The findings (computed first) made slow: a pass that looks for cancellation every 20 ms, as
    // the handlers' loops do, for at most two minutes.
    const original = HANDLERS.findings;
    let started = 0;
    HANDLERS.findings = async (q, ctx) => {
      started++;
      for (const until = performance.now() + 120_000; performance.now() < until;) {
        await new Promise((r) => setTimeout(r, 20));
        checkCancelled(ctx);
      }
      return original(q, ctx);
    };
    const out = path.join(dir, 'bounded.html');
    const maxSeconds = 2;
    const t = performance.now();
    let r: Awaited<ReturnType<typeof writeReport>>;
    try {
      r = await writeReport({ ...options(out), runFolder: copy, maxSeconds });
    } finally {
      HANDLERS.findings = original;
    }
    const seconds = (performance.now() - t) / 1000;
    assert.equal(started, 1, 'the findings were started');
    assert.ok(seconds < maxSeconds + 5, `written ${seconds.toFixed(1)} s after it began (budget ${maxSeconds} s)`);
    assert.deepEqual(r.cancelled, ['The findings']);
    assert.ok(r.outOfTime.includes('The findings'));
    const data = embedded(out);
    const findingsKey = canonicalQuery({ kind: 'findings' });
    const entry = data.answers[findingsKey];
    assert.ok(entry && 'omitted' in entry, 'the cancelled findings are left out, not shown in part');
    assert.match(entry.omitted, /The findings was left out .*stopped when the report reached its time budget of 2 s\. .*--max-seconds/);
    assert.match(data.coverage, /not computed within the report's 2 s \(--max-seconds\) \(1 of them stopped midway, none shown in part\)/);
    // A cancelled answer is not cached: a report with time computes it.
    const engine = new AnalysisEngine({ roots: [path.dirname(copy)] });
    try {
      assert.equal(engine.isCached(copy, { kind: 'findings' }), false);
    } finally {
      engine.close();
    }
    // What reads the recorded summaries is there all the same.
    assert.ok('answer' in (await decodeEntry(data.answers[canonicalQuery({ kind: 'run' })])));
  });

  it('orders a time-budgeted plan: stored summaries first, then forward passes from the last epoch back', function () {
    const plan = [
      { query: { kind: 'capacityMatrix', layerI: 1, layerJ: 2, epoch: 0 } },
      { query: { kind: 'interSample', layer: 1, epoch: 0 } },
      { query: { kind: 'capacityMatrix', layerI: 1, layerJ: 2, epoch: 2 } },
      { query: { kind: 'featureMaps', layer: 1, epoch: 2 } },
      { query: { kind: 'training' } },
    ] as { query: Query }[];
    assert.deepEqual(
      budgetOrder(plan).map((p) => `${p.query.kind}@${'epoch' in p.query ? p.query.epoch : '-'}`),
      ['interSample@0', 'training@-', 'capacityMatrix@2', 'featureMaps@2', 'capacityMatrix@0'],
    );
    // The findings, a forward-pass kind planned anywhere, come before everything: the page shows them first.
    const withFindings = [...plan, { query: { kind: 'findings' } }, { query: { kind: 'channelImportance', layer: 1, epoch: 2 } }] as {
      query: Query;
    }[];
    assert.deepEqual(
      budgetOrder(withFindings).map((p) => `${p.query.kind}@${'epoch' in p.query ? p.query.epoch : '-'}`),
      ['findings@-', 'interSample@0', 'training@-', 'capacityMatrix@2', 'featureMaps@2', 'channelImportance@2', 'capacityMatrix@0'],
    );
  });

  it('encodes within budget even when the answers alone exceed it', function () {
    const big: Record<string, ReportAnswer> = {};
    for (let e = 0; e < 4; e++) {
      const noise = new Float32Array(4000).map((_, i) => Math.sin(i * 7.1 + e) * 1e3);
      big[canonicalQuery({ kind: 'deconvolution', layer: 1, channel: 0, epoch: e, x: { kind: 'all' } })] = {
        answer: { projections: encodeFloat32([1, 4000], noise), min: -1e3, max: 1e3 },
      };
    }
    const size = (entries: Record<string, unknown>) =>
      1000 + Object.entries(entries).reduce((n, [k, v]) => n + JSON.stringify(k).length + JSON.stringify(v).length + 2, 0);
    const unbounded = size(encodeAnswers(big, 1000, Infinity).entries);
    const budget = Math.round(unbounded * 0.6);
    const { entries, omitted } = encodeAnswers(big, 1000, budget);
    assert.ok(size(entries) <= budget, `${size(entries)} bytes within ${budget}`);
    assert.ok(omitted.length >= 1 && omitted.length < 4, omitted.join('\n'));
  });
});
