// The Node tier of the picture tests (docs/testing.md "Picture tests"), after Observable Plot's
// test/plot.js: an SVG chart of webview/charts/ is drawn in-process in a jsdom window, from literal
// props, by the same builders as the Chromium page (pictureCharts.tsx), serialised by the same
// rules (serialise.ts) and compared with its snapshot in test/snapshots/pictures-node/
// (snapshotFiles.ts: a mismatch writes the drawn file and a line diff to test-artifacts/snapshots/,
// UPDATE_SNAPSHOTS=1 rewrites the snapshots). No browser, no bundle, no process.
//
// jsdom lays nothing out, so what a chart would measure is given by deterministic stand-ins, the
// same on every machine (which is why these snapshots are not the Chromium ones):
// - an element's clientWidth / offsetWidth is the `width: Npx` of its own inline style or of its
//   nearest ancestor's (the picture's box is given one), else WINDOW.width; clientHeight and
//   offsetHeight likewise from `height`, else 0;
// - an SVG text's getComputedTextLength() is TEXT_CHAR_WIDTH px per character, and getBBox() of
//   any SVG element is an empty box at 0, 0;
// - the window is WINDOW.width × WINDOW.height CSS pixels (the Chromium page's viewport), at a
//   device pixel ratio of 1, and asks for reduced motion, so a tween (the circle packing's zoom)
//   is set at its end at once;
// - ResizeObserver and IntersectionObserver observe nothing (sizes never change), a canvas has no
//   context (getContext gives null: canvas charts stay in the Chromium tier), and
//   requestAnimationFrame is a zero-delay timer.
// The globals are installed for one test file (useNodePictures in its describe) and removed after
// it, so the other unit tests run in plain Node as before.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { JSDOM, VirtualConsole } from 'jsdom';
import { h, options, render } from 'preact';
import { act } from 'preact/test-utils';
import { ChartPicture } from './pictureCharts';
import type { ChartName, ChartProps } from './pictureCharts';
import { serialise } from './serialise';
import { expectTextSnapshot, ROOT } from './snapshotFiles';

/** The snapshots of the Node pictures (their layout stand-ins differ from Chromium's layout, so not test/snapshots/pictures/). */
export const NODE_SNAPSHOTS = join(ROOT, 'test', 'snapshots', 'pictures-node');

/** The window's size in CSS pixels: the Chromium picture page's viewport. */
export const WINDOW = { width: 1000, height: 800 };
/** The width of a character of SVG text, in px, where a chart measures its text (about 12 px system-ui). */
export const TEXT_CHAR_WIDTH = 6.5;

/** The window's properties made globals while a picture test file runs: what Preact and d3 reach for. */
const GLOBALS = [
  'window',
  'document',
  'navigator',
  'Node',
  'Element',
  'HTMLElement',
  'HTMLCanvasElement',
  'HTMLInputElement',
  'SVGElement',
  'SVGSVGElement',
  'Event',
  'MouseEvent',
  'KeyboardEvent',
  'FocusEvent',
  'CustomEvent',
  'MutationObserver',
  'getComputedStyle',
  'matchMedia',
  'ResizeObserver',
  'IntersectionObserver',
  'requestAnimationFrame',
  'cancelAnimationFrame',
  'devicePixelRatio',
  'innerWidth',
  'innerHeight',
] as const;

/** The CSS length `prop` of an element's inline style or its nearest ancestor's, in px. */
function styledLength(el: Element | null, prop: 'width' | 'height'): number | undefined {
  for (let e = el; e; e = e.parentElement) {
    const v = /^(\d+(?:\.\d+)?)px$/.exec((e as HTMLElement).style?.[prop] ?? '');
    if (v) return Number(v[1]);
  }
  return undefined;
}

