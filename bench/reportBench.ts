/**
 * The default report of deep models (issue 28): `cnn-slicer report` with its default budgets (60 s,
 * 25 MB) on a ResNet-18 at quarter and at full width (examples/resnet18.ts) and on the MobileNetV2
 * example, each recorded for one epoch on 2,000 CIFAR-format images (bench/fakeCifar.ts,
 * structured) with a probe of 200. Goals: the report in under 60 s, its process under 1.5 GB of
 * peak memory, and no answer left out (none for time, none cut or left out for size, every class
 * alone held). Each model is recorded by the CLI in a child process, then reported in a fresh child
 * of the bench (`--case report:<run folder>`), so the peak memory is the report's own; that child
 * has the malloc setting `cnn-slicer report` starts itself with (src/cli/mallocTuning.ts).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import type { ReportResult } from '../src/cli/reportPage';
import { BenchUsageError } from './usage';
import { embeddedJson } from '../src/contract/page';

/** The models the report section records: the key `--report-models` names it by, file and the name the bench prints. */
export const REPORT_MODELS: { key: string; name: string; file: string }[] = [
  { key: 'quarter', name: 'ResNet-18, quarter width (16–128 channels)', file: 'test/fixtures/models/resnet18Quarter.ts' },
  { key: 'mobilenet', name: 'MobileNetV2 (width 0.5)', file: 'examples/mobilenetv2.ts' },
  { key: 'full', name: 'ResNet-18, full width (64–512 channels)', file: 'examples/resnet18.ts' },
];

/** The models of `--report-models a,b` (keys of {@link REPORT_MODELS}), all of them without it. */
export function reportModels(keys: string | undefined): typeof REPORT_MODELS {
  if (keys === undefined) return REPORT_MODELS;
  const wanted = keys.split(',');
  const unknown = wanted.filter((k) => !REPORT_MODELS.some((m) => m.key === k));
  if (unknown.length)
    throw new BenchUsageError(`--report-models takes ${REPORT_MODELS.map((m) => m.key).join(', ')}, not ${unknown.join(', ')}`);
  return REPORT_MODELS.filter((m) => wanted.includes(m.key));
}

/**
 * The SHA-256 of each answer the page embeds, as embedded (pictures at 8 bits, gzipped: the same
 * answer gives the same bytes), by its query's canonical key; the notes of answers left out are
 * left out. An answer cut to fewer channels to keep the page under its size budget is keyed with
 * its cut ("… cut: channels 0–15 of 64 only …"): how far it is cut depends on which answers were
 * in by the deadline, so two reports compare it only where both cut it alike. Two reports of one
 * run compare answer by answer: a change that must not change an answer (memory, scheduling)
 * leaves every answer both hold with the same hash.
 */
export function answerHashes(page: string): Record<string, string> {
  const json = embeddedJson(page);
  if (!json) throw new Error('the report embeds no data');
  const answers = (JSON.parse(json) as { answers: Record<string, { summary?: string }> }).answers;
  const hashes: Record<string, string> = {};
  for (const key of Object.keys(answers).sort()) {
    const answer = answers[key];
    if ('omitted' in answer) continue;
    const keyed = answer.summary === undefined ? key : `${key} cut: ${answer.summary}`;
    hashes[keyed] = createHash('sha256').update(JSON.stringify(answer)).digest('hex');
  }
  return hashes;
}

export const REPORT_GOAL_SECONDS = 60;
export const REPORT_GOAL_RSS_MB = 1536;

/** What a report case sends back from its child process. */
export interface ReportFigures {
  seconds: number;
  peakRssMB: number;
  megabytes: number;
  outOfTime: number;
  /** Answers cut to fewer channels or left out to stay under the size budget. */
  overSize: number;
  /** Classes alone the report does not hold, of how many: in all, and because their computing ran past the time budget. */
  classesMissing: number;
  classesOutOfTime: number;
  classes: number;
  /** The slowest kinds: "channelImportance 12 × 40.1 s". */
  slowest: string[];
  /** Answers cancelled midway at the time budget's deadline (left out with the others of `outOfTime`). */
  cancelled: string[];
  /**
   * Where each embedded answer's hash is written ({@link answerHashes}; in `$CNN_SLICER_BENCH_HASHES`,
   * else the system's temporary folder), and how many answers it holds.
   */
  hashesFile: string;
  hashed: number;
}

