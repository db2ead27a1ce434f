// The extension host entry, bundled to dist/extension.js, and the one place that knows every part:
// it creates the context (ctx.ts), then each feature with what it needs, then the command groups
// (commands/), in plain order — nothing registers itself anywhere as a side effect. It stays light:
// activation runs on the VS Code UI's critical path, so it only creates objects and registers
// providers; nothing reads a run, starts a process or loads TensorFlow.js until the user asks.
import * as vscode from 'vscode';
import { type CompareCommands, registerCompareCommands } from './commands/compare';
import { type ControlCommands, registerControlCommands } from './commands/control';
import { registerPanelCommands } from './commands/panels';
import { registerRecordingCommands } from './commands/recording';
import { registerCommand } from './commands/registerCommand';
import { RunPicker } from './commands/runArgs';
import { registerRunCommands, type RunCommands } from './commands/runs';
import { registerSourceCommands } from './commands/source';
import { ComparePanels } from './panels/comparePanels';
import { Ctx } from './ctx';
import { LayerSource } from './editor/layerSource';
import { FindingsDiagnostics } from './editor/findingsDiagnostics';
import { ModelFeatures } from './editor/modelFeatures';
import { RunFindings } from './editor/runFindings';
import { RunPanels } from './panels/panels';
import { PythonAnalyze } from './recording/pythonAnalyze';
import { Recordings } from './recording/recording';
import { RunNames } from './runs/runDisplay';
import { RunLabels } from './runs/runLabels';
import { PendingMeasures } from './runs/pendingMeasures';
import { RunsView } from './runs/runsTree';
import { TerminalRunsEnv } from './runs/runsFolders';
import { SourceSites } from './editor/sourceSites';

/**
 * What `activate` returns: the extension's parts, for the integration tests (test/vscode), which
 * reach the same objects the commands use rather than mocks of them.
 */
export interface CnnSlicerApi {
  /** Settings, log, runs folders, the run index and the analysis service client. */
  readonly ctx: Ctx;
  readonly panels: RunPanels;
  /** The comparison panels (Compare Runs, Compare with Previous Run). */
  readonly comparePanels: ComparePanels;
  /** The compare commands' dialogs, replaceable by a test (a quick pick cannot be ticked there). */
  readonly compareCommands: CompareCommands;
  readonly recordings: Recordings;
  readonly runsView: RunsView;
  /** The run commands' dialogs, replaceable by a test (a modal dialog cannot be answered there). */
  readonly runCommands: RunCommands;
  /** CodeLens, hover, the `cnnSlicer.isModelFile` key and the cursor → panel link. */
  readonly modelFeatures: ModelFeatures;
  /** Where each recorded layer is in the current text (lens, hover and go to source agree). */
  readonly sourceSites: SourceSites;
  /** The findings of the runs, asked once per run state (Problems panel and lens summaries). */
  readonly runFindings: RunFindings;
  /** The findings of open model files in the Problems panel. */
  readonly findingsDiagnostics: FindingsDiagnostics;
  /** The control experiment command's dialogs, replaceable by a test. */
  readonly controlCommands: ControlCommands;
  /** Analyze CNN on a `.py` file (its dialogs, `ui`, replaceable by a test). */
  readonly pythonAnalyze: PythonAnalyze;
}

