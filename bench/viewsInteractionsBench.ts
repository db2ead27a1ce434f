/**
 * The four interactions users wait on in real reports, timed in headless Chromium and broken down
 * by where the renderer's main thread spends its time:
 * - a CIFAR-format report (examples/cifar-cnn.ts on 3,000 CIFAR-10-format images, 3 epochs, probe
 *   300, `--pairs 1:3,1:5`): the Layer view's layer pair changed, the Channel view's layer changed,
 *   the first visit of the Channel tab;
 * - the demo's LeNet report (examples/mnist-lenet.ts, MNIST, 3 epochs, probe 500): "All views" ticked.
 *
 * The images are structured stand-ins in the CIFAR-10 binary format (bench/fakeCifar.ts: each class
 * stripes of its own colour, direction and frequency, under noise), since no CIFAR-10 download is on
 * the bench machines; the network learns them, and the views' work depends on the shapes (layers,
 * channels, epochs, probe size), which are the paper's CIFAR-10 model's.
 *
 * An interaction is timed inside the page, from the event it dispatches to the last change of the
 * document once no loading note remains and nothing has changed for 150 ms (then one frame, so the
 * canvases are on screen). Motion is reduced, so zoom transitions are not counted. The breakdown
 * comes from a Chrome trace of one more repetition: main-thread CPU time in script, style and
 * layout, paint and canvas, and garbage collection.
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { writeReport } from '../src/cli/report';
import { recordRun } from '../src/recorder/record';
import { writeFakeCifar } from './fakeCifar';
import { launchBenchBrowser } from './viewsBench';
import type { ViewsBenchLine } from './viewsBench';

const ROOT = resolve(__dirname, '..');
const GOAL_MS = 300;
const REPEATS = 5;

interface Reports {
  cifar: string;
  lenet: string;
}

/**
 * Records both runs (once per bench folder: a later bench run reuses them) and writes their reports
 * with this build's page (the runs' answer caches make a second report quick).
 */
async function reports(workDir: string): Promise<Reports> {
  const dir = join(workDir, 'interactions');
  mkdirSync(dir, { recursive: true });
  const recorded = async (name: string, record: (runsFolder: string) => Promise<{ folder: string }>) => {
    const runsFolder = join(dir, name);
    const found = existsSync(runsFolder) ? readdirSync(runsFolder).filter((f) => existsSync(join(runsFolder, f, 'manifest.json'))) : [];
    return found.length ? join(runsFolder, found[0]) : (await record(runsFolder)).folder;
  };
  const report = async (runFolder: string, out: string, pairs?: Array<[number, number]>) => {
    await writeReport({
      runFolder,
      out,
      maxEpochs: 6,
      deconvolutionChannels: 16,
      datasetDiversity: false,
      theme: 'light',
      pairs,
      maxSeconds: Number.POSITIVE_INFINITY,
    });
    return out;
  };
  const cifarRun = await recorded('cifar-runs', (runsFolder) =>
    recordRun({
      modelFile: join(ROOT, 'examples/cifar-cnn.ts'),
      dataset: `cifar10:${writeFakeCifar(dir, 3300, { structured: true })}`,
      epochs: 3,
      probeSize: 300,
      runsFolder,
      seed: 1,
    }),
  );
  const lenetRun = await recorded('lenet-runs', (runsFolder) =>
    recordRun({ modelFile: join(ROOT, 'examples/mnist-lenet.ts'), dataset: 'mnist', epochs: 3, probeSize: 500, runsFolder, seed: 1 }),
  );
  return {
    cifar: await report(cifarRun, join(dir, 'cifar-report.html'), [
      [1, 3],
      [1, 5],
    ]),
    lenet: await report(lenetRun, join(dir, 'lenet-report.html')),
  };
}

/** What an interaction does, run inside the page: a click, or a new value for a <select>. */
type Action = { click: string } | { select: string; value: string } | { toggle: string } | { scroll: string };

/**
 * Performs `action` in the page and resolves with the milliseconds until the document settled:
 * its last change once no loading note is left and 150 ms passed without a change, plus one frame.
 */
async function timeAction(page: Page, action: Action): Promise<number> {
  // A string, not a function: the bundler would wrap the page's inner functions in a naming helper
  // the page does not have.
  return page.evaluate<number>(`(${IN_PAGE})(${JSON.stringify(action)})`);
}

