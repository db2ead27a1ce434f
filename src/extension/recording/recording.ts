// The recordings running in this window: one recorder child process per recording
// (src/recorder/client.ts, shared with the CLI), a status bar item while any runs, and messages that say what happened and
// what to do when one ends. "Analyze CNN" (commands/recording.ts) starts them. Recording executes
// workspace code, so the command requires Workspace Trust.
import { basename } from 'node:path';
import * as vscode from 'vscode';
import type { Ctx } from '../ctx';
import { RecorderClient, type RecordingOutcome } from '../../recorder/client';
import type { RecordOptions } from '../../contract/protocols/recorder';
import { FailureDiagnostics } from './failureDiagnostics';
import { recordOptionsOf } from './recordOptions';
import { RecordingMenu } from './recordingMenu';
import { describeProgress } from './recordingProgress';
import { epochRecordedText } from '../runs/runDisplay';
import type { RecordingSettings } from '../settings';
import { whenRecorded } from './whenRecorded';

/** How long the status bar says a recording finished (the notification may hide sooner). */
const FINISHED_SHOWN_MS = 60_000;

/** A control experiment's record option (src/contract/protocols/recorder.ts `RecordOptions.control`). */
export type ControlOptions = NonNullable<RecordOptions['control']>;

/** A recording that ended, and how. */
export interface FinishedRecording {
  modelFile: string;
  outcome: RecordingOutcome;
}

/** One recording under way. */
export interface ActiveRecording {
  client: RecorderClient;
  model: string;
  modelFile: string;
}

export class Recordings implements vscode.Disposable {
  private readonly active = new Set<ActiveRecording>();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly progressed = new vscode.EventEmitter<void>();
  /** The menus listing the recordings, kept live while open (recordingMenu.ts). */
  readonly menu = new RecordingMenu(this.progressed.event);
  private readonly finishedEmitter = new vscode.EventEmitter<FinishedRecording>();
  /** Fires when a recording has ended, after the run index was told (the findings of its run are asked again). */
  readonly onDidFinish = this.finishedEmitter.event;
  private readonly status = vscode.window.createStatusBarItem('cnnSlicer.recording', vscode.StatusBarAlignment.Left, 50);
  /** The last recording that finished, shown in the status bar for FINISHED_SHOWN_MS. */
  private finished?: { model: string; folder: string; timer: ReturnType<typeof setTimeout> };
  /** The messages shown when a recording ended with a run (notices()). */
  private readonly shown: string[] = [];
  /** A failed recording's located error, shown in the Problems panel until the model records again. */
  readonly failures: FailureDiagnostics;

  constructor(
    private readonly ctx: Ctx,
    /** Opens a run's panel (the "Open Run" button of the messages). */
    private readonly openRun: (runFolder: string) => Promise<void>,
  ) {
    this.status.name = vscode.l10n.t('CNN Slicer recording');
    this.status.command = 'cnnSlicer.recordingMenu';
    this.failures = new FailureDiagnostics(ctx.workspaceState);
  }

  /** Run folders being recorded now (known once the recorder has created them). */
  activeFolders(): string[] {
    return [...this.active].map((a) => a.client.folder).filter((f): f is string => !!f);
  }

  list(): ActiveRecording[] {
    return [...this.active];
  }

  /** Cancels the recording of `runFolder`, or every recording; resolves when they have ended. */
  async cancel(runFolder?: string): Promise<void> {
    const targets = [...this.active].filter((a) => runFolder === undefined || a.client.folder === runFolder);
    for (const a of targets) a.client.cancel();
    await Promise.all(targets.map((a) => a.client.done));
  }

