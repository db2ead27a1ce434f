/**
 * `cnn-slicer report <run-folder> [--out report.html]`: one self-contained HTML file with the four
 * views over precomputed answers, so a run can be looked at (and sent to someone) without VS Code.
 * The views and the queries they ask are the webview's own (src/contract/plan.ts); this command answers
 * those queries with the analysis engine and embeds the answers, the bundle and the stylesheet.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { setSpinning } from '../native/ortRuntime';
import { AnalysisEngine } from '../service/engine';
import type { ReportData } from '../../src/contract/reportCodec';
import { webviewPage } from '../contract/page';
import { REPORT_FORMAT_VERSION } from '../contract/reportCodec';
import {
  capacityPairs,
  depthPairs,
  importanceLayers,
  informationLayers,
  queries,
  REPORT_REDUNDANCY_LAYERS,
  reportDepthPairs,
  reportImportanceLayers,
  reportClassSubsets,
  reportPlan,
  reportStandIn,
  spreadEpochs,
  standInPerClass,
  subsetSteps,
  stripEpochs,
} from '../contract/plan';
import { measureBeforeOpening } from './measure';
import type { CliStreams } from './streams';
import { HELP_ASKED, UsageError } from './usage';
import { checkOutputFile, intOption, layerPairsOption, parseCommandLine } from './options';
import { runComparisonReport } from './compareReport';
import { COMMAND_ENGINE_MEMORY } from './engineMemory';
import { budgetOrder, describeQuery, encodeAnswers, entryBytes, SEE_EVERYTHING, sizeLimit } from './reportAnswers';
import type { InputSubset } from '../analysis/subsets';
import { assets, writePage } from './reportPage';
import { commandStartedAt } from './commandClock';
import { classAnswers, computeAnswers, deadlineSignal, Timings, withStandIns } from './reportCompute';
import type { ReportResult } from './reportPage';

export interface ReportOptions {
  runFolder: string;
  out: string;
  /** Most epochs with forward-pass answers (evenly spread, first and last always). */
  maxEpochs: number;
  deconvolutionChannels: number;
  /**
   * Fewer channels per layer than `deconvolutionChannels` for a deep model, so the report holds at
   * most {@link REPORT_DECONVOLUTIONS} deconvolutions (the CLI sets it unless the user chose a count).
   */
  boundDeconvolutions?: boolean;
  datasetDiversity: boolean;
  /**
   * Layer pairs `[I, J]` to precompute capacity for besides the consecutive ones (`--pairs`); each
   * must name two different layers of the run with several channels, or a UsageError is thrown.
   */
  pairs?: [number, number][];
  theme: 'light' | 'dark' | 'high-contrast';
  /** Largest the page may be (`--max-mb`, default 25 MB): answers beyond it are left out with a note. */
  maxBytes?: number;
  /**
   * How long the report may take (`--max-seconds`, default 60 s), a bound: {@link pageReserveMs}
   * before it, the answer computing is cancelled and no other is started (cached ones cost
   * nothing); each answer not computed is left out with a note, none shown in part. The page is
   * written in the time left.
   */
  maxSeconds?: number;
  /**
   * When the time budget started, in milliseconds since the epoch (`performance.timeOrigin`'s clock):
   * the CLI's command start (commandClock.ts), so that the command ends within --max-seconds as the
   * user times it. Default: when `writeReport` is called.
   */
  startedAt?: number;
  onProgress?: (done: number, total: number, what: string) => void;
}

export const DEFAULT_MAX_BYTES = 25e6;
export const DEFAULT_MAX_SECONDS = 60;

/**
 * The part of a report's time budget left for writing the page once computing stops: 3 s, at most
 * a tenth of the budget. The CIFAR ResNet-18's 23 MB page took 1.7 s from its deadline to its
 * file (the cancelled queries' ends, the last encodings, the page), so the command ends within
 * --max-seconds of its start.
 */
