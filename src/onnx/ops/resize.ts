/**
 * Resize: `F.interpolate` and `nn.Upsample` of a `[C, H, W]` map, nearest or bilinear, as torch
 * exports them (opset 11+: inputs X, roi, scales, sizes): `scales` `[1, 1, sh, sw]` for a
 * `scale_factor`, or `sizes` `[N, C, h, w]` for a `size` (built from Shape, Slice and Concat, which
 * the plan computes). One TorchResize step (src/tfjs/torchLayers.ts) with PyTorch's index rules:
 * nearest is ONNX's `asymmetric` coordinates with `floor` (`src = floor(dst · in/out)`), bilinear
 * `half_pixel` (`align_corners=False`, `pytorch_half_pixel` alike) or `align_corners`. The ratio of
 * a scale given is `1 / scale`, as PyTorch computes it from `scale_factor`, else `in / out`. Any
 * other mode, coordinate rule or an axis other than H and W resized is refused.
 */
import type { OnnxNode } from '../graph';
import type { OpHandler, Planner } from '../planner';

/** The coordinate rules TorchResize computes, by ONNX's `coordinate_transformation_mode`. */
export type ResizeCoordinates = 'asymmetric' | 'half_pixel' | 'align_corners';

const LINEAR_RULES: Readonly<Record<string, ResizeCoordinates>> = {
  half_pixel: 'half_pixel',
  // half_pixel but for an output axis of one pixel (checked below).
  pytorch_half_pixel: 'half_pixel',
  align_corners: 'align_corners',
};

/** A string attribute, or `fallback` where the node has none. */
function text(p: Planner, node: OnnxNode, name: string, fallback: string): string {
  const a = p.attr(node, name) ?? fallback;
  if (typeof a !== 'string') p.refuse(node, `its attribute ${name} is not a string`);
  return a;
}

function resize(p: Planner, node: OnnxNode): void {
  const x = p.tensor(node, 0);
  if (x.shape.length !== 3)
    p.refuse(node, `a resize of [N, ${x.shape.join(', ')}]; CNN Slicer imports interpolate/Upsample of [N, C, H, W] maps`);
  const mode = text(p, node, 'mode', 'nearest');
  const rule = text(p, node, 'coordinate_transformation_mode', 'half_pixel');
  const rounding = text(p, node, 'nearest_mode', 'round_prefer_floor');
  if (p.num(node, 'antialias', 0) !== 0) p.refuse(node, 'a resize with antialias; CNN Slicer imports it without');
  let coordinates: ResizeCoordinates | undefined;
  if (mode === 'nearest') coordinates = rule === 'asymmetric' && rounding === 'floor' ? 'asymmetric' : undefined;
  else if (mode === 'linear') coordinates = Object.prototype.hasOwnProperty.call(LINEAR_RULES, rule) ? LINEAR_RULES[rule] : undefined;
  if (!coordinates)
    p.refuse(
      node,
      `a resize of mode ${mode} with ${rule} coordinates${mode === 'nearest' ? ` rounded ${rounding}` : ''}; CNN Slicer imports PyTorch's nearest (asymmetric, floor) and bilinear (half_pixel, align_corners)`,
    );
  const [channels, ...spatial] = x.shape;
  // Opset 10 has X and scales only; from 11 on, X, roi, scales and sizes.
  const [scalesAt, sizesAt] = p.opset >= 11 ? [2, 3] : [1, -1];
  let size: number[];
  let scales: number[] | null = null;
  if (sizesAt > 0 && node.inputs[sizesAt]) {
    const sizes = p.ints(node, sizesAt);
    const [h, w] = [sizes[2], sizes[3]];
    if (sizes.length !== 4 || (sizes[1] !== channels && sizes[1] !== null) || typeof h !== 'number' || typeof w !== 'number')
      p.refuse(node, `a resize to [${sizes.map((d) => d ?? 'N').join(', ')}]; CNN Slicer imports one of the height and width of a map`);
    size = [h, w];
  } else if (node.inputs[scalesAt]) {
    const s = p.floats(node, scalesAt).data;
    if (s.length !== 4 || s[0] !== 1 || s[1] !== 1)
      p.refuse(node, `a resize by the scales [${[...s].join(', ')}]; CNN Slicer imports one of the height and width of a map`);
    scales = [s[2], s[3]];
    size = spatial.map((n, d) => Math.floor(n * s[d + 2]));
  } else return p.refuse(node, 'a resize without scales or sizes');
  if (size.some((n) => !Number.isInteger(n) || n < 1) || (rule === 'pytorch_half_pixel' && size.includes(1)))
    p.refuse(node, `a resize of [${spatial.join(', ')}] to [${size.join(', ')}] (${rule})`);
  const config = { mode: mode === 'linear' ? 'bilinear' : 'nearest', size, scales, coordinates };
  p.step(node, 'TorchResize', config, [x], [channels, ...size], [], { ...config, channelsLast: true });
}

export const RESIZE_OPS: Readonly<Record<string, OpHandler>> = { Resize: resize };