/** A jsdom window with the layout stand-ins above; `problems` collects what jsdom reported as an error. */
function pictureWindow(problems: string[]): JSDOM {
  const virtualConsole = new VirtualConsole();
  virtualConsole.on('jsdomError', (e) => problems.push(`jsdom: ${e.message}`));
  virtualConsole.on('error', (...a: unknown[]) => problems.push(`console.error: ${a.map(String).join(' ')}`));
  const dom = new JSDOM('<!doctype html><html><body><div id="root"></div></body></html>', { pretendToBeVisual: false, virtualConsole });
  const w = dom.window;
  const define = (proto: object, name: string, get: (this: Element) => number) =>
    Object.defineProperty(proto, name, { configurable: true, get });
  for (const name of ['clientWidth', 'offsetWidth'])
    define(w.HTMLElement.prototype, name, function () {
      return styledLength(this, 'width') ?? WINDOW.width;
    });
  for (const name of ['clientHeight', 'offsetHeight'])
    define(w.HTMLElement.prototype, name, function () {
      return styledLength(this, 'height') ?? 0;
    });
  Object.assign(w.SVGElement.prototype, {
    getComputedTextLength(this: Element): number {
      return (this.textContent ?? '').length * TEXT_CHAR_WIDTH;
    },
    getBBox: () => ({ x: 0, y: 0, width: 0, height: 0 }),
  });
  w.HTMLCanvasElement.prototype.getContext = (() => null) as typeof w.HTMLCanvasElement.prototype.getContext;
  class Unobserving {
    observe(): void {}
    unobserve(): void {}
    disconnect(): void {}
    takeRecords(): [] {
      return [];
    }
  }
  Object.assign(w, {
    innerWidth: WINDOW.width,
    innerHeight: WINDOW.height,
    devicePixelRatio: 1,
    ResizeObserver: Unobserving,
    IntersectionObserver: Unobserving,
    matchMedia: (query: string) => ({
      matches: query.includes('prefers-reduced-motion: reduce'),
      media: query,
      addEventListener() {},
      removeEventListener() {},
      addListener() {},
      removeListener() {},
    }),
    requestAnimationFrame: (f: FrameRequestCallback) => setTimeout(() => f(performance.now()), 0) as unknown as number,
    cancelAnimationFrame: (id: number) => clearTimeout(id),
  });
  return dom;
}

/** Makes the window's GLOBALS globals; returns what puts the earlier ones back. */
function installGlobals(w: Window): () => void {
  const g = globalThis as Record<string, unknown>;
  const own = w as unknown as Record<string, unknown>;
  const before = GLOBALS.map((name) => [name, Object.getOwnPropertyDescriptor(g, name)] as const);
  for (const name of GLOBALS) {
    const value = own[name];
    Object.defineProperty(g, name, {
      configurable: true,
      writable: true,
      value: typeof value === 'function' && /^[a-z]/.test(name) ? value.bind(w) : value,
    });
  }
  return () => {
    for (const [name, descriptor] of before) {
      if (descriptor) Object.defineProperty(g, name, descriptor);
      else delete g[name];
    }
  };
}

export interface NodePictures {
  /** Draws a chart alone from its props in a box `width` px wide (as the Chromium page does) and waits for its effects to settle. */
  draw<K extends ChartName>(chart: K, props: ChartProps<K>, width?: number): Promise<Element>;
  /** Compares what the last draw put under `selector` (serialised) with the snapshot `name` in test/snapshots/pictures-node/. */
  expect(name: string, selector: string): void;
}

/** Timer turns given to a draw's effects (a layout packed after a frame, then a timer, then drawn): a few more than any chart takes. */
const SETTLE_TURNS = 6;

/**
 * The jsdom window of a `describe`: call it first in the callback with `this`. Installs the globals
 * before the file's tests and removes them after, failing on anything jsdom reported as an error.
 */
export function useNodePictures(suite: Mocha.Suite): NodePictures {
  const problems: string[] = [];
  let dom: JSDOM | undefined;
  let restore: (() => void) | undefined;
  /** Preact's own option, put back after the file. */
  let savedRaf: ((callback: () => void) => void) | undefined;
  suite.beforeAll(() => {
    dom = pictureWindow(problems);
    restore = installGlobals(dom.window as unknown as Window);
    // Preact's hooks run their effects "after paint": after the window's frame, here a zero-delay timer.
    savedRaf = options.requestAnimationFrame?.bind(options);
    options.requestAnimationFrame = (f) => setTimeout(f, 0);
  });
  suite.afterAll(() => {
    if (dom) render(null, dom.window.document.getElementById('root')!);
    options.requestAnimationFrame = savedRaf;
    restore?.();
    dom?.window.close();
    assert.deepEqual(problems, [], 'jsdom reported errors while drawing the pictures');
  });
  const root = (): Element => {
    assert.ok(dom, 'the window is made in the before hook of useNodePictures');
    return dom.window.document.getElementById('root')!;
  };
  return {
    async draw(chart, props, width = 800) {
      const el = root();
      await act(() => render(null, el));
      await act(() => render(h(ChartPicture<typeof chart>, { chart, props, width }), el));
      for (let i = 0; i < SETTLE_TURNS; i++) await act(() => new Promise<void>((done) => setTimeout(done, 0)));
      assert.deepEqual(problems, [], `drawing ${chart} went wrong`);
      return el;
    },
    expect(name, selector) {
      const el = root().querySelector(selector);
      assert.ok(el, `the chart drew no ${selector}`);
      expectTextSnapshot(NODE_SNAPSHOTS, name, serialise(el), join('node', name));
    },
  };
}
