// The views, each declared once: its id, its tab (title and place in the run panel), how a sentence
// names it, and whether a finding's evidence opens it. Everything else that lists the views is
// derived from this table: the ids the protocol accepts (VIEW_IDS, ViewId), where a finding's
// evidence may lead (FINDING_VIEWS), the views' names (VIEW_TITLES), the run panel's tabs
// (webview/App.tsx, whose components are a Record<ViewId, …>) and the report plan (plan.ts
// REPORT_PLAN_OF_VIEW, a Record<ViewId, …>, assembled by reportPlan). docs/views.md "Adding a view".
//
// Pure and at the bottom of src/contract: the finding schema (queries/findings.ts) and the protocol
// import it, so it imports nothing (the report plan, which needs the query schemas, lives in plan.ts).

/** One view, or one place a finding's evidence opens that is not a tab of the run panel. */
export interface ViewDescriptor {
  readonly id: string;
  /** The run panel's tab title (also the view's heading under "All views"); absent for a destination that is not a tab. */
  readonly tab?: string;
  /** How a sentence names it: the Findings list's "shown in the …" (findingsText.ts VIEW_TITLES). */
  readonly name: string;
  /** Whether a finding's evidence may open it (its `view.view`). */
  readonly findings: boolean;
}

/**
 * The four views of the paper (section 5) and the Information view (mutual information with the
 * labels), in the order of their tabs; then the comparison of runs, which is another panel (a control
 * run's findings open the comparison with its source run), not a tab.
 */
export const VIEWS = [
  { id: 'query', tab: 'Query', name: 'Query view', findings: true },
  { id: 'training', tab: 'Training performance', name: 'Training performance', findings: true },
  { id: 'layer', tab: 'Layer', name: 'Layer view', findings: true },
  { id: 'channel', tab: 'Channel', name: 'Channel view', findings: true },
  { id: 'information', tab: 'Information', name: 'Information view', findings: true },
  { id: 'compare', name: 'comparison of runs', findings: true },
] as const satisfies readonly ViewDescriptor[];

type Declared = (typeof VIEWS)[number];

/** A tab of the run panel: a view the host can focus, the report plans and App.tsx renders. */
export type ViewId = Extract<Declared, { tab: string }>['id'];
/** Where a finding's evidence may lead. */
export type FindingView = Extract<Declared, { findings: true }>['id'];

/** The ids of a table's tabs, in tab order. */
export function tabIds<V extends ViewDescriptor>(views: readonly V[]): Extract<V, { tab: string }>['id'][] {
  return views.filter((v): v is Extract<V, { tab: string }> => v.tab !== undefined).map((v) => v.id);
}

/** The ids of a table's finding destinations, in table order. */
export function findingViewIds<V extends ViewDescriptor>(views: readonly V[]): Extract<V, { findings: true }>['id'][] {
  return views.filter((v): v is Extract<V, { findings: true }> => v.findings).map((v) => v.id);
}

/** A table's names by id. */
export function viewNames<V extends ViewDescriptor>(views: readonly V[]): Record<V['id'], string> {
  return Object.fromEntries(views.map((v) => [v.id, v.name])) as Record<V['id'], string>;
}

/** A table's tab titles by id. */
export function tabTitles<V extends ViewDescriptor>(views: readonly V[]): Record<Extract<V, { tab: string }>['id'], string> {
  return Object.fromEntries(views.flatMap((v) => (v.tab === undefined ? [] : [[v.id, v.tab]]))) as Record<
    Extract<V, { tab: string }>['id'],
    string
  >;
}

/** The run panel's views in tab order: what the protocol's `view` accepts (focus requests, saved tab). */
export const VIEW_IDS: readonly ViewId[] = tabIds(VIEWS);
/** The views a finding's evidence opens in: the tabs, and the comparison of a control run with its source. */
export const FINDING_VIEWS: readonly FindingView[] = findingViewIds(VIEWS);
/** The tabs' titles ("Query", "Training performance"). */
export const TAB_TITLES: Record<ViewId, string> = tabTitles(VIEWS);

/**
 * The stages of a report's plan (src/contract/plan.ts reportPlan), in the order it is computed: the
 * findings first (they head the page; src/cli/reportAnswers.ts budgetOrder), then each view's own
 * answers, then what is built on them (the network graph, whose edges are the capacities computed
 * before, cached; channel importance). Within a stage the views come in tab order.
 */
export const REPORT_STAGES = ['first', 'views', 'last'] as const;
export type ReportStage = (typeof REPORT_STAGES)[number];