const IN_PAGE = `(a) => new Promise((done, fail) => {
  let last = performance.now();
  const observer = new MutationObserver(() => (last = performance.now()));
  const selector = a.click ?? a.select ?? a.toggle ?? a.scroll;
  const el = document.querySelector(selector);
  if (!el) return fail(new Error('nothing matches ' + selector));
  // A view scrolled to is timed on its own (the one below it may start drawing too, ahead of the user).
  const watched = a.scroll ? el : document.body;
  observer.observe(watched, { subtree: true, childList: true, attributes: true, characterData: true });
  const start = performance.now();
  if (a.click) el.click();
  else if (a.scroll) el.scrollIntoView({ block: 'start' });
  else if (a.toggle) {
    el.checked = !el.checked;
    el.dispatchEvent(new Event('change', { bubbles: true }));
  } else {
    el.value = a.value;
    el.dispatchEvent(new Event('change', { bubbles: true }));
    el.dispatchEvent(new Event('input', { bubbles: true }));
  }
  const poll = () => {
    const scope = a.scroll ? el : document.getElementById('root') ?? document.body;
    const busy = scope.querySelector('[aria-busy=true], vscode-progress-ring' + (a.scroll ? ', [data-testid=view-placeholder]' : '')) !== null || /Computing/.test(scope.textContent || '');
    if (busy || performance.now() - last < 150) return void setTimeout(poll, 20);
    observer.disconnect();
    requestAnimationFrame(() => done(last - start + 16));
  };
  setTimeout(poll, 20);
})`;

interface Breakdown {
  script: number;
  layout: number;
  paint: number;
  gc: number;
  total: number;
}

interface TraceEvent {
  name: string;
  ph: string;
  ts: number;
  dur?: number;
  tdur?: number;
  pid: number;
  tid: number;
  args?: { name?: string };
}

/** Main-thread CPU time of a trace by kind: each event's own time, nested events subtracted. */
function breakdown(events: TraceEvent[]): Breakdown {
  const main = events.find((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
  const out: Breakdown = { script: 0, layout: 0, paint: 0, gc: 0, total: 0 };
  if (!main) return out;
  const kind = (name: string): keyof Breakdown | undefined => {
    if (/^(FunctionCall|EvaluateScript|v8\.compile|V8\.Execute|RunMicrotasks|TimerFire|FireAnimationFrame|EventDispatch)$/.test(name))
      return 'script';
    if (/^(UpdateLayoutTree|Layout|RecalculateStyles|ScheduleStyleRecalculation)$/.test(name)) return 'layout';
    if (/^(Paint|PrePaint|Layerize|Commit|CompositeLayers|PaintImage|Canvas2DResourceProvider::ProduceCanvasResource)$/.test(name))
      return 'paint';
    if (/^(MajorGC|MinorGC|V8\.GC_MARK_COMPACTOR|V8\.GC_SCAVENGER)$/.test(name)) return 'gc';
    return undefined;
  };
  const mine = events
    .filter((e) => e.ph === 'X' && e.pid === main.pid && e.tid === main.tid && e.dur !== undefined)
    .sort((a, b) => a.ts - b.ts || (b.dur ?? 0) - (a.dur ?? 0));
  // Walk the nesting: an event's own time is its CPU time minus its classified children's.
  const stack: Array<{ e: TraceEvent; k?: keyof Breakdown; childCpu: number }> = [];
  const close = (upTo: number) => {
    while (stack.length && stack[stack.length - 1].e.ts + (stack[stack.length - 1].e.dur ?? 0) <= upTo) {
      const top = stack.pop()!;
      const cpu = (top.e.tdur ?? top.e.dur ?? 0) / 1000;
      const own = Math.max(0, cpu - top.childCpu);
      if (top.k) {
        out[top.k] += own;
        if (stack.length) stack[stack.length - 1].childCpu += cpu;
      } else if (stack.length) stack[stack.length - 1].childCpu += cpu - own;
      if (!stack.length) out.total += cpu;
    }
  };
  for (const e of mine) {
    close(e.ts);
    stack.push({ e, k: kind(e.name), childCpu: 0 });
  }
  close(Number.POSITIVE_INFINITY);
  return out;
}

async function traced(browser: Browser, page: Page, run: () => Promise<unknown>): Promise<Breakdown> {
  await browser.startTracing(page, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8'] });
  await run();
  const trace = await browser.stopTracing();
  return breakdown((JSON.parse(trace.toString('utf8')) as { traceEvents: TraceEvent[] }).traceEvents);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function open(browser: Browser, file: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 }, reducedMotion: 'reduce' });
  await page.goto(`file://${file}`);
  await page.waitForSelector('.run-header');
  await timeAction(page, { click: '#tab-query' });
  return page;
}

function line(label: string, times: number[], b: Breakdown): ViewsBenchLine {
  const f = (x: number) => Math.round(x);
  return {
    label: `${label} (median of ${times.length}; main-thread CPU ${f(b.total)} ms: script ${f(b.script)}, style+layout ${f(b.layout)}, paint ${f(b.paint)}, GC ${f(b.gc)})`,
    ms: median(times),
    goalMs: GOAL_MS,
  };
}

/** Times an interaction that can be repeated on one page, alternating between two actions. */
async function repeated(
  browser: Browser,
  file: string,
  before: Action[],
  there: Action,
  back: Action,
  label: string,
): Promise<ViewsBenchLine> {
  const page = await open(browser, file);
  for (const a of before) await timeAction(page, a);
  const times: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    times.push(await timeAction(page, there));
    await timeAction(page, back);
  }
  const b = await traced(browser, page, () => timeAction(page, there));
  await page.close();
  return line(label, times, b);
}

