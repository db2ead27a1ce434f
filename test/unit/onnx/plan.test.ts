/**
 * The ONNX plan's arithmetic (src/onnx/weights.ts: PyTorch's weight layouts in tfjs's, window pads
 * against TensorFlow's `same`) and its refusals (src/onnx/plan.ts: an op or option the engine cannot
 * run exactly is one line naming the op, the node and the layer), on graphs written out here. Whole
 * exported models are test/unit/tfjs/onnxModel.test.ts's.
 */
import assert from 'node:assert/strict';
import type { OnnxGraph, OnnxNode, OnnxTensor } from '../../../src/onnx/graph';
import { planCheckpoint, planLayers, SUPPORTED_OPS } from '../../../src/onnx/plan';
import { moduleOf } from '../../../src/onnx/planner';
import { ceilModeExtra, convKernel, depthwiseKernel, groupedConvKernel, paddingMode, samePads } from '../../../src/onnx/weights';

function node(
  opType: string,
  inputs: string[],
  outputs: string[],
  attributes: Record<string, OnnxNode['attributes'] extends ReadonlyMap<string, infer V> ? V : never> = {},
  name = `/${opType}`,
): OnnxNode {
  return { name, opType, domain: '', inputs, outputs, attributes: new Map(Object.entries(attributes)) };
}

function floats(name: string, dims: number[], data?: number[]): OnnxTensor {
  const size = dims.reduce((a, b) => a * b, 1);
  return { name, dataType: 'float32', dims, data: Float32Array.from(data ?? Array.from({ length: size }, (_, i) => i + 1)) };
}

/** A graph of one input `[N, ...shape]` and `nodes`, its outputs the model's output then the layers'. */
function graph(shape: number[], nodes: OnnxNode[], initializers: OnnxTensor[], outputs: string[]): OnnxGraph {
  return {
    irVersion: 7,
    opsets: new Map([['', 14]]),
    opset: 14,
    producer: 'test',
    name: 'test',
    nodes,
    initializers: new Map(initializers.map((t) => [t.name, t])),
    inputs: [{ name: 'input', elementType: 'float32', shape: ['N', ...shape] }],
    outputs: outputs.map((name) => ({ name, elementType: 'float32', shape: null })),
  };
}

describe('onnx plan: weights and windows', () => {
  it("moves a convolution's [O, I, kh, kw] to [kh, kw, I, O]", () => {
    // O = 2, I = 1, 1×2 kernel: w[o][0][0][x] = 10·o + x.
    const k = convKernel(Float32Array.from([0, 1, 10, 11]), [2, 1, 1, 2]);
    assert.deepEqual(k.shape, [1, 2, 1, 2]);
    assert.deepEqual(Array.from(k.data), [0, 10, 1, 11]);
  });

  it('writes a grouped convolution as one block-diagonal kernel', () => {
    // 2 groups, 1 input and 1 output channel each, 1×1: outputs read only their own group's input.
    const k = groupedConvKernel(Float32Array.from([3, 5]), [2, 1, 1, 1], 2);
    assert.deepEqual(k.shape, [1, 1, 2, 2]);
    assert.deepEqual(Array.from(k.data), [3, 0, 0, 5]);
  });

  it("moves a depthwise convolution's [C·m, 1, kh, kw] to [kh, kw, C, m]", () => {
    const k = depthwiseKernel(Float32Array.from([1, 2, 3, 4]), [4, 1, 1, 1], 2);
    assert.deepEqual(k.shape, [1, 1, 2, 2]);
    assert.deepEqual(Array.from(k.data), [1, 2, 3, 4]);
  });

  it("knows TensorFlow's same pads: symmetric at stride 1, the odd pad after at stride 2", () => {
    assert.deepEqual(samePads({ size: 8, kernel: 3, stride: 1, dilation: 1 }), [1, 1]);
    assert.deepEqual(samePads({ size: 8, kernel: 3, stride: 2, dilation: 1 }), [0, 1]);
    const axis = { size: 8, kernel: 3, stride: 1, dilation: 1, before: 1, after: 1 };
    assert.equal(paddingMode([axis, axis]), 'same');
    // PyTorch's padding=1 at stride 2 is not TensorFlow's same: an explicit padding step.
    assert.equal(paddingMode([{ ...axis, stride: 2 }]), 'explicit');
    assert.equal(paddingMode([{ ...axis, before: 0, after: 0 }]), 'valid');
  });

  it("pads a ceil-mode pooling after so that floor mode gives ceil mode's size", () => {
    // 5 values, window 2, stride 2: floor gives 2 windows, ceil 3 (the last one half outside).
    assert.equal(ceilModeExtra({ size: 5, kernel: 2, stride: 2, dilation: 1, before: 0, after: 0 }), 1);
    assert.equal(ceilModeExtra({ size: 4, kernel: 2, stride: 2, dilation: 1, before: 0, after: 0 }), 0);
  });

  it('reads the module path of a torch 1.13 node name', () => {
    assert.equal(moduleOf('/layer1/layer1.0/conv1/Conv'), 'layer1.0.conv1');
    assert.equal(moduleOf('/features/features.1/block/block.0/block.0.0/Conv'), 'features.1.block.0.0');
    assert.equal(moduleOf('/Flatten'), '');
  });
});

