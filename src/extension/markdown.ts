// Text the user or a model file supplies (layer, model and run names, paths, error messages), put
// into the Markdown of the editor's hover and the Recorded Runs tooltips.

/**
 * Escapes text for a `MarkdownString`, so a name or path cannot turn into markup, a link, a table
 * cell bar, a theme icon (`$(name)`, the tooltips support them) or an HTML entity (`&amp;` would
 * show as `&`).
 */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>~$&]/g, (c) => `\\${c}`);
}
