/** `inputs`: the probe images of a subset with their labels. */
import { gatherRows } from '../../analysis';
import { encodeFloat32 } from '../../contract/queries';
import { Handler, valueRange } from './handler';

export const inputs: Handler<'inputs'> = (q, ctx) => {
  const probe = ctx.probe();
  const indices = ctx.subset(q.x);
  const per = probe.inputs.length / probe.labels.length;
  const images = Float32Array.from(gatherRows(probe.inputs, per, indices));
  const [min, max] = valueRange(images);
  return {
    inputs: indices,
    labels: indices.map((i) => probe.labels[i]),
    images: encodeFloat32([indices.length, ...probe.shape.slice(1)], images),
    min,
    max,
  };
};
