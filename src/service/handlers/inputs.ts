/** `inputs`: the probe images of a subset with their labels, channels last whatever the probe's layout. */
import { channelsLastValues, gatherRows } from '../../analysis';
import { encodeFloat32 } from '../../contract/queries';
import { probeImageShape } from '../../contract/runFormat';
import { Handler, valueRange } from './handler';

export const inputs: Handler<'inputs'> = (q, ctx) => {
  const probe = ctx.probe();
  const indices = ctx.subset(q.x);
  const per = probe.inputs.length / probe.labels.length;
  const rows = Float32Array.from(gatherRows(probe.inputs, per, indices));
  // A channels-first probe (a PyTorch run's [C, H, W]) is answered as the contract's [H, W, C].
  const image = probeImageShape(ctx.run.record.manifest);
  const first = image?.channelsFirst === true;
  const images = first ? (channelsLastValues(rows, indices.length, image.height * image.width, image.channels) as Float32Array) : rows;
  const [min, max] = valueRange(images);
  return {
    inputs: indices,
    labels: indices.map((i) => probe.labels[i]),
    images: encodeFloat32([indices.length, ...(first ? [image.height, image.width, image.channels] : probe.shape.slice(1))], images),
    min,
    max,
  };
};
