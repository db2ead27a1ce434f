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

/** What an exported picture shows above the chart, so the file says what it is once it leaves the panel. */
export interface CaptionFacts {
  /** The chart's title, as its card shows it. */
  chart: string;
  runId: string;
  /** The layer the views have picked, if any. */
  layer?: string;
  epoch?: number;
}

/** The caption line of an exported picture: `Capacity — run 20261122-104501-lenet · layer conv1 · epoch 3`. */
export function exportCaption(facts: CaptionFacts): string {
  const parts = [`run ${facts.runId}`];
  if (facts.layer) parts.push(`layer ${facts.layer}`);
  if (facts.epoch !== undefined) parts.push(`epoch ${facts.epoch}`);
  const chart = facts.chart.replace(/\s+/g, ' ').trim();
  return `${chart ? `${chart} — ` : ''}${parts.join(' · ')}`;
}

/** The height of the caption band above an exported chart, in CSS pixels. */
export const CAPTION_HEIGHT_PX = 22;
const CAPTION_FONT_PX = 12;

/** The caption's colours: the page's text on its background, as the chart was seen. */
function pageColours(): { background: string; text: string } {
  const body = getComputedStyle(document.body);
  return { background: body.backgroundColor || 'white', text: body.color || 'black' };
}

/**
 * A standalone SVG document of `svg` with computed styles written into attributes, and `caption`
 * (if given) on a line above the chart.
 */
export function svgToString(svg: SVGSVGElement, caption?: string): string {
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
  const band = caption ? CAPTION_HEIGHT_PX : 0;
  const ns = 'http://www.w3.org/2000/svg';
  const colours = pageColours();
  clone.setAttribute('xmlns', ns);
  clone.setAttribute('width', String(Math.ceil(width)));
  clone.setAttribute('height', String(Math.ceil(height) + band));
  // The chart's own coordinates stay as drawn: a viewBox would scale them, so the chart moves down in a group.
  clone.removeAttribute('viewBox');
  const viewBox = svg.getAttribute('viewBox');
  const chart = document.createElementNS(ns, 'svg');
  chart.setAttribute('y', String(band));
  chart.setAttribute('width', String(Math.ceil(width)));
  chart.setAttribute('height', String(Math.ceil(height)));
  if (viewBox) chart.setAttribute('viewBox', viewBox);
  const preserve = svg.getAttribute('preserveAspectRatio');
  if (preserve) chart.setAttribute('preserveAspectRatio', preserve);
  while (clone.firstChild) chart.appendChild(clone.firstChild);
  const rect = document.createElementNS(ns, 'rect');
  rect.setAttribute('width', '100%');
  rect.setAttribute('height', '100%');
  rect.setAttribute('fill', colours.background);
  clone.appendChild(rect);
  if (caption) {
    const text = document.createElementNS(ns, 'text');
    text.setAttribute('class', 'export-caption');
    text.setAttribute('x', '6');
    text.setAttribute('y', String(band - 7));
    text.setAttribute('fill', colours.text);
    text.setAttribute('font-family', getComputedStyle(document.body).fontFamily || 'sans-serif');
    text.setAttribute('font-size', `${CAPTION_FONT_PX}px`);
    text.textContent = caption;
    clone.appendChild(text);
  }
  clone.appendChild(chart);
  return new XMLSerializer().serializeToString(clone);
}

/** PNG bytes of a canvas, with `caption` (if given) on a line above it. */
export function canvasToPng(canvas: HTMLCanvasElement, caption?: string): Uint8Array {
  const url = (caption ? withCaption(canvas, caption) : canvas).toDataURL('image/png');
  const bin = atob(url.slice(url.indexOf(',') + 1));
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

/** A new canvas: `canvas` below a band holding `caption`, at the canvas's own pixel scale. */
function withCaption(canvas: HTMLCanvasElement, caption: string): HTMLCanvasElement {
  const cssWidth = canvas.getBoundingClientRect().width;
  const scale = cssWidth > 0 ? canvas.width / cssWidth : 1;
  const band = Math.ceil(CAPTION_HEIGHT_PX * scale);
  const out = document.createElement('canvas');
  out.width = canvas.width;
  out.height = canvas.height + band;
  const ctx = out.getContext('2d')!;
  const colours = pageColours();
  ctx.fillStyle = colours.background;
  ctx.fillRect(0, 0, out.width, out.height);
  ctx.fillStyle = colours.text;
  ctx.font = `${CAPTION_FONT_PX * scale}px ${getComputedStyle(document.body).fontFamily || 'sans-serif'}`;
  ctx.textBaseline = 'alphabetic';
  ctx.fillText(caption, 6 * scale, band - 7 * scale);
  ctx.drawImage(canvas, 0, band);
  return out;
}

/** PNG bytes of an SVG chart with `caption` (if given) above it, drawn at twice its size for sharp text. */
export async function svgToPng(svg: SVGSVGElement, caption?: string): Promise<Uint8Array> {
  const text = svgToString(svg, caption);
  const rect = svg.getBoundingClientRect();
  const width = rect.width;
  const height = rect.height + (caption ? CAPTION_HEIGHT_PX : 0);
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

/** PNG bytes of a chart container (its canvas if it has one, else its SVG) with `caption` above it. */
export async function pictureToPng(el: Element, caption?: string): Promise<Uint8Array | undefined> {
  const canvas = el instanceof HTMLCanvasElement ? el : el.querySelector('canvas');
  if (canvas) return canvasToPng(canvas, caption);
  const svg = el instanceof SVGSVGElement ? el : el.querySelector('svg');
  return svg ? svgToPng(svg, caption) : undefined;
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
