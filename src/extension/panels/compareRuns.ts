// Which runs a comparison shows, in which order, and how a comparison panel is known again: the
// pure part of "Compare Runs" and "Compare with Previous Run" (commands/compare.ts) and of the
// comparison panels (comparePanels.ts). No `vscode` at run time, so it is unit-tested in plain
// Node (test/unit/extension/panels/compareRuns.test.ts).
import { resolve } from 'node:path';
import type { RunManifest } from '../../contract/runFormat';
import type { RunRecord } from '../../run/store';
import { COMPARED_RUNS_STATE_KEY, MAX_COMPARED_RUNS } from '../../contract/webviewProtocol';
import type { L10n } from '../l10n';

/** Oldest first (ties by id): run A is the earlier run, so "Compare with Previous Run" reads A → B. */
export function compareOrder<R extends Pick<RunRecord, 'manifest'>>(records: readonly R[]): R[] {
  return [...records].sort(
    (a, b) => a.manifest.createdAt.localeCompare(b.manifest.createdAt) || a.manifest.id.localeCompare(b.manifest.id),
  );
}

/** One panel per set of runs: the key of a set, whatever order its runs were picked in. */
export function compareKey(folders: readonly string[]): string {
  return [...new Set(folders.map((f) => resolve(f)))].sort().join('\n');
}

/** Whether a run was recorded from `modelFile` (its entry file or one of the files it imports). */
export function isRunOfModel(manifest: Pick<RunManifest, 'model'>, modelFile: string): boolean {
  const target = resolve(modelFile);
  return resolve(manifest.model.file) === target || manifest.model.sourceFiles.some((f) => resolve(f) === target);
}

/**
 * The run "Compare with Previous Run" sets beside `record`: the newest run of the same model file
 * created before it (ties of the same second by id) that has at least one recorded epoch — a run
 * that failed before its first epoch has nothing to compare. Undefined when there is none.
 */
export function previousRunOf<R extends Pick<RunRecord, 'manifest' | 'folder'>>(record: R, all: readonly R[]): R | undefined {
  const model = resolve(record.manifest.model.file);
  const earlier = (r: R) =>
    r.manifest.createdAt < record.manifest.createdAt ||
    (r.manifest.createdAt === record.manifest.createdAt && r.manifest.id < record.manifest.id);
  const candidates = all.filter(
    (r) =>
      resolve(r.folder) !== resolve(record.folder) &&
      resolve(r.manifest.model.file) === model &&
      r.manifest.epochs.length > 0 &&
      earlier(r),
  );
  return compareOrder(candidates).pop();
}

/** A tree node or `{ runFolder }` naming a run, or a run folder's path; a layer or detail node names none. */
function runFolderOf(x: unknown): string | undefined {
  if (typeof x === 'string') return x;
  if (typeof x !== 'object' || x === null) return undefined;
  const node = x as { kind?: unknown; runFolder?: unknown };
  if (node.kind !== undefined && node.kind !== 'run') return undefined;
  return typeof node.runFolder === 'string' ? node.runFolder : undefined;
}

/**
 * The run folders a "Compare Runs" invocation names. From the Recorded Runs view VS Code passes the
 * clicked node and the whole multi-selection; a test or another extension may pass an array of
 * runs as the first argument. Duplicates go; an empty list means "ask the user".
 */
export function selectedRunFolders(arg: unknown, selected: unknown): string[] {
  const items = Array.isArray(selected) && selected.length > 0 ? selected : Array.isArray(arg) ? arg : arg === undefined ? [] : [arg];
  const seen = new Set<string>();
  const out: string[] = [];
  for (const item of items) {
    const folder = runFolderOf(item);
    if (folder === undefined || seen.has(resolve(folder))) continue;
    seen.add(resolve(folder));
    out.push(folder);
  }
  return out;
}

/** Why a set of runs cannot be compared, said to the user; undefined when it can. */
export function compareCountProblem(count: number, l10n: L10n): string | undefined {
  if (count < 2)
    return l10n.t(
      'Compare Runs needs at least two runs; you picked {0}. Select two or more runs in Recorded Runs (Ctrl/Cmd+click), or tick them in the list.',
      count,
    );
  if (count > MAX_COMPARED_RUNS)
    return l10n.t(
      'Compare Runs shows at most {0} runs side by side, but {1} were picked. Pick fewer runs and try again.',
      MAX_COMPARED_RUNS,
      count,
    );
  return undefined;
}

/**
 * The run ids a restored comparison panel showed, read from the state its views saved (untrusted:
 * only a list of two or more plausible ids is taken), or undefined.
 */
export function comparedRunIdsOfState(state: unknown): string[] | undefined {
  if (typeof state !== 'object' || state === null) return undefined;
  const views = (state as { views?: unknown }).views;
  if (typeof views !== 'object' || views === null) return undefined;
  const ids = (views as Record<string, unknown>)[COMPARED_RUNS_STATE_KEY];
  if (!Array.isArray(ids) || ids.length < 2 || ids.length > MAX_COMPARED_RUNS) return undefined;
  if (!ids.every((id): id is string => typeof id === 'string' && id.length > 0 && id.length <= 200)) return undefined;
  return ids;
}

/** A comparison panel's title: the runs as the tree labels them. */
export function comparePanelTitle(runs: readonly { manifest: RunManifest; label: string }[], l10n: L10n): string {
  const names = runs.map((r) => `${r.manifest.model.name} (${r.label})`);
  return l10n.t('CNN Slicer: compare {0}', names.join(' · '));
}
