/**
 * `cnn-slicer report <run-folder> <run-folder>…`: one HTML page comparing several runs from their
 * summaries (docs/views.md, "Comparing runs").
 */
import { randomBytes } from 'node:crypto';
import { existsSync, realpathSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { canonicalQuery, QueryError } from '../contract/queries';
import { AnalysisEngine } from '../service/engine';
import { COMMAND_ENGINE_MEMORY } from './engineMemory';
import type { ReportData, ReportRun } from '../../src/contract/reportCodec';
import { webviewPage } from '../contract/page';
import { REPORT_FORMAT_VERSION } from '../contract/reportCodec';
import type { ReportAnswer } from '../contract/reportCodec';
import { comparePlan } from '../contract/plan';
import { checkOutputFile } from './options';
import { encodeAnswers } from './reportAnswers';
import { assets, ReportResult, writePage } from './reportPage';
import type { CliStreams } from './streams';
import { UsageError } from './usage';

export interface ComparisonReportOptions {
  runFolders: string[];
  out: string;
  theme: 'light' | 'dark' | 'high-contrast';
  onProgress?: (done: number, total: number, what: string) => void;
}

/**
 * Writes the comparison of several runs: each run's answers to the comparison view's queries
 * (src/contract/plan.ts `comparePlan`: summaries and probe inputs only, no forward pass, so the report
 * stays small), keyed by run in `ReportData.runs`. Throws a UsageError, before anything is
 * computed, when a folder is not a run or a run is named twice.
 */
export async function writeComparisonReport(o: ComparisonReportOptions): Promise<ReportResult> {
  const started = performance.now();
  const { script, style } = assets();
  const folders = o.runFolders.map((f) => resolve(f));
  const seen = new Map<string, string>();
  for (const f of folders) {
    if (!existsSync(f)) throw new UsageError(`${f} does not exist`);
    const real = realpathSync(f);
    const earlier = seen.get(real);
    if (earlier !== undefined) throw new UsageError(`${f} names the same run as ${earlier}: name each run once`);
    seen.set(real, f);
  }
  const engine = new AnalysisEngine({ roots: [...new Set(folders.map((f) => dirname(f)))], ...COMMAND_ENGINE_MEMORY });
  try {
    const manifests: ReportData['manifest'][] = [];
    for (const f of folders) {
      let manifest: ReportData['manifest'];
      try {
        manifest = ((await engine.answer(f, { kind: 'run' })).answer as { manifest: ReportData['manifest'] }).manifest;
      } catch (e) {
        if (!(e instanceof QueryError) || e.code === 'internal' || e.code === 'cancelled') throw e;
        throw new UsageError(`${f} is not a recorded run (${e.message.split('\n')[0]})`);
      }
      manifests.push(manifest);
    }
    const plans = manifests.map((m) => comparePlan(m, manifests));
    const total = plans.reduce((n, p) => n + p.length, 0);
    let done = 0;
    let answerCount = 0;
    let errors = 0;
    const runs: ReportRun[] = [];
    const sizes: ReportResult['sizes'] = {};
    for (let r = 0; r < folders.length; r++) {
      const answers: Record<string, ReportAnswer> = {};
      for (const { query } of plans[r]) {
        o.onProgress?.(done++, total, `run ${r + 1}: ${query.kind}`);
        const key = canonicalQuery(query);
        if (answers[key]) continue;
        try {
          answers[key] = { answer: (await engine.answer(folders[r], query)).answer };
        } catch (e) {
          if (!(e instanceof QueryError) || e.code === 'internal' || e.code === 'cancelled') throw e;
          answers[key] = { error: { code: e.code, message: e.message } };
          errors++;
        }
        answerCount++;
      }
      const m = manifests[r];
      // Summaries only, so no budget: compressed like a single run's answers, nothing left out.
      const encoded = encodeAnswers(answers, 0, Infinity);
      for (const [kind, size] of Object.entries(encoded.sizes)) {
        const s = (sizes[kind] ??= { count: 0, rawBytes: 0, embeddedBytes: 0 });
        s.count += size.count;
        s.rawBytes += size.rawBytes;
        s.embeddedBytes += size.embeddedBytes;
      }
      runs.push({
        runId: m.id,
        manifest: m,
        answers: encoded.entries,
        coverage: `summaries of run ${m.id} only (training curves, input diversity, each layer's entropies at epoch ${m.epochs[m.epochs.length - 1] ?? '—'}); write a report of this run alone for its four views`,
      });
    }
    const data: ReportData = {
      formatVersion: REPORT_FORMAT_VERSION,
      runId: manifests[0].id,
      createdAt: new Date().toISOString(),
      manifest: manifests[0],
      // Empty: the answers are per run, in `runs`. A page that predates comparisons shows the first
      // run with "not in this report" notes instead of mixing runs.
      answers: {},
      coverage: `${runs.length} runs compared from their summaries (training curves, probe input diversity, per-layer entropies at each run's last epoch)`,
      runs,
    };
    const html = webviewPage({
      title: `CNN Slicer — ${manifests.map((m) => `${m.model.name} (${m.id})${m.control ? ` · control ${m.control.spec}` : ''}`).join(' vs ')}`,
      nonce: randomBytes(18).toString('base64'),
      script: { inline: script },
      style: { inline: style },
      data,
      theme: o.theme,
    });
    const bytes = writePage(o.out, html);
    return {
      out: o.out,
      bytes,
      answers: answerCount,
      errors,
      ms: performance.now() - started,
      sizes,
      omitted: [],
      summarised: [],
      outOfTime: [],
    };
  } finally {
    engine.close();
  }
}

export async function runComparisonReport(
  positionals: string[],
  values: {
    out?: string;
    epochs?: string;
    'deconvolution-channels'?: string;
    'dataset-diversity'?: boolean;
    pairs?: string;
    'max-mb'?: string;
    'max-seconds'?: string;
  },
  theme: 'light' | 'dark' | 'high-contrast',
  io: CliStreams,
): Promise<void> {
  // The forward-pass options shape a single run's report; a comparison holds summaries only.
  for (const option of ['epochs', 'deconvolution-channels', 'dataset-diversity', 'pairs', 'max-mb', 'max-seconds'] as const) {
    if (values[option] !== undefined) throw new UsageError(`--${option} applies to a report of one run, not to a comparison of several`);
  }
  const out = resolve(values.out ?? 'comparison-report.html');
  checkOutputFile(out);
  const r = await writeComparisonReport({
    runFolders: positionals,
    out,
    theme,
    onProgress: io.stderr.isTTY ? (d, t, what) => io.stderr.write(`\r  ${d}/${t} ${what}`.padEnd(50)) : undefined,
  });
  if (io.stderr.isTTY) io.stderr.write('\r'.padEnd(51) + '\r');
  io.stdout.write(
    `comparison report: ${r.out} (${positionals.length} runs, ${(r.bytes / 1e6).toFixed(1)} MB, ${r.answers} answers${r.errors ? `, ${r.errors} refused with a message` : ''}, ${(r.ms / 1000).toFixed(1)} s)\n`,
  );
}
