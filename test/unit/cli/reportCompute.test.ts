/**
 * The estimate tier of a report (src/cli/reportCompute.ts `withStandIns`, `computeAnswers`;
 * src/contract/plan.ts `reportStandIn`): a query with a stand-in is answered by it first, under its own
 * key, and its exact query runs last, replacing the stand-in when done, leaving it where the time
 * budget stops it, and replacing it with the refusal where the exact query is refused.
 */
import assert from 'node:assert/strict';
import { computeAnswers, withStandIns } from '../../../src/cli/reportCompute';
import type { ReportStep } from '../../../src/cli/reportCompute';
import { canonicalQuery, QueryError } from '../../../src/contract/queries';
import type { Query } from '../../../src/contract/queries';
import { capacityEstimateNote, queries, reportStandIn, standInPerClass } from '../../../src/contract/plan';
import type { AnalysisEngine } from '../../../src/service/engine';
import type { RunManifest } from '../../../src/contract/runFormat';
import { planLayer, planManifest } from '../../support/planManifest';

const ALL = { kind: 'all' } as const;
const importance: Query = { kind: 'channelImportance', layer: 3, epoch: 0 };
const matrix: Query = queries.capacityMatrix(1, 3, 0, ALL);
const plain: Query = queries.channelEntropies(3, 0, ALL);

/** A manifest of `size` probe inputs in `classCounts`. */
function manifestOf(classCounts: number[]): RunManifest {
  const m = planManifest([planLayer(0, 'input', 'Input', 3), planLayer(1, 'conv1', 'Conv2d', 8), planLayer(3, 'conv2', 'Conv2d', 8)], [0]);
  return { ...m, probe: { classCounts, size: classCounts.reduce((a, b) => a + b, 0) } } as unknown as RunManifest;
}
const manifest = manifestOf(Array.from({ length: 10 }, () => 20));

/** What the fake engine does for a query: answer it, or throw. */
type Behaviour = (query: Query, signal: AbortSignal | undefined) => unknown;

/** An engine that answers `{ of: canonical query }` unless `behave` says otherwise, and records what it was asked. */
function fakeEngine(behave: Behaviour = () => undefined): { engine: AnalysisEngine; asked: string[] } {
  const asked: string[] = [];
  const engine = {
    answer: (_run: string, query: Query, control: { signal?: AbortSignal } = {}) => {
      asked.push(canonicalQuery(query));
      try {
        const answer = behave(query, control.signal) ?? { of: canonicalQuery(query) };
        return Promise.resolve({ answer });
      } catch (e) {
        return Promise.reject(e instanceof Error ? e : new Error(String(e)));
      }
    },
    isCached: () => false,
    dropLayers: (run: string) => asked.push(`dropLayers ${run}`),
  };
  return { engine: engine as unknown as AnalysisEngine, asked };
}

function budgetOf(signal?: AbortSignal) {
  return {
    deadline: Infinity,
    maxSeconds: 60,
    groupOf: new Map<string, number>(),
    manifest,
    progress: { done: 0, total: 0 },
    timings: {},
    ...(signal ? { signal } : {}),
  };
}

const stand = (q: Query) => reportStandIn(q, manifest);

