// The app shell: the run's header, the views as tabs (or all at once; their order and titles are
// src/contract/views.ts's), the shared tooltip. Each view reads the linked selection from ./state and asks its own slice queries.
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { RunManifest } from '../src/contract/runFormat';
import type { ReportData } from '../src/contract/reportCodec';
import type { DataSource } from './data';
import type { Focus } from '../src/contract/webviewProtocol';
import { TAB_TITLES, VIEW_IDS } from '../src/contract/views';
import type { ViewId } from '../src/contract/views';
import { AppProvider, applyFocus, useApp } from './state';
import { TooltipProvider } from './charts/primitives';
import { ChannelView } from './views/channel/ChannelView';
import { LayerView } from './views/layer/LayerView';
import { QueryView } from './views/query/QueryView';
import { TrainingView } from './views/training/TrainingView';
import { CompareView } from './views/compare/CompareView';
import { InformationView } from './views/information/InformationView';
import type { CompareRun } from './views/compare/compareData';
import { labelMeasuresAbsent } from '../src/contract/format';
import { MountWhenNear } from './mountWhenNear';
import { ViewPresence } from './viewPresence';

/** Each view's component: a view declared in src/contract/views.ts without one here does not compile. */
const VIEW_COMPONENTS: Record<ViewId, () => JSX.Element> = {
  query: QueryView,
  training: TrainingView,
  layer: LayerView,
  channel: ChannelView,
  information: InformationView,
};

/** The tabs, in the order and with the titles the views' table gives them. */
const TABS: { id: ViewId; title: string; view: () => JSX.Element }[] = VIEW_IDS.map((id) => ({
  id,
  title: TAB_TITLES[id],
  view: VIEW_COMPONENTS[id],
}));

export function App(props: {
  data: DataSource;
  manifest: RunManifest;
  initialFocus?: Focus;
  focusRequest?: { focus: Focus; at: number };
  report?: ReportData;
}): JSX.Element {
  return (
    <AppProvider data={props.data} manifest={props.manifest} initialFocus={props.initialFocus}>
      <TooltipProvider>
        <Shell focusRequest={props.focusRequest} report={props.report} />
      </TooltipProvider>
    </AppProvider>
  );
}

function Shell(props: { focusRequest?: { focus: Focus; at: number }; report?: ReportData }): JSX.Element {
  const { manifest, ui, update } = useApp();
  const [all, setAll] = useState(false);
  useEffect(() => {
    if (props.focusRequest) update((old) => applyFocus(old, props.focusRequest!.focus));
  }, [props.focusRequest, update]);
  const select = (id: ViewId) => update({ tab: id });
  const onKey = (e: KeyboardEvent) => {
    const i = TABS.findIndex((t) => t.id === ui.tab);
    if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
      const next = TABS[(i + (e.key === 'ArrowRight' ? 1 : TABS.length - 1)) % TABS.length];
      select(next.id);
      document.getElementById(`tab-${next.id}`)?.focus();
      e.preventDefault();
    }
  };
  return (
    <div class="app">
      <RunHeader report={props.report} all={all} setAll={setAll} />
      {!all && (
        <div class="tabs" role="tablist" aria-label="CNN Slicer views" onKeyDown={onKey}>
          {TABS.map((t) => (
            <button
              key={t.id}
              id={`tab-${t.id}`}
              type="button"
              role="tab"
              class={`tab${ui.tab === t.id ? ' selected' : ''}`}
              aria-selected={ui.tab === t.id}
              aria-controls={`panel-${t.id}`}
              tabIndex={ui.tab === t.id ? 0 : -1}
              onClick={() => select(t.id)}
            >
              {t.title}
            </button>
          ))}
        </div>
      )}
      {TABS.filter((t) => all || t.id === ui.tab).map((t) => (
        <div
          key={t.id}
          id={`panel-${t.id}`}
          role="tabpanel"
          aria-labelledby={all ? undefined : `tab-${t.id}`}
          aria-label={all ? `${t.title} view` : undefined}
          class={`view view-${t.id}`}
          data-view={t.id}
        >
          {all && <h2 class="view-title">{t.title}</h2>}
          <MountWhenNear eager={!all || t.id === ui.tab} what={t.title}>
            <ViewPresence all={all}>
              <t.view />
            </ViewPresence>
          </MountWhenNear>
        </div>
      ))}
      {manifest.epochs.length === 0 && <p class="status">This run has no recorded epoch yet; the views fill in as epochs finish.</p>}
    </div>
  );
}

/**
 * The comparison of several runs in one panel (docs/views.md, "Comparing runs"). The first run's
 * source backs what every card needs from the app (exports); the view asks each run its own queries.
 */
