// Exports of a chart: its data as CSV or JSON, its picture as SVG (SVG charts) or PNG (any chart).
// VS Code's theme variables do not exist outside the webview, so an exported SVG gets every
// colour and font resolved to a literal value first.

export type Cell = string | number | boolean | null | undefined;

/** RFC 4180 CSV: fields with commas, quotes or line breaks are quoted; null is an empty field. */
export function toCsv(columns: string[], rows: Cell[][]): string {
  const field = (v: Cell) => {
    if (v === null || v === undefined) return '';
    const s = String(v);
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [columns, ...rows].map((r) => r.map(field).join(',')).join('\r\n') + '\r\n';
}

const STYLE_PROPS = [
  'fill',
  'stroke',
  'stroke-width',
  'stroke-dasharray',
  'opacity',
  'fill-opacity',
  'stroke-opacity',
  'font-family',
  'font-size',
  'font-weight',
  'text-anchor',
  'dominant-baseline',
  'visibility',
  'display',
];

/** A standalone SVG document of `svg` with computed styles written into attributes. */
export function svgToString(svg: SVGSVGElement): string {
  const clone = svg.cloneNode(true) as SVGSVGElement;
  const source = [svg, ...Array.from(svg.querySelectorAll('*'))];
  const target = [clone, ...Array.from(clone.querySelectorAll('*'))];
  source.forEach((el, i) => {
    const style = getComputedStyle(el);
    const out = target[i] as SVGElement;
    for (const p of STYLE_PROPS) {
      const v = style.getPropertyValue(p);
      if (v) out.setAttribute(p, v);
    }
    out.removeAttribute('class');
  });
  const { width, height } = svg.getBoundingClientRect();
  clone.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  clone.setAttribute('width', String(Math.ceil(width)));
  clone.setAttribute('height', String(Math.ceil(height)));
  const bg = getComputedStyle(document.body).backgroundColor;
  const rect = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
  clone.insertBefore(rect, clone.firstChild);
  rect.setAttribute('width', '100%');
  rect.setAttribute('height', '100%');
  rect.setAttribute('fill', bg || 'white');
  return new XMLSerializer().serializeToString(clone);
}

/** PNG bytes of a canvas. */
export function canvasToPng(canvas: HTMLCanvasElement): Uint8Array {
  const url = canvas.toDataURL('image/png');
  const bin = atob(url.slice(url.indexOf(',') + 1));
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

/** PNG bytes of an SVG chart, drawn at twice its size for sharp text. */
export async function svgToPng(svg: SVGSVGElement): Promise<Uint8Array> {
  const text = svgToString(svg);
  const { width, height } = svg.getBoundingClientRect();
  const img = new Image();
  const url = URL.createObjectURL(new Blob([text], { type: 'image/svg+xml' }));
  try {
    await new Promise<void>((resolve, reject) => {
      img.onload = () => resolve();
      img.onerror = () => reject(new Error('the chart could not be drawn as an image'));
      img.src = url;
    });
    const canvas = document.createElement('canvas');
    canvas.width = Math.max(1, Math.ceil(width * 2));
    canvas.height = Math.max(1, Math.ceil(height * 2));
    const ctx = canvas.getContext('2d')!;
    ctx.scale(2, 2);
    ctx.drawImage(img, 0, 0);
    return canvasToPng(canvas);
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** PNG bytes of a chart container: its canvas if it has one, else its SVG. */
export async function pictureToPng(el: Element): Promise<Uint8Array | undefined> {
  const canvas = el instanceof HTMLCanvasElement ? el : el.querySelector('canvas');
  if (canvas) return canvasToPng(canvas);
  const svg = el instanceof SVGSVGElement ? el : el.querySelector('svg');
  return svg ? svgToPng(svg) : undefined;
}

/** A file-name-safe slug: letters, digits and dashes. */
export function slug(...parts: (string | number)[]): string {
  return (
    parts
      .map(String)
      .join('-')
      .replace(/[^A-Za-z0-9_-]+/g, '-')
      .replace(/-+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 100) || 'chart'
  );
}