/** In the case's child: the default report of `runFolder`, written beside it. */
export async function reportCase(runFolder: string): Promise<ReportFigures> {
  const { writeReport, DEFAULT_MAX_SECONDS, DEFAULT_MAX_BYTES } = await import('../src/cli/report');
  const t = performance.now();
  const out = `${runFolder}-report.html`;
  const r: ReportResult = await writeReport({
    runFolder,
    out,
    maxEpochs: 6,
    deconvolutionChannels: 16,
    boundDeconvolutions: true,
    datasetDiversity: false,
    theme: 'light',
    maxBytes: DEFAULT_MAX_BYTES,
    maxSeconds: DEFAULT_MAX_SECONDS,
  });
  const seconds = (performance.now() - t) / 1000;
  const peakRssMB = process.resourceUsage().maxRSS / 1024;
  const hashes = answerHashes(readFileSync(out, 'utf8'));
  // Beside the bench's temporary folder, which it removes at its end: kept to compare with the next bench.
  const hashesFile = join(process.env.CNN_SLICER_BENCH_HASHES ?? tmpdir(), `report-hashes-${basename(runFolder)}.json`);
  writeFileSync(hashesFile, JSON.stringify(hashes, null, 1));
  return {
    seconds,
    peakRssMB,
    cancelled: r.cancelled ?? [],
    hashesFile,
    hashed: Object.keys(hashes).length,
    megabytes: r.bytes / 1e6,
    outOfTime: r.outOfTime.length,
    overSize: r.omitted.length + r.summarised.length,
    classesMissing: r.classes ? r.classes.total - r.classes.held : 0,
    classesOutOfTime: r.classes?.outOfTime ?? 0,
    classes: r.classes?.total ?? 0,
    slowest: Object.entries(r.timings ?? {})
      .sort((a, b) => b[1].ms - a[1].ms)
      .slice(0, 3)
      .map(([kind, k]) => `${kind} ${k.count} × ${(k.ms / 1000).toFixed(1)} s`),
  };
}

/** Records each model (CLI, child process) and reports it (`report` in a child of the bench); returns the lines and the goals missed. */
export async function benchReports(
  dir: string,
  cifarFolder: string,
  report: (runFolder: string) => Promise<ReportFigures>,
  print: (line: string) => void,
  models = REPORT_MODELS,
): Promise<{ fails: number }> {
  const cli = join(__dirname, 'cli.js');
  let fails = 0;
  for (const model of models) {
    const t = performance.now();
    const out = execFileSync(
      process.execPath,
      [
        cli,
        'record',
        resolve(__dirname, '..', model.file),
        '--dataset',
        `cifar10:${cifarFolder}`,
        '--train-limit',
        '2000',
        '--epochs',
        '1',
        '--probe',
        '200',
        '--out',
        join(dir, 'report-runs'),
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 24 },
    );
    const runFolder = out.trim().split('\n').at(-1)!.trim();
    const recordSeconds = (performance.now() - t) / 1000;
    const r = await report(runFolder);
    // The goal (issue 48): the complete report, nothing left out for time. What the 25 MB page has no
    // room for (a deep model's all-input answers fill it, so no class alone fits) is the size
    // budget's choice, printed beside it.
    const leftOut = r.outOfTime + r.classesOutOfTime;
    const missed = [
      r.seconds >= REPORT_GOAL_SECONDS ? 'time' : '',
      r.peakRssMB >= REPORT_GOAL_RSS_MB ? 'memory' : '',
      leftOut > 0 ? 'answers left out for time' : '',
    ].filter(Boolean);
    fails += missed.length;
    print(
      `${model.name}: report ${r.seconds.toFixed(1)} s (goal < ${REPORT_GOAL_SECONDS} s), peak memory ${r.peakRssMB.toFixed(0)} MB ` +
        `(goal < ${REPORT_GOAL_RSS_MB} MB), ${r.megabytes.toFixed(1)} MB page; left out for time: ${r.outOfTime} answers and ${r.classesOutOfTime} classes alone (goal 0); ` +
        `for size: ${r.overSize} answers cut or left out, ${r.classesMissing - r.classesOutOfTime} of ${r.classes} classes alone${missed.length ? ` — GOAL MISSED: ${missed.join(', ')}` : ''}`,
    );
    print(`  slowest: ${r.slowest.join('; ')}; recording took ${recordSeconds.toFixed(0)} s`);
    if (r.cancelled.length) print(`  cancelled at the deadline: ${r.cancelled.join('; ')}`);
    print(`  ${r.hashed} answers hashed in ${r.hashesFile}`);
  }
  return { fails };
}
