// The webview entry, bundled for the browser as dist/webview.js. The same bundle runs inside a
// VS Code webview panel (answers come from the extension host) and as the standalone HTML report
// written by `cnn-slicer report` (answers embedded in the page); see ./data.ts.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import { render } from 'preact';
import type { JSX } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { RunManifest } from '../src/contract/runFormat';
import { App, CompareApp } from './App';
import type { ReportData } from '../src/contract/reportCodec';
import { hostDataSource, HostDataSource, reportDataSource, reportRunSources, ViewError } from './data';
import { COMPARED_RUNS_STATE_KEY, Focus, PROTOCOL_VERSION } from '../src/contract/webviewProtocol';
import type { CompareRun } from './views/compare/compareData';
import { getState, setState } from './vscodeApi';
import { reportVersionProblem } from '../src/contract/reportCodec';

function readReport(): ReportData | undefined {
  const el = document.getElementById('cnn-slicer-report');
  if (!el?.textContent) return undefined;
  return JSON.parse(el.textContent) as ReportData;
}

/**
 * Inside VS Code: wait for the host's hello, then read the run's manifest — or, in a comparison
 * panel (the hello names several runs), every run's manifest, each through its own source.
 */
function HostRoot(): JSX.Element {
  const [state, setRootState] = useState<{
    data?: HostDataSource;
    manifest?: RunManifest;
    runIds?: string[];
    runNames?: string[];
    compared?: CompareRun[];
    focus?: Focus;
    error?: string;
    version?: number;
    attempt: number;
  }>({ attempt: 0 });
  const [focusRequest, setFocusRequest] = useState<{ focus: Focus; at: number } | undefined>();
  useEffect(() => {
    const data = hostDataSource({
      onHello: (hello) =>
        setRootState((s) => ({
          ...s,
          data,
          focus: hello.focus,
          version: hello.protocolVersion,
          runIds: hello.runIds,
          runNames: hello.runNames,
        })),
      onTheme: () => {
        // VS Code swaps the body classes and variables itself; charts re-read them on redraw.
        document.body.dispatchEvent(new CustomEvent('cnn-slicer-theme'));
      },
      onFocus: (focus) => setFocusRequest({ focus, at: Date.now() }),
      // An epoch landed: the run is asked again, and the views on the last epoch move on (state.tsx).
      // A failure keeps the run as it was shown (the next change asks again).
      onRunChanged: () =>
        void data.query({ kind: 'run' }, { view: 'query' }).then(
          (a) => setRootState((s) => (s.compared ? s : { ...s, manifest: a.manifest })),
          () => undefined,
        ),
    });
  }, []);
  useEffect(() => {
    const data = state.data;
    if (!data) return;
    const fail = (e: unknown) =>
      setRootState((s) => ({ ...s, error: e instanceof ViewError || e instanceof Error ? e.message : String(e) }));
    if (state.runIds) {
      const runIds = state.runIds;
      const sources = runIds.map((_, r) => data.forRun(r));
      Promise.all(sources.map((source) => source.query({ kind: 'run' }, { view: 'training' }))).then((answers) => {
        rememberComparedRuns(runIds);
        const names = state.runNames?.length === runIds.length ? state.runNames : undefined;
        const compared = answers.map((a, r) => ({ manifest: a.manifest, data: sources[r], ...(names ? { name: names[r] } : {}) }));
        setRootState((s) => ({ ...s, compared, manifest: compared[0].manifest, error: undefined }));
      }, fail);
      return;
    }
    data
      .query({ kind: 'run' }, { view: 'query' })
      .then((a) => setRootState((s) => ({ ...s, manifest: a.manifest, error: undefined })), fail);
  }, [state.data, state.runIds, state.runNames, state.attempt]);
  if (state.version !== undefined && state.version !== PROTOCOL_VERSION) {
    return (
      <p role="alert" class="status error">
        This view speaks protocol version {PROTOCOL_VERSION}, but CNN Slicer sent version {state.version}. Run “Developer: Reload Window” to
        load matching versions.
      </p>
    );
  }
  if (state.error) {
    return (
      <div role="alert" class="status error">
        <span>
          Could not open {state.runIds ? 'the compared runs' : 'the run'}: {state.error}
        </span>
        <vscode-button secondary onClick={() => setRootState((s) => ({ ...s, error: undefined, attempt: s.attempt + 1 }))}>
          Retry
        </vscode-button>
      </div>
    );
  }
  if (!state.data || !state.manifest) {
    return (
      <div class="status" role="status">
        <vscode-progress-ring class="ring" aria-hidden="true" />{' '}
        {state.runIds ? `Opening ${state.runIds.length} runs…` : 'Opening the run…'}
      </div>
    );
  }
  if (state.compared) return <CompareApp runs={state.compared} focusRequest={focusRequest} />;
  return <App data={state.data} manifest={state.manifest} initialFocus={state.focus} focusRequest={focusRequest} />;
}

/**
 * Saves which runs a comparison panel shows where its state lives, so VS Code hands them back to
 * the host after a window reload (the host restores the panel from them). The views' state is
 * keyed by the first run; the list goes among its per-view settings, which it keeps.
 */
function rememberComparedRuns(runIds: string[]): void {
  const saved = getState();
  const old = typeof saved === 'object' && saved !== null ? (saved as Record<string, unknown>) : {};
  const views = old.runId === runIds[0] && typeof old.views === 'object' && old.views !== null ? old.views : {};
  setState({
    ...(old.runId === runIds[0] ? old : {}),
    version: 1,
    runId: runIds[0],
    views: { ...views, [COMPARED_RUNS_STATE_KEY]: runIds },
  });
}

function ReportRoot(props: { report: ReportData }): JSX.Element {
  // A comparison report holds its runs keyed by run; a single-run report has no `runs`.
  const runs = useMemo(() => reportRunSources(props.report), [props.report]);
  if (runs.length >= 2) return <CompareApp runs={runs} report={props.report} />;
  const data = reportDataSource(props.report);
  return <App data={data} manifest={props.report.manifest} report={props.report} />;
}

function mount(): void {
  const root = document.getElementById('root') ?? document.body;
  let report: ReportData | undefined;
  try {
    report = readReport();
  } catch (e) {
    root.textContent = `This report is damaged (its embedded data is not valid JSON: ${e instanceof Error ? e.message : String(e)}). Write it again with cnn-slicer report.`;
    return;
  }
  const versionProblem = report && reportVersionProblem(report);
  if (versionProblem) {
    root.textContent = versionProblem;
    return;
  }
  render(report ? <ReportRoot report={report} /> : <HostRoot />, root);
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', mount, { once: true });
else mount();