describe('report estimate tier: stand-ins first, exact queries last', () => {
  it('withStandIns puts each stand-in in its query’s place and the exact queries, in order, at the end', () => {
    const steps = withStandIns(
      [
        { view: 'information', query: importance },
        { view: 'channel', query: plain },
        { view: 'layer', query: matrix },
      ],
      stand,
    );
    assert.deepEqual(
      steps.map((s) => [s.query.kind, s.as && canonicalQuery(s.as), s.upgrade ?? false]),
      [
        ['channelImportance', canonicalQuery(importance), false],
        ['channelEntropies', undefined, false],
        ['capacityMatrix', canonicalQuery(matrix), false],
        ['channelImportance', undefined, true],
        ['capacityMatrix', undefined, true],
      ],
    );
    assert.deepEqual(steps[0].query, { ...importance, exact: 0 });
    assert.deepEqual(steps[2].query, { ...matrix, x: { kind: 'perClass', count: 4, seed: 0 } });
  });

  it('holds the exact answer when it is done, and nothing is an estimate', async () => {
    const { engine, asked } = fakeEngine();
    const r = await computeAnswers(
      engine,
      { runFolder: '/run' },
      withStandIns([{ view: 'information', query: importance }], stand),
      budgetOf(),
    );
    const key = canonicalQuery(importance);
    assert.deepEqual(asked, [canonicalQuery({ ...importance, exact: 0 }), key]);
    // (Held only encoded: src/cli/reportAnswers.ts holdAnswer.)
    assert.equal(key in r.answers, true);
    assert.deepEqual((r.encoded.get(key)?.entry as { answer: { of: string } }).answer.of, key);
    assert.equal(r.estimated.size, 0);
    assert.equal(r.outOfTime.size, 0);
  });

  it('keeps the stand-in, marked an estimate and not left out, when the budget stops the exact query midway', async () => {
    const controller = new AbortController();
    const { engine } = fakeEngine((q) => {
      if (q.kind === 'channelImportance' && q.exact === undefined) {
        controller.abort();
        throw new QueryError('cancelled', 'cancelled');
      }
      return undefined;
    });
    const steps = withStandIns([{ view: 'information', query: importance }], stand);
    const r = await computeAnswers(engine, { runFolder: '/run' }, steps, budgetOf(controller.signal));
    const key = canonicalQuery(importance);
    const standIn = canonicalQuery({ ...importance, exact: 0 });
    assert.equal(key in r.answers, true);
    assert.deepEqual((r.encoded.get(key)?.entry as { answer: { of: string } }).answer.of, standIn);
    assert.deepEqual([...r.estimated], [key]);
    assert.equal(r.outOfTime.size, 0);
    assert.equal(r.cancelled.size, 0);
  });

  it('does not start the exact query past the deadline, and keeps the stand-in', async () => {
    const controller = new AbortController();
    const { engine, asked } = fakeEngine((q) => {
      // The stand-in is the last thing done in time.
      if (q.kind === 'capacityMatrix') controller.abort();
      return undefined;
    });
    const steps: ReportStep[] = withStandIns([{ view: 'layer', query: matrix }], stand);
    const r = await computeAnswers(engine, { runFolder: '/run' }, steps, budgetOf(controller.signal));
    assert.equal(asked.length, 1);
    assert.deepEqual([...r.estimated], [canonicalQuery(matrix)]);
    assert.equal(r.outOfTime.size, 0);
  });

  it('shows the exact query’s refusal rather than its estimate', async () => {
    const { engine } = fakeEngine((q) => {
      if (q.kind === 'channelImportance' && q.exact === undefined) throw new QueryError('unsupported', 'no scored output');
      return undefined;
    });
    const r = await computeAnswers(
      engine,
      { runFolder: '/run' },
      withStandIns([{ view: 'information', query: importance }], stand),
      budgetOf(),
    );
    const key = canonicalQuery(importance);
    assert.deepEqual(r.answers[key], { error: { code: 'unsupported', message: 'no scored output' } });
    assert.equal(r.encoded.has(key), false);
    assert.equal(r.estimated.size, 0);
  });

  it('leaves out a query whose stand-in itself ran out of time, and runs no exact query for it', async () => {
    const controller = new AbortController();
    const { engine, asked } = fakeEngine(() => {
      controller.abort();
      throw new QueryError('cancelled', 'cancelled');
    });
    const r = await computeAnswers(
      engine,
      { runFolder: '/run' },
      withStandIns([{ view: 'information', query: importance }], stand),
      budgetOf(controller.signal),
    );
    const key = canonicalQuery(importance);
    assert.equal(asked.length, 1);
    assert.equal(r.outOfTime.has(key), true);
    assert.equal(r.estimated.size, 0);
    assert.equal(key in r.answers, false);
  });
});

describe('report estimate tier: which queries have a stand-in', () => {
  it('channel importance of zero ablation over every input, asked with the default exact sample', () => {
    assert.deepEqual(reportStandIn(importance, manifest), { ...importance, exact: 0 });
    for (const q of [
      { ...importance, exhaustive: true },
      { ...importance, exact: 4 },
      { ...importance, mode: 'mean' },
      { ...importance, x: { kind: 'classes', classes: [1] } },
    ] as Query[])
      assert.equal(reportStandIn(q, manifest), undefined, JSON.stringify(q));
    assert.deepEqual(reportStandIn({ ...importance, mode: 'zero' }, manifest), { ...importance, mode: 'zero', exact: 0 });
  });

  it('capacity over every input: a seeded sample per class under a quarter of the probe set', () => {
    assert.deepEqual(reportStandIn(queries.layerCapacity(1, 3, 0, ALL), manifest), {
      ...queries.layerCapacity(1, 3, 0, ALL),
      x: { kind: 'perClass', count: 4, seed: 0 },
    });
    assert.equal(reportStandIn(queries.capacityMatrix(1, 3, 0, { kind: 'classes', classes: [0] }), manifest), undefined);
    assert.equal(reportStandIn(plain, manifest), undefined);
  });

  it('standInPerClass: about 64 inputs, under a quarter of the probe, at least 3 per class', () => {
    // 10 classes of 20 (probe 200): ⌈64/10⌉ = 7, but a quarter is 50, so ⌊49/10⌋ = 4.
    assert.equal(standInPerClass(manifestOf(Array.from({ length: 10 }, () => 20))), 4);
    // 10 classes of 50 (probe 500): 7 per class, 70 inputs.
    assert.equal(standInPerClass(manifestOf(Array.from({ length: 10 }, () => 50))), 7);
    // 2 classes of 500: 32 per class.
    assert.equal(standInPerClass(manifestOf([500, 500])), 32);
    // 10 classes of 10 (probe 100): ⌊24/10⌋ = 2 per class is too few: no stand-in.
    assert.equal(standInPerClass(manifestOf(Array.from({ length: 10 }, () => 10))), undefined);
    // Empty classes are not counted: 2 classes of 100 (probe 200), ⌊49/2⌋ = 24.
    assert.equal(standInPerClass(manifestOf([0, 0, 100, 100])), 24);
    assert.equal(standInPerClass(manifestOf([0, 0])), undefined);
  });

  it('capacityEstimateNote: only for an answer over fewer inputs than every probe input the slice asked', () => {
    const note = capacityEstimateNote(40, manifest, ALL);
    assert.match(note ?? '', /an estimate, computed from a seeded sample of 40 of the 200 probe inputs/);
    assert.equal(capacityEstimateNote(200, manifest, ALL), undefined);
    assert.equal(capacityEstimateNote(40, manifest, { kind: 'classes', classes: [0, 1] }), undefined);
  });

  it('empties the engine’s caches of layers before and after a query that reads every layer over the probe set', async () => {
    const { engine, asked } = fakeEngine();
    const findings: Query = { kind: 'findings', epoch: 0 };
    await computeAnswers(
      engine,
      { runFolder: '/run' },
      [
        { view: 'channel', query: plain },
        { view: 'query', query: findings },
        { view: 'channel', query: plain },
      ],
      budgetOf(),
    );
    assert.deepEqual(asked, [canonicalQuery(plain), 'dropLayers /run', canonicalQuery(findings), 'dropLayers /run']);
  });
});

