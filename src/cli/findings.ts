/**
 * `cnn-slicer findings <run-folder> [--epoch T] [--json]`: what the recorded measures say about the
 * model (the `findings` query, answered in this process), as a table or as the JSON answer.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { ablationLine, findingLine } from '../contract/findingsText';
import { parseCommandLine } from './options';
import type { FindingsAnswer } from '../contract/queries';
import { parseQuery } from '../contract/queries';
import { setSpinning } from '../native/ortRuntime';
import { AnalysisEngine } from '../service/engine';
import { COMMAND_ENGINE_MEMORY } from './engineMemory';
import { measureBeforeOpening } from './measure';
import type { CliStreams } from './streams';
import { HELP_ASKED, UsageError } from './usage';

/** The findings as a table: severity, layer, file:line, message (and the measured ablation); then the rules skipped. */
export function formatFindings(a: FindingsAnswer, options: { width?: number } = {}): string {
  const lines: string[] = [];
  if (!a.findings.length) lines.push(`No findings at epoch ${a.epoch}.`);
  else {
    const rows = a.findings.map((f) => [
      f.severity === 'warning' ? 'warning' : 'info',
      f.layerName ?? '—',
      f.source ? `${basename(f.source.file)}:${f.source.line}` : '—',
      f.ablation ? `${findingLine(f, 'cli')}; ${ablationLine(f)!}` : findingLine(f, 'cli'),
    ]);
    const header = ['severity', 'layer', 'source', 'finding'];
    const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (c < 3 ? r[c].length : 0))));
    const row = (cells: string[]) =>
      cells
        .map((cell, c) => (c < 3 ? cell.padEnd(widths[c]) : cell))
        .join('  ')
        .trimEnd();
    lines.push(`Findings at epoch ${a.epoch}:`, row(header));
    for (const r of rows) {
      const text = row(r);
      lines.push(options.width && text.length > options.width ? text.slice(0, options.width - 1) + '…' : text);
    }
  }
  for (const s of a.skipped) lines.push(`not checked: ${s.kind} (${s.reason})`);
  return lines.join('\n') + '\n';
}

/** The `findings` command's options (its descriptor shows them: src/cli/commands/runs.ts). */
export const FINDINGS_OPTIONS = {
  epoch: { type: 'string' },
  json: { type: 'boolean' },
  pretty: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function runFindings(argv: string[], io: CliStreams): Promise<void | typeof HELP_ASKED> {
  const parsed = parseCommandLine('findings', argv, FINDINGS_OPTIONS);
  if (parsed.values.help) return HELP_ASKED;
  if (parsed.positionals.length !== 1) throw new UsageError(`expected one run folder, got ${parsed.positionals.length} argument(s)`);
  const raw = parsed.values.epoch;
  if (raw !== undefined && !/^\d+$/.test(raw.trim())) throw new UsageError(`--epoch must be a non-negative integer, got "${raw}"`);
  const runFolder = resolve(parsed.positionals[0]);
  if (!existsSync(runFolder)) throw new UsageError(`${runFolder} does not exist`);
  if (!statSync(runFolder).isDirectory())
    throw new UsageError(`${runFolder} is a file, not a run folder: name a folder that "cnn-slicer runs" lists`);
  const query = parseQuery(raw === undefined ? { kind: 'findings' } : { kind: 'findings', epoch: Number(raw) });
  await measureBeforeOpening(runFolder, io);
  // The findings' forward passes share the cores with the compute workers (ortRuntime.ts); put
  // back after, for the process's next command.
  const spinning = setSpinning(false);
  const engine = new AnalysisEngine({ roots: [dirname(runFolder)], ...COMMAND_ENGINE_MEMORY });
  try {
    const r = await engine.answer(runFolder, query, {
      onProgress: io.stderr.isTTY
        ? (f, message) => io.stderr.write(`\r${Math.round(f * 100)}% ${message}`.slice(0, 79).padEnd(80))
        : undefined,
    });
    if (io.stderr.isTTY) io.stderr.write('\r'.padEnd(81) + '\r');
    const answer = r.answer as FindingsAnswer;
    if (parsed.values.json) io.stdout.write(JSON.stringify(answer, null, parsed.values.pretty ? 2 : undefined) + '\n');
    else io.stdout.write(formatFindings(answer));
  } finally {
    engine.close();
    setSpinning(spinning);
  }
}