/** Times an interaction that happens once per page (a first visit), on a fresh page each time. */
async function firstTime(browser: Browser, file: string, action: Action, label: string): Promise<ViewsBenchLine> {
  const times: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const page = await open(browser, file);
    times.push(await timeAction(page, action));
    await page.close();
  }
  const page = await open(browser, file);
  const b = await traced(browser, page, () => timeAction(page, action));
  await page.close();
  return line(label, times, b);
}

export async function benchInteractions(workDir: string): Promise<ViewsBenchLine[]> {
  const { cifar, lenet } = await reports(workDir);
  const browser = await launchBenchBrowser();
  try {
    return await interactions(browser, cifar, lenet);
  } finally {
    await browser.close();
  }
}

async function interactions(browser: Browser, cifar: string, lenet: string): Promise<ViewsBenchLine[]> {
  const layerJ = 'select[aria-label="Layer J (rows)"]';
  const channelLayer = 'select[aria-label="Layer shown in the Channel view"]';
  return [
    await repeated(
      browser,
      cifar,
      [{ click: '#tab-layer' }],
      { select: layerJ, value: '3' },
      { select: layerJ, value: '2' },
      'CIFAR-format report, Layer view: layer pair changed → drawn',
    ),
    await repeated(
      browser,
      cifar,
      [{ click: '#tab-channel' }],
      { select: channelLayer, value: '4' },
      { select: channelLayer, value: '2' },
      'CIFAR-format report, Channel view: layer changed → drawn',
    ),
    await firstTime(browser, cifar, { click: '#tab-channel' }, 'CIFAR-format report, first visit of the Channel tab → drawn'),
    await firstTime(
      browser,
      lenet,
      { toggle: '.run-tools vscode-checkbox' },
      'LeNet demo report, "All views" ticked → the views on screen drawn',
    ),
    await allViewsScrolled(browser, lenet),
  ];
}

/**
 * "All views" draws a view as it comes near the window: each view scrolled to in turn, the time until
 * it is drawn, the slowest of the four per page (median over pages).
 */
async function allViewsScrolled(browser: Browser, file: string): Promise<ViewsBenchLine> {
  const views = ['training', 'layer', 'channel', 'information'];
  const slowest: number[] = [];
  let b: Breakdown | undefined;
  for (let i = 0; i <= REPEATS; i++) {
    const page = await open(browser, file);
    await timeAction(page, { toggle: '.run-tools vscode-checkbox' });
    const times: number[] = [];
    if (i === REPEATS)
      b = await traced(browser, page, async () => {
        for (const v of views) await timeAction(page, { scroll: `#panel-${v}` });
      });
    else for (const v of views) times.push(await timeAction(page, { scroll: `#panel-${v}` }));
    if (i < REPEATS) slowest.push(Math.max(...times));
    await page.close();
  }
  return line(
    'LeNet demo report, "All views": each view scrolled to in turn → that view drawn, the slowest of the four (CPU: all four)',
    slowest,
    b!,
  );
}