export function CompareApp(props: { runs: CompareRun[]; report?: ReportData; focusRequest?: { focus: Focus; at: number } }): JSX.Element {
  return (
    <AppProvider data={props.runs[0].data} manifest={props.runs[0].manifest}>
      <TooltipProvider>
        <div class="app compare-app">
          <header class="run-header">
            <div class="run-title">
              <strong>Comparing {props.runs.length} runs</strong>
            </div>
            <div class="run-tools">{props.report && <ThemePicker />}</div>
            {props.report && (
              <p class="muted report-note">
                Standalone comparison report written {new Date(props.report.createdAt).toLocaleString()} — {props.report.coverage}.
              </p>
            )}
          </header>
          <div id="panel-compare" class="view view-training view-compare" data-view="compare" aria-label="Runs compared">
            <CompareView runs={props.runs} focusRequest={props.focusRequest} />
          </div>
        </div>
      </TooltipProvider>
    </AppProvider>
  );
}

/** A report's theme switch (VS Code sets its own theme classes on <body>). */
function ThemePicker(): JSX.Element {
  const [theme, setTheme] = useBodyTheme();
  return (
    <label>
      Theme{' '}
      <select value={theme} aria-label="Theme" onChange={(e) => setTheme((e.target as HTMLSelectElement).value)}>
        <option value="light">Light</option>
        <option value="dark">Dark</option>
        <option value="high-contrast">High contrast</option>
      </select>
    </label>
  );
}

/** The theme of a standalone page (a report), read from and written to the body's classes. */
function useBodyTheme(): [string, (theme: string) => void] {
  const [theme, setTheme] = useState(() =>
    document.body.classList.contains('vscode-dark')
      ? 'dark'
      : document.body.classList.contains('vscode-high-contrast')
        ? 'high-contrast'
        : 'light',
  );
  useEffect(() => {
    document.body.classList.remove('vscode-light', 'vscode-dark', 'vscode-high-contrast');
    document.body.classList.add(`vscode-${theme}`);
    document.body.dispatchEvent(new CustomEvent('cnn-slicer-theme'));
  }, [theme]);
  return [theme, setTheme];
}

function RunHeader(props: { report?: ReportData; all: boolean; setAll(v: boolean): void }): JSX.Element {
  const { manifest, data } = useApp();
  const created = new Date(manifest.createdAt);
  const absent = labelMeasuresAbsent(manifest);
  return (
    <header class="run-header">
      <div class="run-title">
        <strong>{manifest.model.name}</strong>
        <span class="muted">
          {' '}
          on {manifest.dataset.name} · probe of {manifest.probe.size} inputs ·{' '}
          {manifest.epochs.length ? `epochs ${manifest.epochs[0]}–${manifest.epochs[manifest.epochs.length - 1]}` : 'no epoch yet'} ·{' '}
          {manifest.status} · {Number.isNaN(created.getTime()) ? manifest.createdAt : created.toLocaleString()}
          {absent !== undefined && (
            <>
              {' · '}
              {/* A model that predicts no class: said here once, so no view's missing accuracy reads as a fault. */}
              <span class="no-label-measures" title={absent}>
                no class predictions (no accuracy)
              </span>
            </>
          )}
        </span>
      </div>
      {manifest.control && (
        <ControlMark control={manifest.control} compare={data.compareWithSource && (() => data.compareWithSource?.())} />
      )}
      <div class="run-tools">
        {props.report && <ThemePicker />}
        <vscode-checkbox
          checked={props.all}
          onChange={(e: Event) => props.setAll((e.target as HTMLInputElement).checked)}
          aria-label="Show all five views at once"
        >
          All views
        </vscode-checkbox>
      </div>
      {props.report && (
        <p class="muted report-note">
          Standalone report written {new Date(props.report.createdAt).toLocaleString()} — {props.report.coverage}.
        </p>
      )}
    </header>
  );
}

/**
 * A control run's mark under its title (docs/control.md): which control of which run, so its numbers
 * are not read as the model's; in VS Code with a button that opens the comparison with the source run.
 */
function ControlMark(props: { control: NonNullable<RunManifest['control']>; compare?: () => void }): JSX.Element {
  const { control } = props;
  return (
    <p class="control-mark" data-testid="control-mark" data-control={control.spec}>
      <strong>Control experiment {control.spec}</strong> of run {control.sourceRun.id}: the same model and settings on transformed data.{' '}
      {props.compare ? (
        <button type="button" class="link-button" data-testid="compare-with-source" onClick={props.compare}>
          Compare with Source Run
        </button>
      ) : (
        <span class="muted">
          Compare the two runs with cnn-slicer report {'<this run>'} {`<run ${control.sourceRun.id}>`}.
        </span>
      )}
    </p>
  );
}
