/**
 * The direct runner (src/native/ortDirect.ts, native/ort-direct/ortDirect.c) against
 * onnxruntime-node's own binding on the same runtime: the same bits for every layer of the fixture
 * exports and for the float64 Gram model, preallocated outputs filled in place (the caller's very
 * arrays, no copy), outputs by name with their dims, and every misuse one error, never a crash.
 *
 * On Linux the module must be built (`npm run build` builds it; CI fails here if it did not).
 */
import assert from 'node:assert/strict';
import { gramModel, GRAM_ACCUMULATOR, GRAM_COLUMNS, GRAM_OUTPUT, GRAM_ROWS } from '../../../src/onnx/gramModel';
import { directRunner, DirectSession, RUNNER_VARIABLE } from '../../../src/native/ortDirect';
import { createSession, nativeRuntime, sessionOptions, type OrtModule, type RuntimeSession } from '../../../src/native/ortRuntime';
import { onnxFixture, randomInputs } from '../../support/onnxFixtures';
import { rng } from '../../support/reference';

/** onnxruntime-node's Tensor, as the sessions take it. */
type Tensor = Parameters<RuntimeSession['run']>[0][string];

const FIXTURES = ['vgg_bn', 'resnet', 'mobilenetv2', 'densenet', 'se', 'ops'];

describe('the direct runner: ONNX Runtime without the binding’s copies', function () {
  this.timeout(120_000);
  let ort: OrtModule;
  let direct: Exclude<ReturnType<typeof directRunner>, { reason: string }>['direct'];

  before(function () {
    const runtime = nativeRuntime();
    if ('reason' in runtime) throw new Error(`the native runtime does not load here: ${runtime.reason}`);
    ort = runtime.ort;
    const runner = directRunner();
    if (process.platform !== 'linux') {
      assert.ok('reason' in runner);
      this.skip();
    }
    if ('reason' in runner) throw new Error(`the direct runner does not load on Linux: ${runner.reason}`);
    direct = runner.direct;
  });

  const bindingSession = (bytes: Uint8Array) => ort.InferenceSession.create(bytes, sessionOptions('cpu'));
  const directSession = (bytes: Uint8Array) => DirectSession.create(direct, ort, bytes, 2, false);

  it('is what createSession gives on the CPU', async () => {
    const { session, provider } = await createSession(ort, onnxFixture('ops').bytes, 'cpu');
    assert.equal(provider, 'cpu');
    assert.ok(session instanceof DirectSession);
    await session.release();
  });

  for (const name of FIXTURES)
    it(`${name}: every layer bit for bit the binding's, written into the caller's arrays`, async () => {
      const { bytes, layers } = onnxFixture(name);
      const count = 5;
      const inputs = randomInputs(layers, count, 7);
      const feeds = { input: new ort.Tensor('float32', inputs, [count, ...layers[0].outputShape]) };
      const names = layers.slice(1).map((l) => l.name);
      const expected = await (await bindingSession(bytes)).run(feeds, names);
      const session = directSession(bytes);
      const arrays = layers.slice(1).map((l) => new Float32Array(count * l.outputShape.reduce((a, b) => a * b, 1)).fill(NaN));
      const fetches = Object.fromEntries(
        names.map((n, k) => [n, new ort.Tensor('float32', arrays[k], [count, ...layers[k + 1].outputShape])]),
      );
      const out = await session.run(feeds, fetches);
      const byName = await session.run(feeds, names);
      names.forEach((n, k) => {
        assert.equal(out[n].data, arrays[k], `${n}: the caller's array`);
        assert.deepEqual(Buffer.from(arrays[k].buffer), Buffer.from((expected[n].data as Float32Array).buffer), `${n}: in place`);
        assert.deepEqual(byName[n].dims, expected[n].dims, `${n}: dims by name`);
        assert.deepEqual(byName[n].data, expected[n].data, `${n}: by name`);
      });
      await session.release();
    });

  it('runs the float64 Gram model to the binding’s bits', async () => {
    const r = rng(3);
    const rows = Float64Array.from({ length: 7 * 300 }, () => r() - 0.5);
    const columns = Float64Array.from({ length: 9 * 300 }, () => r() - 0.5);
    const accumulator = Float64Array.from({ length: 7 * 9 }, () => r());
    const feeds = {
      [GRAM_ROWS]: new ort.Tensor('float64', rows, [7, 300]),
      [GRAM_COLUMNS]: new ort.Tensor('float64', columns, [9, 300]),
      [GRAM_ACCUMULATOR]: new ort.Tensor('float64', accumulator, [7, 9]),
    };
    const expected = await (await bindingSession(gramModel())).run(feeds, [GRAM_OUTPUT]);
    const session = directSession(gramModel());
    const out = await session.run(feeds, [GRAM_OUTPUT]);
    assert.equal(out[GRAM_OUTPUT].type, 'float64');
    assert.deepEqual(out[GRAM_OUTPUT].dims, [7, 9]);
    assert.deepEqual(out[GRAM_OUTPUT].data, expected[GRAM_OUTPUT].data);
    await session.release();
  });

  it('refuses each misuse with one error, the process unharmed', async () => {
    const { bytes, layers } = onnxFixture('ops');
    const shape = layers[0].outputShape;
    const per = shape.reduce((a, b) => a * b, 1);
    const session = directSession(bytes);
    const good = { input: new ort.Tensor('float32', new Float32Array(2 * per), [2, ...shape]) };
    const last = layers[layers.length - 1];
    await assert.rejects(session.run({ nope: good.input }, [last.name]), /input name|nope/i);
    await assert.rejects(session.run(good, ['no-such-output']), /output name|no-such-output/i);
    await assert.rejects(
      session.run({ input: new ort.Tensor('float32', new Float32Array(2 * per), [2, ...shape]).reshape([1, 2 * per]) }, [last.name]),
      /./,
    );
    const wrongDims = { type: 'float32', data: new Float32Array(2 * per), dims: [3, ...shape] } as unknown as Tensor;
    await assert.rejects(session.run({ input: wrongDims }, [last.name]), /dims do not match/);
    await assert.rejects(
      session.run(good, { [last.name]: new ort.Tensor('float32', new Float32Array(1), [1]) }),
      /./,
      'an output array of the wrong size',
    );
    await assert.rejects(
      session.run({ input: new ort.Tensor('int32', new Int32Array(2 * per), [2, ...shape]) }, [last.name]),
      /float32 and float64/,
    );
    assert.throws(() => directSession(new Uint8Array([1, 2, 3, 4])), /protobuf|model/i);
    // Released while a run is in flight: the run ends first, the next is refused.
    const running = session.run(good, [last.name]);
    await session.release();
    await running;
    await assert.rejects(session.run(good, [last.name]), /released/);
  });

  it(`stays off with ${RUNNER_VARIABLE}=binding`, () => {
    const saved = process.env[RUNNER_VARIABLE];
    process.env[RUNNER_VARIABLE] = 'binding';
    try {
      assert.deepEqual(directRunner(), { reason: `${RUNNER_VARIABLE}=binding` });
    } finally {
      if (saved === undefined) delete process.env[RUNNER_VARIABLE];
      else process.env[RUNNER_VARIABLE] = saved;
    }
  });
});