describe('onnx plan: steps', () => {
  const conv = (pads: number[], strides = [1, 1]) =>
    graph(
      [1, 4, 4],
      [node('Conv', ['input', 'w'], ['conv1'], { pads, strides, kernel_shape: [3, 3] }, '/conv1/Conv')],
      [floats('w', [2, 1, 3, 3])],
      ['conv1', 'conv1'],
    );

  it('names the steps of run layers by the graph outputs, and the others onnx/<node>', () => {
    const g = graph(
      [1, 4, 4],
      [
        node('Conv', ['input', 'w'], ['conv1'], { pads: [1, 1, 1, 1], strides: [2, 2], kernel_shape: [3, 3] }, '/conv1/Conv'),
        node('Flatten', ['conv1'], ['flat'], { axis: 1 }, '/Flatten'),
      ],
      [floats('w', [2, 1, 3, 3])],
      ['flat', 'conv1'],
    );
    const plan = planCheckpoint(g);
    assert.deepEqual(
      plan.steps.map((s) => [s.name, s.className, s.layer, s.outputShape.join('x')]),
      [
        ['onnx/conv1/Conv/pad', 'ZeroPadding2D', false, '1x6x6'],
        ['conv1', 'Conv2D', true, '2x2x2'],
        ['onnx/Flatten', 'Flatten', false, '8'],
      ],
    );
    assert.equal(plan.output.name, 'onnx/Flatten');
  });

  it("runs pads that are TensorFlow's same as `same`, without a padding step", () => {
    const plan = planCheckpoint(conv([1, 1, 1, 1]));
    assert.deepEqual(
      plan.steps.map((s) => [s.className, s.config.padding]),
      [['Conv2D', 'same']],
    );
  });

  it('refuses an op it does not know in one line naming the op, the node and the layer', () => {
    const g = graph([3], [node('Softplus', ['input'], ['soft'], {}, '/block/act/Softplus')], [], ['soft', 'soft']);
    assert.throws(
      () => planCheckpoint(g),
      (e: Error) => {
        assert.match(e.message, /^Softplus node \/block\/act\/Softplus \(layer soft\): the op Softplus, which CNN Slicer cannot import/);
        assert.ok(!e.message.includes('\n'));
        return true;
      },
    );
  });

  it('refuses an option the engine has no exact form of, naming the module', () => {
    const g = graph(
      [3, 4, 4],
      [node('Clip', ['input', 'lo', 'hi'], ['y'], {}, '/stem/clip/Clip')],
      [floats('lo', [], [-1]), floats('hi', [], [1])],
      ['y'],
    );
    assert.throws(() => planLayers(g, new Map(), 'y'), /Clip node \/stem\/clip\/Clip \(module stem\.clip\): a clip from -1/);
  });

  it('refuses a reshape that does not keep the batch axis', () => {
    const g = graph(
      [2, 2],
      [node('Reshape', ['input', 'shape'], ['y'], {}, '/Reshape')],
      [{ name: 'shape', dataType: 'int64', dims: [2], data: [1, -1] }],
      ['y'],
    );
    assert.throws(() => planLayers(g, new Map(), 'y'), /does not keep the batch axis/);
  });

  it('takes ReduceMean and ReduceMax over the spatial axes as a global pooling, flattened unless keepdims; refuses other axes', () => {
    const reduce = (op: string, attributes: Record<string, number[] | number>) =>
      planCheckpoint(graph([3, 4, 5], [node(op, ['input'], ['pooled'], attributes, `/${op}`)], [], ['pooled', 'pooled']));
    const kept = reduce('ReduceMean', { axes: [2, 3], keepdims: 1 });
    assert.deepEqual(
      kept.steps.map((s) => [s.name, s.className, s.layer, s.outputShape.join('x'), (s.config.poolSize as number[]).join('x')]),
      [['pooled', 'AveragePooling2D', true, '3x1x1', '4x5']],
    );
    const flat = reduce('ReduceMax', { axes: [-1, -2], keepdims: 0 });
    assert.deepEqual(
      flat.steps.map((s) => [s.className, s.layer, s.outputShape.join('x')]),
      [
        ['MaxPooling2D', false, '3x1x1'],
        ['Flatten', true, '3'],
      ],
    );
    assert.throws(
      () => reduce('ReduceMean', { axes: [1], keepdims: 0 }),
      /ReduceMean node \/ReduceMean .*a ReduceMean over the axes \[1\]; CNN Slicer imports one over the spatial axes \[2, 3\]/,
    );
    assert.throws(() => reduce('ReduceMax', { keepdims: 0 }), /a ReduceMax over every axis/);
  });

  it("passes a Concat of one input on (DenseNet's torch.cat([x], 1)), a recorded layer of its own", () => {
    const plan = planCheckpoint(
      graph(
        [2, 3, 3],
        [node('Relu', ['input'], ['relu'], {}, '/relu/Relu'), node('Concat', ['relu'], ['cat'], { axis: 1 }, '/Concat')],
        [],
        ['cat', 'relu', 'cat'],
      ),
    );
    assert.deepEqual(
      plan.steps.map((s) => [s.name, s.className, s.layer, s.inputs.map((i) => (i === 'input' ? i : i.name)).join()]),
      [
        ['relu', 'ReLU', true, 'input'],
        ['cat', 'Activation', true, 'relu'],
      ],
    );
  });

  it('takes a Slice or a Split of the channels as ChannelSlice steps, one a piece; refuses other axes and steps', () => {
    const ints = (name: string, data: number[]): OnnxTensor => ({ name, dataType: 'int64', dims: [data.length], data });
    const sliced = planCheckpoint(
      graph(
        [6, 2, 2],
        [
          node('Slice', ['input', 'a0', 'a1', 'axis'], ['left'], {}, '/Slice'),
          node('Slice', ['input', 'b0', 'b1', 'axis'], ['right'], {}, '/Slice_1'),
          node('Split', ['input', 'sizes'], ['s0', 's1'], { axis: 1 }, '/Split'),
          node('Concat', ['left', 'right', 's0', 's1'], ['cat'], { axis: 1 }, '/Concat'),
        ],
        [ints('a0', [0]), ints('a1', [2]), ints('b0', [2]), ints('b1', [Infinity]), ints('axis', [1]), ints('sizes', [1, 5])],
        ['cat', 'left', 'right', 's0', 's1', 'cat'],
      ),
    );
    assert.deepEqual(
      sliced.steps.map((s) => [s.name, s.className, s.outputShape.join('x'), s.config.begin, s.config.size]),
      [
        ['left', 'ChannelSlice', '2x2x2', 0, 2],
        ['right', 'ChannelSlice', '4x2x2', 2, 4],
        ['s0', 'ChannelSlice', '1x2x2', 0, 1],
        ['s1', 'ChannelSlice', '5x2x2', 1, 5],
        ['cat', 'Concatenate', '12x2x2', undefined, undefined],
      ],
    );
    assert.deepEqual(sliced.steps[1].channelsLast, { begin: 2, size: 4, channelsLast: true });
    const refused = (axis: number, steps = 1) =>
      planCheckpoint(
        graph(
          [6, 2, 2],
          [node('Slice', ['input', 'a0', 'a1', 'axis', 'steps'], ['y'], {}, '/Slice')],
          [ints('a0', [0]), ints('a1', [2]), ints('axis', [axis]), ints('steps', [steps])],
          ['y', 'y'],
        ),
      );
    assert.throws(
      () => refused(2),
      /Slice node \/Slice .*a Slice along axis 2 of a rank-4 value; CNN Slicer imports one along the channels/,
    );
    assert.throws(() => refused(1, 2), /a slice of the channels by steps of 2/);
  });

  it("folds GELU as torch exports it, x · (1 + erf(x / √2)) · 0.5, into one Activation('gelu') step; refuses Erf elsewhere", () => {
    const scalar = (name: string, v: number) => floats(name, [], [v]);
    const gelu = (divisor: number) =>
      planCheckpoint(
        graph(
          [4],
          [
            node('Div', ['input', 'sqrt2'], ['d'], {}, '/act/Div'),
            node('Erf', ['d'], ['e'], {}, '/act/Erf'),
            node('Add', ['e', 'one'], ['a'], {}, '/act/Add'),
            node('Mul', ['input', 'a'], ['m'], {}, '/act/Mul'),
            node('Mul', ['m', 'half'], ['act'], {}, '/act/Mul_1'),
          ],
          [scalar('sqrt2', divisor), scalar('one', 1), scalar('half', 0.5)],
          ['act', 'act'],
        ),
      );
    assert.deepEqual(
      gelu(Math.SQRT2).steps.map((s) => [s.name, s.className, s.config.activation, s.inputs[0]]),
      [['act', 'Activation', 'gelu', 'input']],
    );
    assert.throws(() => gelu(2), /Div node \/act\/Div .*a division of layer values/);
  });

  it("folds GELU's tanh approximation as torch exports it into one Activation('gelu_new') step; refuses other constants", () => {
    const scalar = (name: string, v: number) => floats(name, [], [v]);
    const geluTanh = (cubic: number) =>
      planCheckpoint(
        graph(
          [4],
          [
            node('Mul', ['input', 'input'], ['m0'], {}, '/act/Mul'),
            node('Mul', ['input', 'm0'], ['m1'], {}, '/act/Mul_1'),
            node('Constant', [], ['c1'], { value: scalar('c1', cubic) }, '/act/Constant'),
            node('Mul', ['c1', 'm1'], ['m2'], {}, '/act/Mul_2'),
            node('Add', ['input', 'm2'], ['a0'], {}, '/act/Add'),
            node('Mul', ['c2', 'a0'], ['m3'], {}, '/act/Mul_3'),
            node('Tanh', ['m3'], ['t'], {}, '/act/Tanh'),
            node('Add', ['one', 't'], ['a1'], {}, '/act/Add_1'),
            node('Mul', ['input', 'a1'], ['m4'], {}, '/act/Mul_4'),
            node('Mul', ['half', 'm4'], ['act'], {}, '/act/Mul_5'),
          ],
          [scalar('c2', Math.sqrt(2 / Math.PI)), scalar('one', 1), scalar('half', 0.5)],
          ['act', 'act'],
        ),
      );
    const plan = geluTanh(0.044715);
    assert.deepEqual(
      plan.steps.map((s) => [s.name, s.className, s.config.activation, s.inputs[0]]),
      [['act', 'Activation', 'gelu_new', 'input']],
    );
    assert.deepEqual(plan.shapes.get('m4'), [4]);
    assert.throws(
      () => geluTanh(0.05),
      /Mul node \/act\/Mul_5 \(layer act\): a product that closes x · \(1 \+ tanh\(…\)\) with other constants/,
    );
    // x · x alone is a product of two layers' values, as before.
    const square = planCheckpoint(graph([4], [node('Mul', ['input', 'input'], ['sq'], {}, '/Mul')], [], ['sq', 'sq']));
    assert.deepEqual(
      square.steps.map((s) => s.className),
      ['Multiply'],
    );
  });

  it('takes Resize of the height and width (scales, or sizes from Shape, Slice, Concat) as a TorchResize step; refuses other modes', () => {
    const ints = (name: string, data: number[]): OnnxTensor => ({ name, dataType: 'int64', dims: [data.length], data });
    const byScales = (attributes: Record<string, string>, scales = [1, 1, 2, 1.5]) =>
      planCheckpoint(
        graph(
          [3, 4, 5],
          [node('Resize', ['input', '', 'scales'], ['up'], attributes, '/up/Resize')],
          [floats('scales', [4], scales)],
          ['up', 'up'],
        ),
      );
    const nearest = { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' };
    const up = byScales(nearest).steps[0];
    assert.deepEqual([up.name, up.className, up.outputShape.join('x')], ['up', 'TorchResize', '3x8x7']);
    assert.deepEqual(up.config, { mode: 'nearest', size: [8, 7], scales: [2, 1.5], coordinates: 'asymmetric' });
    assert.deepEqual(up.channelsLast, { ...up.config, channelsLast: true });
    // nn.Upsample's scales: a Concat of [1, 1] and the scale factors.
    const concatenated = planCheckpoint(
      graph(
        [3, 4, 5],
        [
          node('Concat', ['ones', 'factors'], ['scales'], { axis: 0 }),
          node('Resize', ['input', '', 'scales'], ['up'], nearest, '/up/Resize'),
        ],
        [floats('ones', [2], [1, 1]), floats('factors', [2], [2, 1.5])],
        ['up', 'up'],
      ),
    );
    assert.deepEqual(concatenated.steps[0].config, up.config);
    const bilinear = byScales({ mode: 'linear', coordinate_transformation_mode: 'align_corners' }).steps[0];
    assert.deepEqual([bilinear.config.mode, bilinear.config.coordinates], ['bilinear', 'align_corners']);
    // F.interpolate(x, size=(6, 2)): sizes [N, C] of the input's shape, then the size given.
    const bySizes = planCheckpoint(
      graph(
        [3, 4, 5],
        [
          node('Shape', ['input'], ['shape']),
          node('Slice', ['shape', 'zero', 'two', 'zero'], ['nc']),
          node('Concat', ['nc', 'hw'], ['sizes'], { axis: 0 }),
          node('Resize', ['input', '', '', 'sizes'], ['down'], { mode: 'linear', coordinate_transformation_mode: 'half_pixel' }, '/Resize'),
        ],
        [ints('zero', [0]), ints('two', [2]), ints('hw', [6, 2])],
        ['down', 'down'],
      ),
    );
    assert.deepEqual(
      bySizes.steps.map((s) => [s.name, s.className, s.outputShape.join('x'), s.config.scales, s.config.coordinates]),
      [['down', 'TorchResize', '3x6x2', null, 'half_pixel']],
    );
    assert.throws(() => byScales({ mode: 'cubic' }), /Resize node \/up\/Resize \(layer up\): a resize of mode cubic/);
    assert.throws(
      () => byScales({ ...nearest, nearest_mode: 'round_prefer_floor' }),
      /a resize of mode nearest with asymmetric coordinates rounded round_prefer_floor/,
    );
    assert.throws(
      () => byScales(nearest, [1, 2, 2, 2]),
      /a resize by the scales \[1, 2, 2, 2\]; CNN Slicer imports one of the height and width/,
    );
  });

  it('folds a layer normalisation and plans a channels-last stretch (ConvNeXt) on channels-first steps', () => {
    const c = (name: string, v: number) => floats(name, [], [v]);
    // permute(0, 2, 3, 1) → layer_norm over the channels → Linear 2 → 3 → GELU-free → × gamma → permute back; the
    // recorder's `× 1` keeps each recorded value a node of its own, channels first.
    const layerNorm = (x: string, axis: number, w: string, b: string, at: string) => [
      node('ReduceMean', [x], [`${at}/m`], { axes: [axis], keepdims: 1 }, `${at}/ReduceMean`),
      node('Sub', [x, `${at}/m`], [`${at}/d`], {}, `${at}/Sub`),
      node('Pow', [`${at}/d`, 'two'], [`${at}/p`], {}, `${at}/Pow`),
      node('ReduceMean', [`${at}/p`], [`${at}/v`], { axes: [axis], keepdims: 1 }, `${at}/ReduceMean_1`),
      node('Add', [`${at}/v`, 'eps'], [`${at}/ve`], {}, `${at}/Add`),
      node('Sqrt', [`${at}/ve`], [`${at}/s`], {}, `${at}/Sqrt`),
      node('Div', [`${at}/d`, `${at}/s`], [`${at}/n`], {}, `${at}/Div`),
      node('Mul', [`${at}/n`, w], [`${at}/nw`], {}, `${at}/Mul`),
      node('Add', [`${at}/nw`, b], [`${at}/out`], {}, `${at}/Add_1`),
    ];
    const g = graph(
      [2, 1, 2],
      [
        node('Transpose', ['input'], ['cl'], { perm: [0, 2, 3, 1] }),
        ...layerNorm('cl', -1, 'w', 'b', '/norm'),
        node('Transpose', ['/norm/out'], ['norm_t'], { perm: [0, 3, 1, 2] }),
        node('Mul', ['norm_t', 'one'], ['norm'], {}, '/norm/keep'),
        node('Transpose', ['norm'], ['norm_cl'], { perm: [0, 2, 3, 1] }),
        node('Transpose', ['fc.weight'], ['fc_w'], { perm: [1, 0] }, '/fc/Transpose'),
        node('MatMul', ['norm_cl', 'fc_w'], ['mm'], {}, '/fc/MatMul'),
        node('Add', ['fc.bias', 'mm'], ['fc_cl'], {}, '/fc/Add'),
        node('Transpose', ['fc_cl'], ['fc_t'], { perm: [0, 3, 1, 2] }),
        node('Mul', ['fc_t', 'one'], ['fc'], {}, '/fc/keep'),
        node('Mul', ['gamma', 'fc'], ['scale'], {}, '/Mul'),
        ...layerNorm('scale', 1, 'w3', 'b3', '/norm2'),
        node('Identity', ['/norm2/out'], ['norm2'], {}, '/norm2/Identity'),
      ],
      [
        c('two', 2),
        c('eps', 1e-6),
        c('one', 1),
        floats('w', [2]),
        floats('b', [2]),
        floats('fc.weight', [3, 2]),
        floats('fc.bias', [3]),
        floats('gamma', [3, 1, 1]),
        floats('w3', [3, 1, 1]),
        floats('b3', [3, 1, 1]),
      ],
      ['norm2', 'norm', 'fc', 'scale', 'norm2'],
    );
    const plan = planCheckpoint(g);
    assert.deepEqual(
      plan.steps.map((s) => [s.name, s.className, s.inputs.map((i) => (i === 'input' ? i : i.name)), s.outputShape]),
      [
        ['norm', 'TorchLayerNorm', ['input'], [2, 1, 2]],
        ['fc', 'Conv2D', ['norm'], [3, 1, 2]],
        ['scale', 'ChannelScale', ['fc'], [3, 1, 2]],
        ['norm2', 'TorchLayerNorm', ['scale'], [3, 1, 2]],
      ],
    );
    const [norm, fc, scale] = plan.steps;
    assert.equal(norm.config.epsilon, Math.fround(1e-6));
    assert.deepEqual(norm.channelsLast, { epsilon: Math.fround(1e-6), channelsLast: true });
    // nn.Linear's weight [out, in] = [[1, 2], [3, 4], [5, 6]] as a 1×1 kernel [1, 1, in, out].
    assert.deepEqual(fc.weights[0].shape, [1, 1, 2, 3]);
    assert.deepEqual(Array.from(fc.weights[0].data), [1, 3, 5, 2, 4, 6]);
    assert.deepEqual(fc.config.dataFormat, 'channelsFirst');
    assert.deepEqual(Array.from(scale.weights[0].data), [1, 2, 3]);
    // The graph's own shape of a channels-last value, for an engine that runs the graph.
    assert.deepEqual(plan.shapes.get('fc_cl'), [1, 2, 3]);
    // A layer normalisation over the width of a channels-first map is refused.
    const wide = graph(
      [2, 1, 2],
      layerNorm('input', -1, 'w', 'b', '/ln'),
      [c('two', 2), c('eps', 1e-5), floats('w', [2]), floats('b', [2])],
      ['/ln/out', '/ln/out'],
    );
    assert.throws(
      () => planCheckpoint(wide),
      /ReduceMean node \/ln\/ReduceMean .*a layer normalisation over axis -1 of \[N, 2, 1, 2\]; CNN Slicer imports one over the channels only/,
    );
    // Any other op on a channels-last map is refused in one line.
    const relu = graph(
      [2, 1, 2],
      [node('Transpose', ['input'], ['cl'], { perm: [0, 2, 3, 1] }), node('Relu', ['cl'], ['r'], {}, '/act/Relu')],
      [],
      ['r', 'r'],
    );
    assert.throws(() => planCheckpoint(relu), /Relu node \/act\/Relu \(layer r\): its input 0 is a map with its channels last/);
  });

  it('lists every op it takes once', () => {
    assert.equal(new Set(SUPPORTED_OPS).size, SUPPORTED_OPS.length);
    for (const op of ['Conv', 'BatchNormalization', 'Gemm', 'Concat', 'Mul', 'HardSwish', 'Pad', 'Resize'])
      assert.ok(SUPPORTED_OPS.includes(op), op);
  });
});
