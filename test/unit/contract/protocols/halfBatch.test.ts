import assert from 'node:assert/strict';
import {
  HalfBatchInit,
  HalfBatchResult,
  HalfBatchStep,
  parseHalfBatchMessage,
  parseHalfBatchReply,
} from '../../../../src/contract/protocols/halfBatch';

/** An init for 3 inputs of shape [2, 2, 1]: 12 float32 inputs, 3 int32 labels. */
function init(): HalfBatchInit {
  return {
    kind: 'init',
    backend: 'wasm',
    topology: '{"class_name":"Sequential"}',
    loss: 'categoricalCrossentropy',
    targets: 'one-hot',
    classes: 10,
    inputs: new SharedArrayBuffer(3 * 4 * 4),
    labels: new SharedArrayBuffer(3 * 4),
    shape: [2, 2, 1],
    partInputs: Infinity,
  };
}

function step(): HalfBatchStep {
  return { kind: 'step', weights: [new Float32Array(4), new Float32Array(1)], indices: Int32Array.from([2, 0]), batchSize: 4 };
}

function result(): HalfBatchResult {
  return { grads: [new Float32Array(4), new Float32Array(1)], loss: 0.5, correct: 1 };
}

/** The one line the parser throws for `raw`. */
function refusal(parse: (raw: unknown) => unknown, raw: unknown): string {
  try {
    parse(raw);
  } catch (e) {
    const message = (e as Error).message;
    assert.ok(!message.includes('\n'), `more than one line: ${message}`);
    return message;
  }
  assert.fail(`accepted ${JSON.stringify(raw)}`);
}

describe('half-batch protocol: the worker parses its init and step messages', () => {
  it('accepts a good init and a good step, their buffers kept (not copied)', () => {
    const i = init();
    const parsedInit = parseHalfBatchMessage(i);
    assert.deepEqual(parsedInit, i);
    assert.equal(parsedInit.kind === 'init' && parsedInit.inputs, i.inputs);
    const s = step();
    const parsedStep = parseHalfBatchMessage(s);
    assert.equal(parsedStep.kind === 'step' && parsedStep.weights[1], s.weights[1]);
    assert.equal(parsedStep.kind === 'step' && parsedStep.indices, s.indices);
  });

  it('accepts a whole number of inputs per gradient part, and every loss and target the trainer sends', () => {
    assert.equal((parseHalfBatchMessage({ ...init(), partInputs: 8 }) as HalfBatchInit).partInputs, 8);
    for (const loss of ['binaryCrossentropy', 'meanSquaredError', 'sparseCategoricalCrossentropy', 'softmaxCrossEntropy'])
      assert.equal((parseHalfBatchMessage({ ...init(), loss }) as HalfBatchInit).loss, loss);
    for (const targets of ['binary', 'label'])
      assert.equal((parseHalfBatchMessage({ ...init(), targets }) as HalfBatchInit).targets, targets);
  });

  const badInits: [string, Record<string, unknown>, RegExp][] = [
    ['an unknown loss', { loss: 'hinge' }, /^a malformed half-batch message: loss: /],
    ['unknown targets', { targets: 'soft' }, /^a malformed half-batch message: targets: /],
    ['a backend the worker cannot start', { backend: 'tensorflow' }, /backend: /],
    ['an empty topology', { topology: '' }, /topology: the model topology is empty/],
    ['inputs in an ArrayBuffer, not shared memory', { inputs: new ArrayBuffer(48) }, /inputs: must be a SharedArrayBuffer/],
    ['labels as a typed array', { labels: new Int32Array(3) }, /labels: must be a SharedArrayBuffer/],
    ['a fractional number of classes', { classes: 2.5 }, /classes: /],
    ['a fractional part size', { partInputs: 2.5 }, /partInputs: must be a positive integer or Infinity/],
    ['a part of no inputs', { partInputs: 0 }, /partInputs: /],
    ['an empty shape', { shape: [] }, /shape: /],
    ['a shape with a zero axis', { shape: [2, 0, 1] }, /shape\.1: /],
    ['labels that are not whole int32s', { labels: new SharedArrayBuffer(7) }, /the labels buffer does not hold whole int32 labels/],
    [
      'inputs shorter than one per label',
      { inputs: new SharedArrayBuffer(3 * 4 * 4 - 4) },
      /the inputs buffer is shorter than one float32 input/,
    ],
  ];
  for (const [what, change, expected] of badInits) {
    it(`refuses an init with ${what}, in one line`, () => {
      assert.match(refusal(parseHalfBatchMessage, { ...init(), ...change }), expected);
    });
  }

  const badSteps: [string, Record<string, unknown>, RegExp][] = [
    ['weights as plain arrays', { weights: [[0, 0, 0, 0]] }, /weights\.0: must be a Float32Array/],
    ['float64 weights', { weights: [new Float64Array(4)] }, /weights\.0: must be a Float32Array/],
    ['indices as a plain array', { indices: [0, 1] }, /indices: must be an Int32Array/],
    ['no inputs in its half', { indices: new Int32Array(0) }, /the half must hold 1 to batchSize inputs/],
    ['more inputs in its half than the batch', { indices: Int32Array.from([0, 1, 2]), batchSize: 2 }, /the half must hold 1 to batchSize/],
    ['an empty batch', { batchSize: 0 }, /batchSize: /],
  ];
  for (const [what, change, expected] of badSteps) {
    it(`refuses a step with ${what}, in one line`, () => {
      assert.match(refusal(parseHalfBatchMessage, { ...step(), ...change }), expected);
    });
  }

  it('refuses what is no message of the protocol', () => {
    assert.match(refusal(parseHalfBatchMessage, { kind: 'train' }), /^a malformed half-batch message: kind: /);
    assert.match(refusal(parseHalfBatchMessage, 'step'), /^a malformed half-batch message: /);
    assert.match(refusal(parseHalfBatchMessage, null), /^a malformed half-batch message: /);
    const { weights: _weights, ...withoutWeights } = step();
    assert.match(refusal(parseHalfBatchMessage, withoutWeights), /weights: /);
  });
});

describe('half-batch protocol: the trainer parses the replies', () => {
  it("accepts an init's answer, a step's result and a failure", () => {
    assert.deepEqual(parseHalfBatchReply({ ok: true }), { ok: true });
    const r = result();
    const parsed = parseHalfBatchReply({ ok: true, result: r });
    assert.equal(parsed.ok && parsed.result?.grads[0], r.grads[0]);
    assert.deepEqual(parseHalfBatchReply({ ok: false, error: 'the model has no layers' }), { ok: false, error: 'the model has no layers' });
  });

  const badReplies: [string, unknown, RegExp][] = [
    ['gradients as plain arrays', { ok: true, result: { ...result(), grads: [[0.1]] } }, /result\.grads\.0: must be a Float32Array/],
    ['a fractional count of correct predictions', { ok: true, result: { ...result(), correct: 0.5 } }, /result\.correct: /],
    ['a loss that is no number', { ok: true, result: { ...result(), loss: '0.5' } }, /result\.loss: /],
    ['a failure without its error', { ok: false }, /error: /],
    ['no ok', { result: result() }, /ok: /],
    ['garbage', 42, /: /],
  ];
  for (const [what, raw, expected] of badReplies) {
    it(`refuses a reply with ${what}, in one line naming the second training thread`, () => {
      const message = refusal(parseHalfBatchReply, raw);
      assert.match(message, /^a malformed reply from the second training thread: /);
      assert.match(message, expected);
    });
  }
});