describe('report side by side: the Taylor pass beside the deconvolutions (SIDE_BY_SIDE)', () => {
  const taylor: Query = { kind: 'channelImportanceEstimate', epoch: 0 };
  const deconvolutions: Query[] = [queries.deconvolution(1, 0, 0), queries.deconvolution(3, 0, 0)];
  const native = { ...manifest, checkpoint: { format: 'onnx', file: 'model.onnx', opset: 13, producer: 'pytorch' } } as RunManifest;
  const steps = (): ReportStep[] => [
    { view: 'channel', query: plain },
    ...deconvolutions.map((query) => ({ view: 'channel', query })),
    { view: 'channel', query: matrix },
    { view: 'information', query: taylor },
    { view: 'layer', query: importance },
  ];

  it("a PyTorch run's Taylor pass starts with the first deconvolution, once, and is held at its own place", async () => {
    const { engine, asked } = fakeEngine();
    const budget = { ...budgetOf(), manifest: native };
    const r = await computeAnswers(engine, { runFolder: '/run' }, steps(), budget);
    assert.deepEqual(asked, [
      canonicalQuery(plain),
      'dropLayers /run',
      canonicalQuery(taylor),
      ...deconvolutions.map(canonicalQuery),
      canonicalQuery(matrix),
      'dropLayers /run',
      canonicalQuery(importance),
    ]);
    assert.equal(canonicalQuery(taylor) in r.answers, true);
    assert.equal((budget.timings as Record<string, { count: number }>).channelImportanceEstimate.count, 1);
  });

  it('a TensorFlow.js run computes it in its place', async () => {
    const { engine, asked } = fakeEngine();
    await computeAnswers(engine, { runFolder: '/run' }, steps(), budgetOf());
    assert.deepEqual(asked, [
      canonicalQuery(plain),
      ...deconvolutions.map(canonicalQuery),
      canonicalQuery(matrix),
      'dropLayers /run',
      canonicalQuery(taylor),
      'dropLayers /run',
      canonicalQuery(importance),
    ]);
  });

  it('started before the deadline, its answer is kept though its place comes after it', async () => {
    const budget = { ...budgetOf(), manifest: native };
    // The deadline passes while the deconvolutions compute.
    const { engine } = fakeEngine((q) => {
      if (q.kind === 'deconvolution') budget.deadline = 0;
      return undefined;
    });
    const r = await computeAnswers(engine, { runFolder: '/run' }, steps(), budget);
    assert.equal(canonicalQuery(taylor) in r.answers, true);
    assert.ok(r.outOfTime.has(canonicalQuery(matrix)), 'what was not started is left out');
  });

  it('its refusal is the answer at its place; any other failure fails the report', async () => {
    const refusing = fakeEngine((q) => {
      if (q.kind === 'channelImportanceEstimate') throw new QueryError('unsupported', 'no Taylor estimate here');
      return undefined;
    });
    const r = await computeAnswers(refusing.engine, { runFolder: '/run' }, steps(), { ...budgetOf(), manifest: native });
    assert.equal(r.errors, 1);
    assert.deepEqual(r.answers[canonicalQuery(taylor)], { error: { code: 'unsupported', message: 'no Taylor estimate here' } });
    assert.equal(canonicalQuery(importance) in r.answers, true, 'the steps after it still run');
    const failing = fakeEngine((q) => {
      if (q.kind === 'channelImportanceEstimate') throw new Error('boom');
      return undefined;
    });
    await assert.rejects(computeAnswers(failing.engine, { runFolder: '/run' }, steps(), { ...budgetOf(), manifest: native }), /boom/);
  });
});
