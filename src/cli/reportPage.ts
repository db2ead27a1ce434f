/**
 * What a report page is written from and what writing one returns, shared by the report of one
 * run (report.ts) and the comparison of several (compareReport.ts).
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { writeFailure } from './options';
import { UsageError } from './usage';

export interface ReportResult {
  out: string;
  bytes: number;
  answers: number;
  errors: number;
  ms: number;
  /** Per query kind: how many answers, their JSON bytes before encoding and their bytes in the page. */
  sizes: Record<string, { count: number; rawBytes: number; embeddedBytes: number }>;
  /** One line per answer left out to keep the page under `maxBytes`. */
  omitted: string[];
  /** One line per answer summarised (cut to fewer channels) to keep the page under `maxBytes`. */
  summarised: string[];
  /** One line per answer left out because computing ran past `maxSeconds`. */
  outOfTime: string[];
  /** Those of `outOfTime` whose computing had started and was cancelled at the deadline. */
  cancelled?: string[];
  /** One line per answer held as its estimate tier only: its exact query did not fit `maxSeconds`. */
  estimated?: string[];
  /**
   * The input subsets of one class each (src/contract/plan.ts `reportClassSubsets`): how many the report
   * holds of how many, how many the time budget and the size budget left out, and the answers of
   * those held (not counted in `answers`, the all-input answers). Absent in a comparison.
   */
  /** Per query kind (a class alone's apart): answers computed and the milliseconds they took, cached ones included. */
  timings?: Record<string, { count: number; ms: number }>;
  classes?: { held: number; total: number; outOfTime: number; overSize: number; answers: number };
}

/** The bundle and stylesheet, found next to the built CLI (dist/) or in the source tree. */
export function assets(): { script: string; style: string } {
  const candidates = [resolve(__dirname), resolve(__dirname, '../../dist'), resolve(process.cwd(), 'dist')];
  for (const dist of candidates) {
    const script = resolve(dist, 'webview.js');
    const style = resolve(dist, '../media/webview.css');
    if (existsSync(script) && existsSync(style)) return { script: readFileSync(script, 'utf8'), style: readFileSync(style, 'utf8') };
  }
  throw new UsageError('the webview bundle (dist/webview.js) is missing: run npm run build first');
}

/**
 * Writes a report page whole or not at all: to `<out>.partial`, then renamed over `out`, so an
 * interrupted report never leaves a half page where the last good one was. Returns its bytes.
 */
export function writePage(out: string, html: string): number {
  const tmp = `${out}.partial`;
  try {
    writeFileSync(tmp, html);
    renameSync(tmp, out);
  } catch (e) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // Nothing was written where nothing can be (a file in the path, a read-only folder).
    }
    throw new UsageError(
      `cannot write the report to ${out}: ${writeFailure(e)}; the answers computed are cached in the run folder, so writing it again elsewhere is quick`,
    );
  }
  return Buffer.byteLength(html);
}
