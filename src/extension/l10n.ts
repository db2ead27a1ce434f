// The part of `vscode.l10n` the pure modules of the extension use, so they run in plain Node tests
// with a stand-in. Strings stay written as `l10n.t('…')`, where @vscode/l10n-dev's extractor finds them.

/** `vscode.l10n` or a stand-in: `{0}`-style placeholders, English source strings. */
export interface L10n {
  t(message: string, ...args: (string | number | boolean)[]): string;
}

/** English, for tests and as the fallback: substitutes `{0}`, `{1}`, … */
export const englishL10n: L10n = {
  t: (message, ...args) => message.replace(/\{(\d+)\}/g, (m, i: string) => (Number(i) < args.length ? String(args[Number(i)]) : m)),
};
