// Which "a newer run exists" messages to raise after the run index changed, without VS Code so it
// is tested in plain Node: one per newer run, however many open panels show older runs of its
// model; its Switch moves the panel showing the latest of those older runs.

/** An open panel that shows an older run than `newer`. */
export interface NewerRunCandidate<P> {
  panel: P;
  /** The run folder of the newer run. */
  newer: string;
  /** When the panel's own run was created (ISO time), to choose the panel that switches. */
  createdAt: string;
}

/** One offer per newer run: the panels it concerns, and the one Switch moves (the latest older run). */
export function newerRunOffers<P>(candidates: NewerRunCandidate<P>[]): { newer: string; panels: P[]; switches: P }[] {
  const byNewer = new Map<string, NewerRunCandidate<P>[]>();
  for (const c of candidates) byNewer.set(c.newer, [...(byNewer.get(c.newer) ?? []), c]);
  return [...byNewer].map(([newer, group]) => {
    const latest = group.reduce((a, b) => (b.createdAt > a.createdAt ? b : a));
    return { newer, panels: group.map((g) => g.panel), switches: latest.panel };
  });
}
