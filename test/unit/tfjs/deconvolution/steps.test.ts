import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { layerClassNames, layerKind } from '../../../../src/contract/layerKinds';
import { classify, DeconvolutionError } from '../../../../src/tfjs/deconvolution/steps';

// The deconvolution's step of a layer (src/tfjs/deconvolution/steps.ts `classify`) is the step the
// table of layer kinds gives its class (src/contract/layerKinds.ts): every class of the table that
// tfjs can build is built and classified; a class without a step is refused, naming the layer.

/** The options a class needs to be built (the others take their defaults). */
const OPTIONS: Record<string, Record<string, unknown>> = {
  Conv1D: { filters: 2, kernelSize: 3 },
  Conv2D: { filters: 2, kernelSize: 3, activation: 'relu' },
  DepthwiseConv2D: { kernelSize: 3 },
  SeparableConv2D: { filters: 2, kernelSize: 3 },
  Dense: { units: 2 },
  Activation: { activation: 'tanh' },
  ThresholdedReLU: { theta: 0 },
  Cropping2D: { cropping: 1 },
  Dropout: { rate: 0.5 },
  SpatialDropout1D: { rate: 0.5 },
  AlphaDropout: { rate: 0.5 },
  GaussianDropout: { rate: 0.5 },
  GaussianNoise: { stddev: 0.1 },
  Reshape: { targetShape: [32] },
  Permute: { dims: [2, 1, 3] },
  RepeatVector: { n: 2 },
};

type LayerClass = new (config: Record<string, unknown>) => tf.layers.Layer;

const registered = (): Record<string, [LayerClass, unknown]> =>
  (tf.serialization.SerializationMap.getMap() as unknown as { classNameMap: Record<string, [LayerClass, unknown]> }).classNameMap;

/** A layer of class `className`, built from tfjs's registry with its options (or `options`) and a name. */
function build(className: string, options = OPTIONS[className] ?? {}): tf.layers.Layer {
  const [Class] = registered()[className];
  return new Class({ name: `l_${className}`, ...options });
}

describe('deconvolution steps by layer kind', () => {
  const oneD = (c: string) => layerKind(c).spatialRank === 1;
  const inputsOf = (c: string) => {
    const shape = oneD(c) ? [8, 4] : [4, 4, 2];
    return [tf.input({ shape }), tf.input({ shape })] as tf.SymbolicTensor[];
  };

  it('classifies every class of the table that tfjs builds as the step the table gives it', () => {
    const built = layerClassNames().filter((c) => c in registered() && layerKind(c).deconvolution !== undefined);
    assert.ok(built.length >= 25, `only ${built.length} classes built`);
    for (const c of built) {
      const kind = layerKind(c);
      if (kind.activation === 'softmax') {
        // Its step is the rectification, and softmax has none: refused with the reason.
        assert.throws(() => classify(build(c), inputsOf(c)), /softmax mixes the channels/, c);
        continue;
      }
      const step = classify(build(c), inputsOf(c));
      // Activation('tanh') rectifies by its slopes at the origin, 1 and 1: the identity.
      const expected = c === 'Activation' ? 'identity' : kind.deconvolution;
      assert.equal(step.kind, expected, c);
      if ('oneD' in step) assert.equal(step.oneD, kind.spatialRank === 1, c);
    }
  });

  it('refuses every class of the table without a step, and one it does not list, naming the layer', () => {
    const refused = layerClassNames().filter((c) => c in registered() && !layerKind(c).deconvolution && !layerKind(c).input);
    assert.ok(refused.includes('Dense') && refused.includes('Flatten'), refused.join(', '));
    for (const c of [...refused.filter((c) => c !== 'Sequential'), 'Conv2DTranspose']) {
      const layer = c === 'Conv2DTranspose' ? build(c, { filters: 2, kernelSize: 3 }) : build(c);
      assert.throws(
        () => classify(layer, inputsOf(c)),
        (e: unknown) => DeconvolutionError.is(e) && e.layer === `l_${c}` && e.message.includes(`(${c})`),
        c,
      );
    }
  });
});
