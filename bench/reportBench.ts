/**
 * The default report of deep models (issue 28): `cnn-slicer report` with its default budgets (60 s,
 * 25 MB) on a ResNet-18 at quarter and at full width (examples/resnet18.ts) and on the MobileNetV2
 * example, each recorded for one epoch on 2,000 CIFAR-format images (bench/fakeCifar.ts,
 * structured) with a probe of 200. Goals: the report in under 60 s, its process under 1.5 GB of
 * peak memory, and no answer left out (none for time, none cut or left out for size, every class
 * alone held). Each model is recorded by the CLI in a child process, then reported in a fresh child
 * of the bench (`--case report:<run folder>`), so the peak memory is the report's own.
 */
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import type { ReportResult } from '../src/cli/reportPage';

/** The models the report section records: file and the name the bench prints. */
export const REPORT_MODELS: { name: string; file: string }[] = [
  { name: 'ResNet-18, quarter width (16–128 channels)', file: 'test/fixtures/models/resnet18Quarter.ts' },
  { name: 'MobileNetV2 (width 0.5)', file: 'examples/mobilenetv2.ts' },
  { name: 'ResNet-18, full width (64–512 channels)', file: 'examples/resnet18.ts' },
];

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
  /** Classes alone the report does not hold, of how many. */
  classesMissing: number;
  classes: number;
  /** The slowest kinds: "channelImportance 12 × 40.1 s". */
  slowest: string[];
}

/** In the case's child: the default report of `runFolder`, written beside it. */
export async function reportCase(runFolder: string): Promise<ReportFigures> {
  const { writeReport, DEFAULT_MAX_SECONDS, DEFAULT_MAX_BYTES } = await import('../src/cli/report');
  const t = performance.now();
  const r: ReportResult = await writeReport({
    runFolder,
    out: `${runFolder}-report.html`,
    maxEpochs: 6,
    deconvolutionChannels: 16,
    boundDeconvolutions: true,
    datasetDiversity: false,
    theme: 'light',
    maxBytes: DEFAULT_MAX_BYTES,
    maxSeconds: DEFAULT_MAX_SECONDS,
  });
  return {
    seconds: (performance.now() - t) / 1000,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
    megabytes: r.bytes / 1e6,
    outOfTime: r.outOfTime.length,
    overSize: r.omitted.length + r.summarised.length,
    classesMissing: r.classes ? r.classes.total - r.classes.held : 0,
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
): Promise<{ fails: number }> {
  const cli = join(__dirname, 'cli.js');
  let fails = 0;
  for (const model of REPORT_MODELS) {
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
    const leftOut = r.outOfTime + r.overSize + r.classesMissing;
    const missed = [
      r.seconds >= REPORT_GOAL_SECONDS ? 'time' : '',
      r.peakRssMB >= REPORT_GOAL_RSS_MB ? 'memory' : '',
      leftOut > 0 ? 'answers left out' : '',
    ].filter(Boolean);
    fails += missed.length;
    print(
      `${model.name}: report ${r.seconds.toFixed(1)} s (goal < ${REPORT_GOAL_SECONDS} s), peak memory ${r.peakRssMB.toFixed(0)} MB ` +
        `(goal < ${REPORT_GOAL_RSS_MB} MB), ${r.megabytes.toFixed(1)} MB page; left out: ${r.outOfTime} for time, ${r.overSize} for size, ` +
        `${r.classesMissing} of ${r.classes} classes alone (goal 0)${missed.length ? ` — GOAL MISSED: ${missed.join(', ')}` : ''}`,
    );
    print(`  slowest: ${r.slowest.join('; ')}; recording took ${recordSeconds.toFixed(0)} s`);
  }
  return { fails };
}
