// The findings of recorded runs (query `findings`, asked of the analysis service through the
// context's client), cached per run and per state of the run: the Problems panel and the CodeLens
// read the same answer, asked once per run, never per lens. A TensorFlow.js run still recording is
// not asked (its findings would compete with its training); a PyTorch run is asked about each
// newest measured epoch as it lands (findingsAnswerable); a run that gains an epoch or ends is asked
// again, about its newest epoch, without cancelling what was asked before (findingsRequest.ts).
import * as vscode from 'vscode';
import type { RunRecord } from '../../run/store';
import type { FindingsAnswer } from '../../contract/queries/findings';
import type { Query } from '../../contract/queries';
import type { ClientResult, ClientQueryOptions } from '../../service/client';
import { CONFIGURATION_SECTION, readSettings } from '../settings';
import { askFindingsAgain, findingsAnswerable, findingsRequest, findingsStateKey } from './findingsRequest';

/** What RunFindings asks through: the analysis client's `query` (a stand-in in tests). */
export type AskFindings = (
  run: string,
  query: Extract<Query, { kind: 'findings' }>,
  options: ClientQueryOptions,
) => Promise<ClientResult<'findings'>>;

interface Entry {
  key: string;
  /** Undefined while asking, and when the service could not answer (logged once per run state). */
  answer?: FindingsAnswer;
  pending?: Promise<FindingsAnswer | undefined>;
}

/**
 * Whether the editor shows findings (Problems panel and lens summaries), setting
 * `cnnSlicer.diagnostics.enabled`: asking them starts the analysis service.
 */
export function findingsEnabled(scope?: vscode.ConfigurationScope): boolean {
  return readSettings(vscode.workspace.getConfiguration(CONFIGURATION_SECTION, scope)).diagnostics;
}

export class RunFindings implements vscode.Disposable {
  private readonly entries = new Map<string, Entry>();
  /** Per run, how many times its findings of a state were asked again after a cancellation. */
  private readonly askedAgain = new Map<string, { key: string; times: number }>();
  private readonly changed = new vscode.EventEmitter<string | undefined>();
  /** Fires with a run folder when its findings arrived, undefined when they were turned on or off (the lenses redraw). */
  readonly onDidChange = this.changed.event;
  private readonly configuration: vscode.Disposable;

  constructor(
    /** How the findings are asked: the analysis client; replaceable by the integration tests (with `forget`). */
    public ask: AskFindings,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.configuration = vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('cnnSlicer.diagnostics.enabled')) this.changed.fire(undefined);
    });
  }

  /** Whether a run's findings can be asked (findingsAnswerable). */
  static answerable(run: RunRecord): boolean {
    return findingsAnswerable(run);
  }

  /** The findings of `run` if they are here already; else undefined, and (once) asks for them. */
  cached(run: RunRecord): FindingsAnswer | undefined {
    if (!RunFindings.answerable(run) || !findingsEnabled(vscode.Uri.file(run.manifest.model.file))) return undefined;
    const entry = this.entries.get(run.folder);
    if (entry && entry.key === findingsStateKey(run)) return entry.answer;
    void this.load(run);
    return undefined;
  }

  /** The findings of `run`, asked of the service once per state of the run; undefined when it cannot answer. */
  load(run: RunRecord): Promise<FindingsAnswer | undefined> {
    if (!RunFindings.answerable(run)) return Promise.resolve(undefined);
    const key = findingsStateKey(run);
    const entry = this.entries.get(run.folder);
    if (entry && entry.key === key) return entry.pending ?? Promise.resolve(entry.answer);
    const request = findingsRequest(run);
    if (!request) return Promise.resolve(undefined);
    const fresh: Entry = { key };
    this.entries.set(run.folder, fresh);
    fresh.pending = this.ask(run.folder, request.query, request.options).then(
      (r) => {
        fresh.pending = undefined;
        if (this.entries.get(run.folder) !== fresh) return r.answer;
        fresh.answer = r.answer;
        this.changed.fire(run.folder);
        return r.answer;
      },
      (e: unknown) => {
        fresh.pending = undefined;
        const again = this.askedAgain.get(run.folder);
        const times = again?.key === key ? again.times : 0;
        if (this.entries.get(run.folder) === fresh && askFindingsAgain(e, times)) {
          // Cancelled with no answer: forget it and ask again (the readers are told to read again).
          this.askedAgain.set(run.folder, { key, times: times + 1 });
          this.entries.delete(run.folder);
          this.changed.fire(run.folder);
          return undefined;
        }
        this.log.warn(`the findings of ${run.folder} could not be computed: ${e instanceof Error ? e.message : String(e)}`);
        return undefined;
      },
    );
    return fresh.pending;
  }

  /** Forgets what was asked (of one run, or of all): the next reader asks again. */
  forget(folder?: string): void {
    if (folder === undefined) this.entries.clear();
    else this.entries.delete(folder);
  }

  dispose(): void {
    this.configuration.dispose();
    this.entries.clear();
    this.changed.dispose();
  }
}
