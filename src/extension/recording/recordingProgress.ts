// How a recording's progress reads in the status bar. The recording itself is driven by the
// recorder client shared with the CLI (src/recorder/client.ts).
import type { RecordProgress } from '../../contract/protocols/recorder';

/** "1m05s", "42s": an ETA for the status bar. */
export function formatEta(ms: number | undefined): string | undefined {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return undefined;
  const s = Math.round(ms / 1000);
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** The status bar text of one recording: model, epoch n/N, percentage, ETA. */
export function describeProgress(model: string, p: RecordProgress | undefined): string {
  if (!p) return `${model}: starting…`;
  if (p.phase === 'loading') return `${model}: ${p.message ?? 'loading'}`;
  const eta = formatEta(p.etaMs);
  return `${model}: epoch ${p.epoch}/${p.epochs} · ${Math.round(p.fraction * 100)}%${eta ? ` · ${eta} left` : ''}`;
}