  /**
   * Starts recording `modelFile` into `runsFolder`; with `control`, a control experiment of the run
   * `control.sourceRun` (RecordOptions.control). `from` names where `s` came from when it is not
   * the Analyze CNN flow (a run recorded again), for the recorder's log (recordOptions.ts).
   */
  start(modelFile: string, runsFolder: string, s: RecordingSettings, control?: ControlOptions, from?: string): ActiveRecording {
    const { log } = this.ctx;
    const model = basename(modelFile);
    const config = this.ctx.settings(vscode.Uri.file(modelFile));
    /** The run folder, once the recorder has made it: its manifest says whether the run has a probe accuracy. */
    let runFolder: string | undefined;
    const client = new RecorderClient({
      script: this.ctx.bundle('recorder'),
      execPath: this.ctx.nodeExecutable(),
      options: { ...recordOptionsOf(modelFile, runsFolder, s, config, from), ...(control ? { control } : {}) },
      events: {
        onProgress: () => {
          this.update();
          this.progressed.fire();
        },
        onRunFolder: (folder) => {
          runFolder = folder;
          log.info(`recording ${model} into ${folder}`);
          this.ctx.runs.refresh();
          this.changed.fire();
        },
        onEpoch: (e) => {
          // A model that predicts no class has a probe accuracy of 0 that means nothing: the
          // manifest says so (a run the index cannot find keeps the plain line).
          const found = runFolder === undefined ? Promise.resolve(undefined) : this.ctx.runs.find(runFolder);
          void found.then(
            (record) => log.info(epochRecordedText(model, e, record?.manifest)),
            () => log.info(epochRecordedText(model, e, undefined)),
          );
          this.ctx.runs.refresh();
        },
        onLog: (line) => log.info(`${model}: ${line}`),
      },
    });
    const entry: ActiveRecording = { client, model, modelFile };
    // A new recording replaces the note that an earlier one finished.
    if (this.finished) clearTimeout(this.finished.timer);
    this.finished = undefined;
    this.active.add(entry);
    this.update();
    this.changed.fire();
    log.info(`started the recorder (pid ${client.pid}) for ${modelFile}`);
    void client.done.then((outcome) => {
      this.active.delete(entry);
      this.update();
      this.changed.fire();
      this.ctx.runs.refresh();
      this.report(entry, outcome);
      this.finishedEmitter.fire({ modelFile, outcome });
    });
    return entry;
  }

  private report(entry: ActiveRecording, outcome: RecordingOutcome): void {
    const { log } = this.ctx;
    const open = vscode.l10n.t('Open Run');
    const showLog = vscode.l10n.t('Show Log');
    this.publishDiagnostics(entry.modelFile, outcome);
    if (outcome.kind === 'done') {
      log.info(`${entry.model}: recording ${outcome.status}`);
      const message =
        outcome.status === 'cancelled'
          ? vscode.l10n.t('CNN Slicer: the recording of {0} was cancelled; its completed epochs are kept.', entry.model)
          : vscode.l10n.t('CNN Slicer: {0} is recorded.', entry.model);
      if (outcome.status !== 'cancelled') this.showFinished(entry.model, outcome.folder);
      const next = whenRecorded(outcome.status, Boolean(outcome.folder), this.ctx.settings().openWhenRecorded);
      const notify = (offerOpen: boolean): void => {
        this.shown.push(message);
        void vscode.window.showInformationMessage(message, ...(offerOpen ? [open] : [])).then((c) => {
          if (c === open && outcome.folder)
            void this.openRun(outcome.folder).catch((e: unknown) => log.error(`opening ${outcome.folder} failed: ${String(e)}`));
        });
      };
      // The panel opening is the news; a panel that could not open leaves the message to say it.
      if (next.openPanel && outcome.folder)
        void this.openRun(outcome.folder).catch((e: unknown) => {
          log.error(`opening ${outcome.folder} failed: ${String(e)}`);
          notify(true);
        });
      if (next.notify) notify(next.offerOpen);
      return;
    }
    if (outcome.kind === 'stopped' || (outcome.kind === 'failed' && outcome.code === 'cancelled')) {
      log.info(`${entry.model}: recording cancelled before anything was recorded`);
      void vscode.window.showInformationMessage(
        vscode.l10n.t('CNN Slicer: the recording of {0} was cancelled before anything was recorded.', entry.model),
      );
      return;
    }
    const message =
      outcome.kind === 'died' && outcome.folder ? `${outcome.message}; completed epochs are kept in the run folder` : outcome.message;
    log.error(`${entry.model}: ${message}`);
    const goTo = vscode.l10n.t('Go to Error');
    const buttons = [...(outcome.kind === 'failed' && outcome.location ? [goTo] : []), ...(outcome.folder ? [open] : []), showLog];
    void vscode.window
      .showErrorMessage(vscode.l10n.t('CNN Slicer could not record {0}: {1}', entry.model, message), ...buttons)
      .then(async (c) => {
        if (c === showLog) log.show();
        if (c === open && outcome.folder) await this.openRun(outcome.folder);
        if (c === goTo && outcome.kind === 'failed' && outcome.location) {
          const { file, line, column } = outcome.location;
          const pos = new vscode.Position(Math.max(0, line - 1), Math.max(0, column - 1));
          await vscode.window.showTextDocument(vscode.Uri.file(file), { selection: new vscode.Range(pos, pos) });
        }
      });
  }

