/**
 * A layer named on the command line (`cnn-slicer query … --layer layer1.0.conv1`, `--layer-i`,
 * `--layer-j`): its index, or its name as the run's manifest spells it — exactly, or a part that
 * begins or ends one name only (`layer4.1.conv2` as `4.1.conv2`, `dense_Dense1` as `dense`).
 * An ambiguous or unknown name is one line listing the names it could mean or the closest ones.
 * Pure: the run's layer names come in.
 */
import { UsageError } from './usage';

/** How many names a refusal lists before "and N more". */
const LISTED = 6;

/** Whether `raw` is a layer index (digits) rather than a name. */
export function isLayerIndex(raw: string): boolean {
  return /^\d+$/.test(raw.trim());
}

/** The index of the layer `given` names among `names` (the manifest's layers, index 0 the input); `option` names the option in a refusal. */
export function layerByName(given: string, names: readonly string[], option: string): number {
  const name = given.trim();
  const exact = names.indexOf(name);
  if (exact >= 0) return exact;
  const lower = name.toLowerCase();
  let matches = indicesWhere(names, (n) => n.startsWith(name) || n.endsWith(name));
  // Case only where nothing matches as written: `Conv1` finds `conv1`.
  if (matches.length === 0) matches = indicesWhere(names, (n) => n.toLowerCase().startsWith(lower) || n.toLowerCase().endsWith(lower));
  if (matches.length === 1) return matches[0];
  const run = 'the run query lists them all';
  if (matches.length > 1)
    throw new UsageError(
      `${option} "${name}" could be ${matches.length} layers: ${listed(names, matches)}; give its full name or index (${run})`,
    );
  const close = closeNames(name, names);
  throw new UsageError(
    `${option} "${name}" names no layer of this run${close.length ? `; close names: ${listed(names, close)}` : ''} (layer names or indices 0–${names.length - 1}; ${run})`,
  );
}

function indicesWhere(names: readonly string[], test: (name: string) => boolean): number[] {
  return names.flatMap((n, i) => (test(n) ? [i] : []));
}

/** `name (index)`, the first few, then how many more. */
function listed(names: readonly string[], indices: number[]): string {
  const shown = indices.slice(0, LISTED).map((i) => `${names[i]} (${i})`);
  return shown.join(', ') + (indices.length > LISTED ? `, and ${indices.length - LISTED} more` : '');
}

/** The names fewest edits away from `name` (whole, or their last dotted part), where that is a few at most. */
function closeNames(name: string, names: readonly string[]): number[] {
  const lower = name.toLowerCase();
  const limit = Math.max(2, Math.floor(lower.length / 3));
  const scored = names.flatMap((n, i) => {
    const whole = n.toLowerCase();
    const d = Math.min(editDistance(lower, whole), editDistance(lower, whole.slice(whole.lastIndexOf('.') + 1)));
    return d <= limit ? [{ i, d }] : [];
  });
  const best = Math.min(...scored.map((s) => s.d));
  // The closest only: one letter off names one layer, not every layer a few letters off.
  return scored.filter((s) => s.d === best).map((s) => s.i);
}

/** Levenshtein's distance: the fewest insertions, deletions and substitutions that turn `a` into `b`. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = row;
  }
  return previous[b.length];
}
