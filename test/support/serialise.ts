// The text of a chart's picture test (docs/testing.md "Picture tests"), in Chromium (the page of
// test/browser/pictures/) and in Node (jsdom, pictures.ts) alike: the chart's
// element tree serialised so that only what the chart draws is compared, and nothing the browser or
// the moment adds. Attributes in alphabetical order, numbers rounded to 2 decimals, generated ids and
// references to them dropped, style declarations sorted, text trimmed; one element a line, indented,
// so a failure reads as a text diff.

/** An element whose position in its container is part of the picture (a bar in a table cell). */
export interface Measured {
  /** The elements measured (a CSS selector inside the chart). */
  selector: string;
  /** Their container (`closest`): the x of the element's left edge from the container's is written as `snapshot-dx`. */
  within: string;
}

export interface SerialiseOptions {
  measure?: Measured;
}

/** Node.ELEMENT_NODE and Node.TEXT_NODE, without reading the global Node (the same in a page and in jsdom). */
const ELEMENT_NODE = 1;
const TEXT_NODE = 3;

/** Attributes that are not the picture: ids the chart generates, and what a draw measured of itself. */
const DROPPED = new Set(['id', 'data-draw-ms', 'aria-describedby', 'aria-labelledby', 'aria-controls', 'aria-activedescendant']);
/** Attributes made of numbers and path commands only (an exponent is the only letter e among them). */
const GEOMETRY = new Set(['d', 'points', 'transform', 'viewBox']);

const NUMBER = /-?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?/gi;
/** A number standing on its own (not inside a word such as "conv2" or a colour such as "#3e8c0f"). */
const LONE_NUMBER = /(?<![#\w.])-?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?(?![\w.])/gi;

function round(token: string): string {
  const v = Math.round(Number(token) * 100) / 100;
  return Object.is(v, -0) ? '0' : String(v);
}

function attributeValue(name: string, value: string): string {
  if (name === 'style')
    return value
      .split(';')
      .map((d) => d.trim().replace(/\s*:\s*/, ': '))
      .filter((d) => d !== '')
      .sort()
      .map((d) => d.replace(LONE_NUMBER, round))
      .join('; ');
  const unlinked = value.replace(/url\(#[^)]*\)/g, 'url(#)');
  return unlinked.replace(GEOMETRY.has(name) ? NUMBER : LONE_NUMBER, round);
}

const escapeText = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const escapeAttribute = (s: string): string => escapeText(s).replace(/"/g, '&quot;').replace(/\n/g, '&#10;');

/** The chart below `root` as normalised text (an SVG root gets its namespace, so the file opens as a picture). */
export function serialise(root: Element, o: SerialiseOptions = {}): string {
  const measured = new Set<Element>(o.measure ? Array.from(root.querySelectorAll(o.measure.selector)) : []);
  const lines: string[] = [];
  const walk = (el: Element, depth: number): void => {
    const attributes: [string, string][] = Array.from(el.attributes)
      .filter((a) => !DROPPED.has(a.name) && !a.name.startsWith('on'))
      .map((a) => [a.name, attributeValue(a.name, a.value)]);
    if (el === root && el.localName === 'svg') attributes.push(['xmlns', 'http://www.w3.org/2000/svg']);
    const within = o.measure && measured.has(el) ? el.parentElement?.closest(o.measure.within) : null;
    if (within) attributes.push(['snapshot-dx', String(Math.round(el.getBoundingClientRect().left - within.getBoundingClientRect().left))]);
    attributes.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const open = `${'  '.repeat(depth)}<${el.localName}${attributes.map(([n, v]) => ` ${n}="${escapeAttribute(v)}"`).join('')}`;
    const children = Array.from(el.childNodes).filter((c) => c.nodeType === ELEMENT_NODE || (c.textContent ?? '').trim() !== '');
    if (children.length === 0) {
      lines.push(`${open}/>`);
      return;
    }
    if (children.every((c) => c.nodeType === TEXT_NODE)) {
      lines.push(`${open}>${escapeText((el.textContent ?? '').replace(/\s+/g, ' ').trim())}</${el.localName}>`);
      return;
    }
    lines.push(`${open}>`);
    for (const c of children)
      if (c.nodeType === ELEMENT_NODE) walk(c as Element, depth + 1);
      else lines.push(`${'  '.repeat(depth + 1)}${escapeText((c.textContent ?? '').replace(/\s+/g, ' ').trim())}`);
    lines.push(`${'  '.repeat(depth)}</${el.localName}>`);
  };
  walk(root, 0);
  return `${lines.join('\n')}\n`;
}