  /**
   * Puts a failed recording's error in the Problems panel, on the file and line it names (or the
   * model file's first line for a model error without a location), and clears what an earlier failure of
   * this model put there once the model records again (failureDiagnostics.ts keeps it across a reload).
   * Failures that are not the model's (cancelled, the recorder did not start) leave the panel as it was.
   */
  private publishDiagnostics(modelFile: string, outcome: RecordingOutcome): void {
    if (outcome.kind === 'done') void this.failures.clear(modelFile);
    else if (outcome.kind === 'failed' && (outcome.location || outcome.code === 'model'))
      void this.failures.show(modelFile, outcome.message, outcome.location);
  }

  /**
   * Keeps "model recorded — click to open" in the status bar for a while: the notification saying so
   * can hide before it is clicked.
   */
  private showFinished(model: string, folder: string): void {
    if (this.finished) clearTimeout(this.finished.timer);
    const timer = setTimeout(() => {
      this.finished = undefined;
      this.update();
    }, FINISHED_SHOWN_MS);
    this.finished = { model, folder, timer };
    this.update();
  }

  /** The messages shown when recordings completed or were cancelled, oldest first, for tests. */
  notices(): readonly string[] {
    return [...this.shown];
  }

  /** The status bar's text, for tests. */
  statusText(): string | undefined {
    return this.status.text || undefined;
  }

  private update(): void {
    const list = [...this.active];
    void vscode.commands.executeCommand('setContext', 'cnnSlicer.recording', list.length > 0);
    if (list.length === 0 && this.finished) {
      const { model, folder } = this.finished;
      this.status.text = `$(check) ${vscode.l10n.t('{0} recorded', model)}`;
      this.status.tooltip = vscode.l10n.t('CNN Slicer: {0} is recorded. Click to open the run.', model);
      this.status.command = { command: 'cnnSlicer.openRun', title: vscode.l10n.t('Open Run'), arguments: [{ runFolder: folder }] };
      this.status.show();
      return;
    }
    this.status.command = 'cnnSlicer.recordingMenu';
    if (list.length === 0) {
      this.status.text = '';
      this.status.hide();
      return;
    }
    const lines = list.map((a) => describeProgress(a.model, a.client.lastProgress));
    this.status.text =
      list.length === 1 ? `$(loading~spin) ${lines[0]}` : `$(loading~spin) ${vscode.l10n.t('{0} recordings', list.length)} · ${lines[0]}`;
    this.status.tooltip = new vscode.MarkdownString(
      [
        vscode.l10n.t('**CNN Slicer** is recording:'),
        ...lines.map((l) => `- ${l}`),
        '',
        vscode.l10n.t('Click to cancel or to see the log.'),
      ].join('\n'),
    );
    this.status.show();
  }

  dispose(): void {
    if (this.finished) clearTimeout(this.finished.timer);
    for (const a of this.active) a.client.cancel();
    this.status.dispose();
    this.failures.dispose();
    this.changed.dispose();
    this.menu.dispose();
    this.progressed.dispose();
    this.finishedEmitter.dispose();
  }
}
