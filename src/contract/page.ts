// The HTML page around the webview bundle, for both places it runs: a VS Code webview panel (the
// script and stylesheet are webview resource URIs) and the standalone report (both inlined, with
// the answers embedded as JSON). Pure string building, so the extension host and the CLI share it.
//
// The Content Security Policy allows nothing remote: scripts only with this page's nonce, styles
// only from the bundle (or the nonce'd inline sheet of a report), images only as data:/blob: URLs
// that the views make themselves, no connections, no frames, no forms.

export interface PageOptions {
  title: string;
  /** A fresh random nonce per page load (base64 or hex). */
  nonce: string;
  /** `webview.cspSource` inside VS Code; absent for the report. */
  cspSource?: string;
  script: { src: string } | { inline: string };
  style: { href: string } | { inline: string };
  /** JSON embedded for the report (`ReportData`). */
  data?: unknown;
  /** The theme a report starts in (VS Code sets its own classes on <body>). */
  theme?: 'light' | 'dark' | 'high-contrast';
}

export function contentSecurityPolicy(nonce: string, cspSource?: string): string {
  const src = cspSource ? ` ${cspSource}` : '';
  return [
    `default-src 'none'`,
    `script-src 'nonce-${nonce}'`,
    `style-src${src} 'nonce-${nonce}'`,
    `img-src${src} data: blob:`,
    `font-src${src}`,
    `connect-src 'none'`,
    `form-action 'none'`,
    `frame-src 'none'`,
    `base-uri 'none'`,
  ].join('; ');
}

export function webviewPage(o: PageOptions): string {
  const attr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  const style =
    'href' in o.style
      ? `<link rel="stylesheet" href="${attr(o.style.href)}">`
      : `<style nonce="${o.nonce}">${o.style.inline.replace(/<\/style/gi, '<\\/style')}</style>`;
  const script =
    'src' in o.script
      ? `<script nonce="${o.nonce}" src="${attr(o.script.src)}"></script>`
      : `<script nonce="${o.nonce}">${escapeInlineScript(o.script.inline)}</script>`;
  // JSON inside <script>: every "<" escaped, so no "</script>" or "<!--" can end it early.
  const data =
    o.data === undefined
      ? ''
      : `<script type="application/json" id="cnn-slicer-report" nonce="${o.nonce}">${JSON.stringify(o.data).replace(/</g, '\\u003c')}</script>`;
  const bodyClass = o.theme ? ` class="report vscode-${o.theme}"` : '';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${attr(contentSecurityPolicy(o.nonce, o.cspSource))}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${attr(o.title)}</title>
${style}
</head>
<body${bodyClass}>
<div id="root"></div>
${data}
${script}
</body>
</html>
`;
}

/**
 * Inline script text that cannot end its element early or enter the HTML parser's "double
 * escaped" state: `</script` and `<!--` only occur inside string literals in bundled code, where
 * `<\/script` and `<\!--` mean the same characters.
 */
function escapeInlineScript(code: string): string {
  return code.replace(/<\/script/gi, '<\\/script').replace(/<!--/g, '<\\!--');
}

/** The JSON text of the data a page embeds (the `data` above, its "<" escaped), or undefined for a page without. */
export function embeddedJson(html: string): string | undefined {
  return /<script type="application\/json" id="cnn-slicer-report"[^>]*>([^<]*)<\/script>/.exec(html)?.[1];
}
