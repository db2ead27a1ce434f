// What happens when a recording ends with a run folder, without VS Code so it is tested in plain
// Node: a completed run opens its panel by itself (cnnSlicer.panels.openWhenRecorded, on by
// default), and then no message says so: the panel is the news, and the status bar keeps
// "model recorded" a while. A run that does not open by itself gets the message, with "Open Run".

/** What to do when a recording ends. */
export interface WhenRecorded {
  /** Open the run's panel now. */
  openPanel: boolean;
  /** Show the message that the recording ended (not when the panel opens by itself). */
  notify: boolean;
  /** Offer "Open Run" on the message. */
  offerOpen: boolean;
}

/**
 * A cancelled run is never opened by itself; a completed one is, unless the setting is off. The
 * message is shown only when the panel does not open (the extension shows it after all when
 * opening fails); it offers "Open Run" when there is a run folder.
 */
export function whenRecorded(status: string, hasFolder: boolean, openWhenRecorded: boolean): WhenRecorded {
  const openPanel = status !== 'cancelled' && hasFolder && openWhenRecorded;
  return { openPanel, notify: !openPanel, offerOpen: hasFolder && !openPanel };
}