export function activate(context: vscode.ExtensionContext): CnnSlicerApi {
  const started = performance.now();
  const log = vscode.window.createOutputChannel('CNN Slicer', { log: true });
  context.subscriptions.push(log);
  const ctx = new Ctx(context, log);
  context.subscriptions.push(ctx);

  const labels = new RunLabels(ctx.runs, new RunNames(ctx.workspaceState));
  const sourceSites = new SourceSites(ctx.runs, log);
  const layerSource = new LayerSource(sourceSites);
  const panels = new RunPanels(ctx, labels, layerSource);
  const comparePanels = new ComparePanels(ctx, labels);
  const openRun = (runFolder: string) => panels.open(runFolder);
  const recordings = new Recordings(ctx, openRun);
  const runsView = new RunsView(ctx.runs, labels, recordings);
  // A Python script run in VS Code's terminal records into the workspace's runs folder (CNN_SLICER_RUNS).
  const terminalRunsEnv = new TerminalRunsEnv(context.environmentVariableCollection, ctx.runsFolderList, vscode.l10n);
  // PyTorch runs whose epochs still await their measures are measured by the bundled CLI.
  const pendingMeasures = new PendingMeasures({
    runs: ctx.runs,
    log,
    nodeExecutable: () => ctx.nodeExecutable(),
    bundle: (name) => ctx.bundle(name),
    childEnvironment: () => ctx.childEnvironment(),
  });
  // The service starts with the first findings asked (a model file with a run opened), never at activation.
  const runFindings = new RunFindings((run, query, options) => ctx.client().query(run, query, options), log);
  const findingsDiagnostics = new FindingsDiagnostics(sourceSites, runFindings);
  const modelFeatures = new ModelFeatures(
    sourceSites,
    (modelFile, layer, layerClass) => {
      panels.selectLayerOfModel(modelFile, layer);
      comparePanels.selectLayerOfModel(modelFile, layer, layerClass);
    },
    // The hover's "Epoch strip": the Layer view focused on the pair's deeper layer.
    (runFolder, first, second) => panels.open(runFolder, { view: 'layer', layer: second, pair: [first, second], open: 'epochStrip' }),
    runFindings,
    // Lenses and hovers name a run as the tree and the panel tabs do.
    (run) => labels.labelOf(run),
    // The lens of a definition standing for several layers: the Layer view on all of them.
    (runFolder, layers) => panels.open(runFolder, { view: 'layer', layer: layers[0], layers }),
  );
  context.subscriptions.push(
    sourceSites,
    layerSource,
    panels,
    comparePanels,
    recordings,
    runsView,
    terminalRunsEnv,
    pendingMeasures,
    runFindings,
    findingsDiagnostics,
    modelFeatures,
    // A completed recording: the Problems panel shows its run's findings without waiting for the watcher.
    recordings.onDidFinish(() => findingsDiagnostics.updateAll()),
  );

  const picker = new RunPicker({
    runs: ctx.runs,
    labels,
    selection: () => runsView.selection(),
    activeFolders: () => recordings.activeFolders(),
  });
  registerCommand(ctx, 'cnnSlicer.showOutput', () => log.show());
  const pythonAnalyze = new PythonAnalyze(ctx);
  registerRecordingCommands(ctx, recordings, openRun, pythonAnalyze);
  registerPanelCommands(ctx, panels, picker);
  registerSourceCommands(ctx, layerSource, picker);
  const compareCommands = registerCompareCommands(ctx, comparePanels, { labels, picker, activeFolders: () => recordings.activeFolders() });
  const controlCommands = registerControlCommands(ctx, { picker, compare: (folders) => comparePanels.open(folders) });
  const runCommands = registerRunCommands(ctx, {
    labels,
    picker,
    activeFolders: () => recordings.activeFolders(),
    // A deleted run's panel goes, and so does every comparison that shows it.
    closePanel: (runFolder) => {
      comparePanels.closeWith(runFolder);
      panels.close(runFolder);
    },
    refreshView: () => runsView.refresh(),
  });

  // The version in the log ties a bug report to the build that produced it.
  const version = (context.extension.packageJSON as { version?: unknown } | undefined)?.version;
  log.info(
    `CNN Slicer ${typeof version === 'string' ? version : '(unknown version)'} activated in ${(performance.now() - started).toFixed(1)} ms`,
  );
  return {
    ctx,
    panels,
    comparePanels,
    compareCommands,
    recordings,
    runsView,
    runCommands,
    modelFeatures,
    sourceSites,
    runFindings,
    findingsDiagnostics,
    controlCommands,
    pythonAnalyze,
  };
}

export function deactivate(): void {
  // Nothing to do: everything created in `activate` is owned by context.subscriptions,
  // which VS Code disposes of after this returns.
}
