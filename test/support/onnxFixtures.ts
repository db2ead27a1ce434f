/**
 * The ONNX exports of test/fixtures/onnx (scripts/onnx-fixtures.py) as a run's layer table, and
 * random inputs for them: what the native engine's tests open.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { RunLayer } from '../../src/contract/runFormat';
import { rng } from './reference';

export const ONNX_FIXTURES = path.resolve(__dirname, '../fixtures/onnx');

/** An export's bytes and its layers (layer 0 the input), as the run's manifest would list them. */
export function onnxFixture(name: string): { bytes: Uint8Array; layers: RunLayer[] } {
  const facts = JSON.parse(readFileSync(path.join(ONNX_FIXTURES, `${name}.json`), 'utf8')) as {
    input: { dims: number[] };
    layers: Omit<RunLayer, 'index' | 'parameters'>[];
  };
  const input: RunLayer = {
    index: 0,
    name: 'input',
    className: 'InputLayer',
    outputShape: facts.input.dims.slice(1),
    channels: 0,
    parameters: 0,
  };
  return {
    bytes: readFileSync(path.join(ONNX_FIXTURES, `${name}.onnx`)),
    layers: [input, ...facts.layers.map((l, k) => ({ ...l, index: k + 1, parameters: 0 }))],
  };
}

/** `count` seeded random inputs in [-1, 1) of the layers' input shape. */
export function randomInputs(layers: readonly RunLayer[], count: number, seed: number): Float32Array {
  const random = rng(seed);
  const per = layers[0].outputShape.reduce((a, b) => a * b, 1);
  return Float32Array.from({ length: count * per }, () => random() * 2 - 1);
}
