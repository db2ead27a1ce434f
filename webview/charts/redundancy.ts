// The redundancy chart's reading of a layer's capacity matrix with itself: the near-duplicate rule,
// groups and block order are src/analysis/redundancy.ts (one definition for the chart and the
// findings); this module adds how the groups read as text.

/** "{1, 4, 6}, {2, 3}": groups as people read them, the first `max` only. */
export function groupsText(groups: number[][], max = 6): string {
  const shown = groups.slice(0, max).map((g) => `{${g.join(', ')}}`);
  return shown.join(', ') + (groups.length > max ? ` and ${groups.length - max} more` : '');
}
