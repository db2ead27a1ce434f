// The channels the side-by-side cards compare, from the typed field, the slice or a default.
import { parseIndices } from '../../slice';

/** Most channels shown side by side: more would shrink every picture below legibility. */
export const MAX_SIDE_BY_SIDE = 12;

/**
 * The channels shown side by side: typed ranges ("0-3, 7") if any, else the slice's chosen
 * channels of the layer when there are two or more, else the first four.
 */
export function comparedChannels(
  text: string,
  sliced: number[],
  channelCount: number,
): { channels: number[]; error?: string; from: 'typed' | 'slice' | 'default' } {
  const fallback = (): { channels: number[]; from: 'slice' | 'default' } =>
    sliced.length >= 2
      ? { channels: [...sliced].sort((a, b) => a - b).slice(0, MAX_SIDE_BY_SIDE), from: 'slice' }
      : { channels: Array.from({ length: Math.min(4, channelCount) }, (_, i) => i), from: 'default' };
  if (!text.trim()) return fallback();
  const parsed = parseIndices(text, Number.MAX_SAFE_INTEGER);
  if (!parsed.indices) return { ...fallback(), error: (parsed.error ?? 'not a list of channels').replace('inputs', 'channels') };
  const outside = parsed.indices.find((c) => c >= channelCount);
  if (outside !== undefined)
    return { ...fallback(), error: `channel ${outside} is not in this layer (it has channels 0–${channelCount - 1})` };
  if (parsed.indices.length > MAX_SIDE_BY_SIDE)
    return { channels: parsed.indices.slice(0, MAX_SIDE_BY_SIDE), from: 'typed', error: `showing the first ${MAX_SIDE_BY_SIDE}` };
  return { channels: parsed.indices, from: 'typed' };
}