export function pageReserveMs(maxSeconds: number): number {
  return Math.min(3000, maxSeconds * 100);
}

export async function writeReport(o: ReportOptions): Promise<ReportResult> {
  const now = performance.now();
  const started = o.startedAt === undefined ? now : Math.min(now, o.startedAt - performance.timeOrigin);
  const { script, style } = assets();
  // Its forward passes and ablations share the cores with the compute workers (ortRuntime.ts).
  const spinning = setSpinning(false);
  const engine = new AnalysisEngine({ roots: [dirname(o.runFolder)], ...COMMAND_ENGINE_MEMORY });
  // The time budget is a bound: at the deadline the answer computing is cancelled (reportCompute.ts).
  const maxSeconds = o.maxSeconds ?? DEFAULT_MAX_SECONDS;
  const deadline = started + maxSeconds * 1000 - pageReserveMs(maxSeconds);
  const timeUp = deadlineSignal(deadline);
  try {
    const run = (await engine.answer(o.runFolder, { kind: 'run' })).answer as { manifest: ReportData['manifest'] };
    const manifest = run.manifest;
    const epochs = spreadEpochs(manifest.epochs, o.maxEpochs);
    const consecutive = reportConsecutivePairs(manifest);
    // A --pairs pair among the consecutive ones a deep model's report skips is computed after all.
    const asked = new Set((o.pairs ?? []).map(([a, b]) => `${a}:${b}`));
    const extraPairs = [
      ...checkLayerPairs(manifest, o.pairs ?? []),
      ...capacityPairs(manifest).filter(([a, b]) => asked.has(`${a}:${b}`) && consecutive.skipped.has(`${a}:${b}`)),
    ];
    const deconvolutionChannels = o.boundDeconvolutions
      ? Math.min(o.deconvolutionChannels, Math.max(1, Math.floor(REPORT_DECONVOLUTIONS / Math.max(1, manifest.layers.length - 1))))
      : o.deconvolutionChannels;
    const plan = reportPlan(manifest, {
      epochs,
      datasetDiversity: o.datasetDiversity,
      deconvolutionChannels,
    }).filter(
      ({ query }) =>
        !(query.kind === 'capacityMatrix' || query.kind === 'layerCapacity') || !consecutive.skipped.has(`${query.layerI}:${query.layerJ}`),
    );
    // The extra pairs get the answers the Layer view asks for a pair (src/contract/plan.ts builds them,
    // so the canonical keys match); a pair the plan already holds is answered once.
    for (const e of epochs) {
      for (const [a, b] of extraPairs) {
        plan.push({ view: 'layer', query: queries.capacityMatrix(a, b, e, { kind: 'all' }) });
        plan.push({ view: 'layer', query: queries.layerCapacity(a, b, e, { kind: 'all' }) });
      }
    }
    // The estimate tier first where a query has one; the exact queries at the end (reportCompute.ts).
    const ordered = withStandIns(budgetOrder(plan), (q) => reportStandIn(q, manifest));
    // Each class alone comes after every all-input answer (below): the budgets leave them out first, whole classes.
    const classSubsets = reportClassSubsets(manifest);
    const classSteps = classSubsets.map((x) => subsetSteps(plan, x));
    const progress = { done: 0, total: ordered.length + classSteps.reduce((n, steps) => n + steps.length, 0) };
    const timings: Timings = {};
    const budget = { deadline, maxSeconds, manifest, progress, timings, signal: timeUp.signal };
    const computed = await computeAnswers(engine, o, ordered, { ...budget, groupOf: new Map() });
    const { answers, outOfTime, cancelled, estimated } = computed;
    let errors = computed.errors;
    const data: ReportData = {
      formatVersion: REPORT_FORMAT_VERSION,
      runId: manifest.id,
      createdAt: new Date().toISOString(),
      manifest,
      answers: {},
      coverage: `all probe inputs; capacity between ${consecutive.skipped.size > 0 ? `${consecutive.kept} of ${consecutive.kept + consecutive.skipped.size} consecutive pairs of multi-channel layers (spread over the depth; --pairs adds others)` : 'consecutive multi-channel layers'}${extraPairs.length ? ` and ${extraPairs.map(([a, b]) => `${a}:${b}`).join(', ')}` : ''}, feature maps and confusion cells at ${epochs.length === manifest.epochs.length ? 'every epoch' : `epochs ${epochs.join(', ')}`}; ${stripCoverage(manifest)}; deconvolution of the first ${deconvolutionChannels} channels${deconvolutionChannels < o.deconvolutionChannels ? ` of each layer (at most ${REPORT_DECONVOLUTIONS} for the model's ${manifest.layers.length - 1} layers; --deconvolution-channels sets the count)` : ''} at epoch ${epochs[epochs.length - 1] ?? '—'}; ${informationCoverage(manifest)}`,
    };
    const page = (d: ReportData) =>
      webviewPage({
        title: `CNN Slicer — ${manifest.model.name} (${manifest.id})${manifest.control ? ` · control ${manifest.control.spec}` : ''}`,
        nonce: randomBytes(18).toString('base64'),
        script: { inline: script },
        style: { inline: style },
        data: d,
        theme: o.theme,
      });
    const maxBytes = o.maxBytes ?? DEFAULT_MAX_BYTES;
    // The notes below lengthen the page a little: budgeted as if the longest of them were there.
    const noteAllowance = 600;
    const outOfTimeBytes = [...outOfTime].reduce((n, [key, note]) => n + key.length + note.length + 20, 0);
    // Measured with every class listed: the list only shrinks below.
    data.subsets = classSubsets;
    const fixedBytes = Buffer.byteLength(page(data)) + noteAllowance + outOfTimeBytes;
    const { entries, sizes, omitted, summarised } = encodeAnswers(answers, fixedBytes, maxBytes, describeQuery, computed.encoded);
    for (const [key, note] of outOfTime) entries[key] = { omitted: note };
    const used = fixedBytes + Object.entries(entries).reduce((n, [key, entry]) => n + entryBytes(key, entry), 0);
    // Each class alone only where the all-input answers left room: a class never pushes one of those out.
    const perClass = await classAnswers(engine, o, classSteps, omitted.length + summarised.length > 0 ? 0 : maxBytes - used, budget);
    Object.assign(entries, perClass.entries);
    errors += perClass.errors;
    const classes = { ...perClass.classes, total: classSubsets.length };
    data.subsets = perClass.held.map((g) => classSubsets[g]);
    data.coverage += budgetCoverage(summarised.length, omitted.length, maxBytes);
    if (outOfTime.size > 0)
      data.coverage += `; ${outOfTime.size} answers were not computed within the report's ${maxSeconds} s (--max-seconds)${cancelled.size ? ` (${cancelled.size} of them stopped midway, none shown in part)` : ''}, each view says where`;
    if (estimated.size > 0)
      data.coverage += `; ${estimated.size} answers are estimates (channel importance: every channel's Taylor estimate, no exact ablation; capacity: from a sample of ${standInPerClass(manifest) ?? '—'} probe inputs per class), their exact measures not done within the report's ${maxSeconds} s (--max-seconds), each view says which`;
    data.coverage += classCoverage(manifest, data.subsets, classes, { maxSeconds, maxBytes });
    const html = page({ ...data, answers: entries });
    const bytes = writePage(o.out, html);
    return {
      out: o.out,
      bytes,
      answers: Object.keys(answers).length,
      errors,
      classes,
      ms: performance.now() - started,
      sizes,
      omitted,
      summarised,
      outOfTime: [...outOfTime.keys()].map(describeQuery),
      cancelled: [...cancelled].map(describeQuery),
      estimated: [...estimated].map(describeQuery),
      timings,
    };
  } finally {
    timeUp.clear();
    engine.close();
    setSpinning(spinning);
  }
}

/** The coverage of the per-class subsets: which classes the report holds alone, and which budget left the others out. */
function classCoverage(
  manifest: ReportData['manifest'],
  held: InputSubset[],
  classes: NonNullable<ReportResult['classes']>,
  limits: { maxSeconds: number; maxBytes: number },
): string {
  if (classes.total === 0) return '';
  const all = held.flatMap((x) => (x.kind === 'classes' ? x.classes : [])).map((c) => manifest.dataset.classNames[c] ?? String(c));
  const names = all.length > 12 ? [...all.slice(0, 12), `… ${all.length - 12} more`] : all;
  const why = [
    classes.outOfTime > 0 ? `${classes.outOfTime} not computed within ${limits.maxSeconds} s (--max-seconds)` : '',
    classes.overSize > 0 ? `${classes.overSize} left out to stay under ${sizeLimit(limits.maxBytes)} (--max-mb)` : '',
  ].filter(Boolean);
  if (held.length === classes.total) return `; as input subsets, each class alone (${names.join(', ')})`;
  return `; as input subsets, ${held.length ? `${held.length} of ${classes.total} classes alone (${names.join(', ')})` : 'no class alone'}: ${why.join(', ')}`;
}

/**
 * Most consecutive layer pairs whose capacity a report precomputes: a deep network has many (a
 * ResNet-18 about 60, up to 512 × 512 channels each), and computing them all takes minutes.
 */
export const REPORT_CONSECUTIVE_PAIRS = 12;

/**
 * Most deconvolutions (layers × channels) a report computes unless the user sets the channels: a
 * deep network's 16 per layer (ResNet-18: over 1,000) take many minutes, and most would not fit the
 * page. At 256 a CIFAR ResNet-18's report (probe 200) computed 198 in 83 s, and its 25 MB page held
 * 62 of them beside the feature maps: 128 gives it one per layer.
 */
export const REPORT_DECONVOLUTIONS = 128;

/**
 * The consecutive pairs a report leaves out beyond {@link REPORT_CONSECUTIVE_PAIRS}, keeping pairs
 * spread over the depth (the first, which the Layer view opens on, and the last included); the
 * depth strip's pairs are kept whatever they are.
 */
export function reportConsecutivePairs(manifest: ReportData['manifest']): { kept: number; skipped: Set<string> } {
  const pairs = capacityPairs(manifest);
  const kept = new Set(
    spreadEpochs(
      pairs.map((_, k) => k),
      REPORT_CONSECUTIVE_PAIRS,
    ).map((k) => `${pairs[k][0]}:${pairs[k][1]}`),
  );
  for (const [a, b] of reportDepthPairs(manifest)) kept.add(`${a}:${b}`);
  const skipped = new Set(pairs.map(([a, b]) => `${a}:${b}`).filter((key) => !kept.has(key)));
  return { kept: pairs.length - skipped.size, skipped };
}

/** The coverage note of a report over its size budget: what was cut and how to see all of it. */
function budgetCoverage(summarised: number, omitted: number, maxBytes: number): string {
  if (summarised === 0 && omitted === 0) return '';
  const parts = [
    summarised > 0 ? `${summarised} feature-map answers hold only their first channels` : '',
    omitted > 0 ? `${omitted} large answers are left out` : '',
  ].filter(Boolean);
  return `; to keep this report under ${(maxBytes / 1e6).toFixed(0)} MB ${parts.join(' and ')} (${SEE_EVERYTHING})`;
}

/** What the Information view can show from the report (src/contract/plan.ts `informationPlan`). */
function informationCoverage(manifest: ReportData['manifest']): string {
  const layers = informationLayers(manifest);
  const redundancy = Math.min(layers.length, REPORT_REDUNDANCY_LAYERS);
  const importance = reportImportanceLayers(manifest).length;
  const last = manifest.epochs[manifest.epochs.length - 1] ?? '—';
  const all = importanceLayers(manifest).length;
  return (
    `findings at epoch ${last}; information plane (pairwise and binned), label information per channel of ${layers.length} multi-channel layers, ` +
    `redundancy of ${redundancy === layers.length ? 'each of them' : `${redundancy} of them`} and channel importance of ` +
    `${importance === all ? `every layer it applies to (${importance}, dense layers included)` : `${importance} of the ${all} layers it applies to`} at epoch ${last}`
  );
}

/** What the Layer view's strips can show from the report: the epoch strip's epochs and the depth strip's pairs. */
function stripCoverage(manifest: ReportData['manifest']): string {
  const depth = reportDepthPairs(manifest);
  const all = depthPairs(manifest).length;
  return `epoch strips at epochs ${stripEpochs(manifest).join(', ')}; depth strip of layer ${depth[0]?.[0] ?? '—'} against ${depth.length === all ? `every later multi-channel layer` : `${depth.length} of ${all} later multi-channel layers`} at those epochs`;
}

/**
 * The `--pairs` that are not consecutive pairs already, after checking each against the run: both
 * layers exist and have several channels (capacity compares channels). Throws a UsageError naming
 * the first bad pair, before anything is computed.
 */
export function checkLayerPairs(manifest: ReportData['manifest'], pairs: [number, number][]): [number, number][] {
  const layers = manifest.layers;
  const describe = (index: number) => `layer ${index} (${layers[index].name}, ${layers[index].className})`;
  const choices = () =>
    `layers with several channels: ${
      layers
        .filter((l) => l.channels > 1)
        .map((l) => `${l.index} ${l.name}`)
        .join(', ') || 'none'
    }`;
  for (const [a, b] of pairs) {
    for (const index of [a, b]) {
      if (index >= layers.length) throw new UsageError(`--pairs ${a}:${b}: the run has no layer ${index} (${choices()})`);
      if (layers[index].channels <= 1)
        throw new UsageError(`--pairs ${a}:${b}: ${describe(index)} has one channel, nothing to compare (${choices()})`);
    }
    if (a === b) throw new UsageError(`--pairs ${a}:${b} pairs a layer with itself; name two different layers`);
  }
  const known = new Set(capacityPairs(manifest).map(([a, b]) => `${a}:${b}`));
  const extra: [number, number][] = [];
  for (const [a, b] of pairs) {
    if (known.has(`${a}:${b}`)) continue;
    known.add(`${a}:${b}`);
    extra.push([a, b]);
  }
  return extra;
}

/** The `report` command's options (its descriptor shows them: src/cli/commands/runs.ts). */
export const REPORT_OPTIONS = {
  out: { type: 'string' },
  epochs: { type: 'string' },
  'deconvolution-channels': { type: 'string' },
  'dataset-diversity': { type: 'boolean' },
  pairs: { type: 'string' },
  theme: { type: 'string' },
  'max-mb': { type: 'string' },
  'max-seconds': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function runReport(argv: string[], io: CliStreams): Promise<void | typeof HELP_ASKED> {
  const parsed = parseCommandLine('report', argv, REPORT_OPTIONS);
  if (parsed.values.help) return HELP_ASKED;
  if (parsed.positionals.length === 0)
    throw new UsageError('expected a <run-folder>, or several to compare (see cnn-slicer report --help)');
  const runFolder = resolve(parsed.positionals[0]);
  if (!existsSync(runFolder)) throw new UsageError(`${runFolder} does not exist`);
  const theme = parsed.values.theme ?? 'light';
  if (theme !== 'light' && theme !== 'dark' && theme !== 'high-contrast')
    throw new UsageError('--theme must be light, dark or high-contrast');
  // A PyTorch run's epochs are measured once, before any of its answers (src/cli/measure.ts).
  for (const folder of parsed.positionals) await measureBeforeOpening(resolve(folder), io);
  if (parsed.positionals.length > 1) return runComparisonReport(parsed.positionals, parsed.values, theme, io);
  const pairs = layerPairsOption(parsed.values.pairs);
  const out = resolve(parsed.values.out ?? `${basename(runFolder)}-report.html`);
  checkOutputFile(out);
  const r = await writeReport({
    runFolder,
    out,
    maxEpochs: intOption(parsed.values, 'epochs', 6, 1),
    deconvolutionChannels: intOption(parsed.values, 'deconvolution-channels', 16, 0),
    boundDeconvolutions: parsed.values['deconvolution-channels'] === undefined,
    datasetDiversity: parsed.values['dataset-diversity'] === true,
    pairs,
    theme,
    maxBytes: maxMegabytes(parsed.values['max-mb']) * 1e6,
    maxSeconds: intOption(parsed.values, 'max-seconds', DEFAULT_MAX_SECONDS, 1, 86_400),
    startedAt: commandStartedAt(),
    onProgress: io.stderr.isTTY ? (d, t, what) => io.stderr.write(`\r  ${d}/${t} ${what}`.padEnd(50)) : undefined,
  });
  if (io.stderr.isTTY) io.stderr.write('\r'.padEnd(51) + '\r');
  io.stdout.write(
    `report: ${r.out} (${(r.bytes / 1e6).toFixed(1)} MB, ${r.answers} answers${r.classes?.held ? ` and ${r.classes.answers} for ${r.classes.held} classes alone` : ''}${r.errors ? `, ${r.errors} refused with a message` : ''}, ${(r.ms / 1000).toFixed(1)} s)\n`,
  );
  const list = (title: string, lines: string[]) => {
    if (lines.length === 0) return;
    const shown = lines.slice(0, 8);
    io.stdout.write(
      `  ${title} to stay under ${maxMegabytes(parsed.values['max-mb'])} MB (the report says so; --max-mb raises the limit):\n` +
        shown.map((line) => `    ${line}\n`).join('') +
        (lines.length > shown.length ? `    … and ${lines.length - shown.length} more\n` : ''),
    );
  };
  list('summarised', r.summarised);
  list('left out', r.omitted);
  if (r.outOfTime.length > 0)
    io.stdout.write(
      `  not computed within --max-seconds (the report says so; --max-seconds raises the limit, cached answers are reused): ${r.outOfTime.length} answers${r.cancelled?.length ? ` (${r.cancelled.length} stopped midway: ${r.cancelled.slice(0, 2).join('; ')})` : ''}, e.g.\n` +
        r.outOfTime
          .slice(0, 4)
          .map((line) => `    ${line}\n`)
          .join(''),
    );
  if (r.estimated?.length)
    io.stdout.write(
      `  estimates only, their exact measures not done within --max-seconds (the report marks them; --max-seconds raises the limit): ${r.estimated.length} answers, e.g.\n` +
        r.estimated
          .slice(0, 4)
          .map((line) => `    ${line}\n`)
          .join(''),
    );
  if (process.env.CNN_SLICER_REPORT_TIMINGS)
    for (const [kind, t] of Object.entries(r.timings ?? {}).sort((a, b) => b[1].ms - a[1].ms))
      io.stderr.write(`  ${kind}: ${t.count} answers, ${(t.ms / 1000).toFixed(1)} s\n`);
  const c = r.classes;
  if (c && c.held < c.total)
    io.stdout.write(
      `  each class alone as an input subset: ${c.held} of ${c.total} classes held` +
        `${c.outOfTime ? `, ${c.outOfTime} not computed within --max-seconds` : ''}${c.overSize ? `, ${c.overSize} left out to stay under --max-mb` : ''} (lower priority than the all-input answers)\n`,
    );
}

/** `--max-mb`: a positive number of megabytes (10^6 bytes), default 25. */
function maxMegabytes(value: string | undefined): number {
  if (value === undefined) return DEFAULT_MAX_BYTES / 1e6;
  const mb = Number(value);
  if (!Number.isFinite(mb) || mb <= 0) throw new UsageError(`--max-mb must be a positive number of megabytes, not "${value}"`);
  return mb;
}
