// What happens when a recording ends with a run folder, without VS Code so it is tested in plain
// Node: a completed run opens its panel by itself (cnnSlicer.panels.openWhenRecorded, on by
// default); its message still offers "Open Run" (to bring the panel back once closed).

/** What to do when a recording ends. */
export interface WhenRecorded {
  /** Open the run's panel now. */
  openPanel: boolean;
  /** Offer "Open Run" on the message. */
  offerOpen: boolean;
}

/** A cancelled run is never opened by itself; a completed one is, unless the setting is off. */
export function whenRecorded(status: string, hasFolder: boolean, openWhenRecorded: boolean): WhenRecorded {
  const openPanel = status !== 'cancelled' && hasFolder && openWhenRecorded;
  return { openPanel, offerOpen: hasFolder };
}
