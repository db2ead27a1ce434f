// The app's shared state: the run, the data source, the selection that links the four views, and
// the hooks every view uses to ask slice queries. UI state is saved with the webview's `setState`
// (VS Code keeps it across hides and window reloads) and validated when read back, because it may
// come from an older version of this script.
import { createContext } from 'preact';
import * as v from 'valibot';
import type { ComponentChildren, JSX } from 'preact';
import { useCallback, useContext, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { canonicalQuery } from '../src/contract/queries';
import type { AnswerOf, QueryKind, QueryOf, QueryPriority } from '../src/contract/queries';
import type { RunManifest } from '../src/contract/runFormat';
import type { InputSubset } from '../src/analysis/subsets';
import { DataSource, ViewError } from './data';
import type { Focus } from '../src/contract/webviewProtocol';
import { VIEW_IDS } from '../src/contract/views';
import type { ViewId } from '../src/contract/views';
import { getState, setState } from './vscodeApi';

/** The hypercube slice dCNN(x, l, c, t) chosen in the Query view (paper 5.1). */
export interface Slice {
  /** Selected layers, ascending; the Layer view compares the first two. */
  layers: number[];
  /** Selected channels per layer (key: layer index); a missing layer means all of its channels. */
  channels: Record<string, number[]>;
  /** The input subset x. */
  subset: InputSubset;
}

export interface UiState {
  version: 1;
  tab: ViewId;
  /** The epoch every view shows; the sliders in each view move it together. */
  epoch: number;
  /** The applied slice; the Query view edits a draft and applies it with its Query button. */
  slice: Slice;
  /** The linked highlight: a layer (and channel) picked in any view is highlighted in all. */
  focus: { layer: number | null; channel: number | null };
  /** Per-view settings (sort order, zoom, …), each view validating its own part. */
  views: Record<string, unknown>;
}

export function defaultUiState(manifest: RunManifest): UiState {
  const epochs = manifest.epochs;
  return {
    version: 1,
    tab: 'query',
    epoch: epochs.length ? epochs[epochs.length - 1] : 0,
    slice: { layers: defaultLayers(manifest), channels: {}, subset: { kind: 'all' } },
    focus: { layer: null, channel: null },
    views: {},
  };
}

/** The two first layers with several channels (convolution or pooling outputs), as in the paper's Fig. 8. */
export function defaultLayers(manifest: RunManifest): number[] {
  const multi = manifest.layers.filter((l) => l.index > 0 && l.channels > 1).map((l) => l.index);
  if (multi.length >= 2) return multi.slice(0, 2);
  const any = manifest.layers.filter((l) => l.index > 0).map((l) => l.index);
  return any.slice(0, 2);
}

/**
 * The epoch the views show once the run's epochs are `epochs` (an epoch landed, issue 66), when they
 * showed `shown` and the last epoch was `lastBefore`: a view on the last epoch moves on to the new
 * last; one on an earlier epoch stays there, and one on an epoch the run no longer lists goes to the last.
 */
export function epochAfterLanding(shown: number, lastBefore: number | undefined, epochs: readonly number[]): number {
  const last = epochs.at(-1);
  if (last === undefined) return shown;
  return shown === lastBefore || !epochs.includes(shown) ? last : shown;
}

/** Reads saved state back, keeping only what is valid for this run. */
export function restoreUiState(saved: unknown, manifest: RunManifest): UiState {
  const base = defaultUiState(manifest);
  if (typeof saved !== 'object' || saved === null) return base;
  const s = saved as Partial<UiState> & { runId?: unknown };
  if (s.version !== 1 || s.runId !== manifest.id) return base;
  const layerOk = (l: unknown): l is number => Number.isInteger(l) && (l as number) >= 0 && (l as number) < manifest.layers.length;
  const out: UiState = { ...base };
  if (typeof s.tab === 'string' && (VIEW_IDS as readonly string[]).includes(s.tab)) out.tab = s.tab;
  if (typeof s.epoch === 'number' && manifest.epochs.includes(s.epoch)) out.epoch = s.epoch;
  if (s.slice && Array.isArray(s.slice.layers) && s.slice.layers.every(layerOk)) {
    const channels: Record<string, number[]> = {};
    for (const [k, v] of Object.entries(s.slice.channels ?? {})) {
      const layer = manifest.layers[Number(k)];
      if (layer && Array.isArray(v) && v.every((c) => Number.isInteger(c) && c >= 0 && c < layer.channels)) channels[k] = v;
    }
    out.slice = { layers: s.slice.layers, channels, subset: validSubset(s.slice.subset) ?? base.slice.subset };
  }
  if (s.focus && (s.focus.layer === null || layerOk(s.focus.layer))) {
    const ch = s.focus.channel;
    out.focus = { layer: s.focus.layer, channel: typeof ch === 'number' && Number.isInteger(ch) && ch >= 0 ? ch : null };
  }
  if (s.views && typeof s.views === 'object') out.views = s.views;
  return out;
}

function validSubset(x: unknown): InputSubset | undefined {
  if (typeof x !== 'object' || x === null) return undefined;
  const s = x as Record<string, unknown>;
  const ints = (v: unknown) => Array.isArray(v) && v.every((e) => Number.isInteger(e) && e >= 0);
  if (s.kind === 'all') return { kind: 'all' };
  if (s.kind === 'classes' && ints(s.classes)) return { kind: 'classes', classes: s.classes as number[] };
  if (s.kind === 'indices' && ints(s.indices)) return { kind: 'indices', indices: s.indices as number[] };
  if (s.kind === 'perClass' && Number.isInteger(s.count) && (s.count as number) >= 1) {
    return { kind: 'perClass', count: s.count as number, ...(Number.isInteger(s.seed) ? { seed: s.seed as number } : {}) };
  }
  return undefined;
}

export interface AppContextValue {
  data: DataSource;
  manifest: RunManifest;
  classNames: string[];
  ui: UiState;
  // Function properties, not methods: views take them out of the context (`const { update } = useApp()`).
  update: (change: Partial<UiState> | ((ui: UiState) => Partial<UiState>)) => void;
  /** Picks a layer (and channel) everywhere: the linked selection. */
  focus: (layer: number | null, channel?: number | null) => void;
  /** Answers already received, shared by all views (tab switches and epoch scrubbing do not ask again). */
  cache: AnswerCache;
}

export const AppContext = createContext<AppContextValue | null>(null);

export function useApp(): AppContextValue {
  const ctx = useContext(AppContext);
  if (!ctx) throw new Error('useApp outside <AppProvider>');
  return ctx;
}

export function AppProvider(props: {
  data: DataSource;
  manifest: RunManifest;
  initialFocus?: Focus;
  children: ComponentChildren;
}): JSX.Element {
  const { data, manifest } = props;
  const [ui, setUi] = useState<UiState>(() => applyFocus(restoreUiState(getState(), manifest), props.initialFocus));
  // Answers about "every epoch" change when one lands: a new run state starts a new cache.
  const epochsKey = `${manifest.status}|${manifest.epochs.join(',')}`;
  const cache = useMemo(() => new AnswerCache(48), [epochsKey]);
  const update = useCallback((change: Partial<UiState> | ((ui: UiState) => Partial<UiState>)) => {
    setUi((old) => ({ ...old, ...(typeof change === 'function' ? change(old) : change) }));
  }, []);
  const focus = useCallback((layer: number | null, channel: number | null = null) => update({ focus: { layer, channel } }), [update]);
  // A view on the last epoch moves on to an epoch that lands; one on an earlier epoch stays there.
  const lastEpoch = useRef(manifest.epochs.at(-1));
  useEffect(() => {
    const before = lastEpoch.current;
    const now = manifest.epochs.at(-1);
    lastEpoch.current = now;
    if (now !== before) update((old) => ({ epoch: epochAfterLanding(old.epoch, before, manifest.epochs) }));
  }, [manifest.epochs, update]);
  // Saved as the change is committed, in the same task as the click that made it: an effect runs
  // only after the next paint, and a panel hidden or reloaded before then came back without it.
  useLayoutEffect(() => {
    setState({ ...ui, runId: manifest.id });
  }, [ui, manifest.id]);
  const value = useMemo<AppContextValue>(
    () => ({ data, manifest, classNames: manifest.dataset.classNames, ui, update, focus, cache }),
    [data, manifest, ui, update, focus, cache],
  );
  return <AppContext.Provider value={value}>{props.children}</AppContext.Provider>;
}

/**
 * The Layer view's pair for a focus on `layer`: the layer before it and it (layer 1 pairs with layer
 * 2); none for the input, which the Layer view does not show. A pair beyond the model is left to
 * the Layer view, which falls back to its default pair.
 */
export function pairEndingAt(layer: number): [number, number] | undefined {
  if (layer >= 2) return [layer - 1, layer];
  return layer === 1 ? [1, 2] : undefined;
}

/** Applies a focus request from the host (CodeLens "show entropy", the editor cursor). */
export function applyFocus(ui: UiState, focus: Focus | undefined): UiState {
  if (!focus) return ui;
  const views = { ...ui.views };
  // The Layer view's own settings (LayerView.tsx: 'layer.pair', 'layer.strips'), set as if picked there.
  // A focus on a layer alone (the editor cursor, a lens) picks the pair that ends at it, so the
  // Layer view follows the cursor as the other views do; a pick in the panel wins until the next focus.
  const pair = focus.pair ?? (typeof focus.layer === 'number' ? pairEndingAt(focus.layer) : undefined);
  if (pair) views['layer.pair'] = { base: ui.slice.layers.join(','), i: pair[0], j: pair[1] };
  // The layers of one definition (a lens standing for several), shown in the Layer view's row (InstancesCard.tsx).
  if (focus.layers) views['layer.instances'] = [...focus.layers];
  // The Information view's estimator (InformationView.tsx: 'information.estimator'), as if picked there.
  if (focus.estimator) views['information.estimator'] = focus.estimator;
  if (focus.open === 'epochStrip') {
    const strips = views['layer.strips'];
    views['layer.strips'] = {
      ...(typeof strips === 'object' && strips !== null ? strips : { depthOpen: false, epochs: null, depthBase: null }),
      epochOpen: true,
    };
  }
  return {
    ...ui,
    ...(focus.view ? { tab: focus.view } : {}),
    views,
    focus: { layer: focus.layer ?? ui.focus.layer, channel: focus.channel ?? (focus.layer !== undefined ? null : ui.focus.channel) },
  };
}

/** A view's own persisted setting, validated by `valid` when read back. */
export function useViewState<T>(key: string, initial: T, valid: (v: unknown) => v is T): [T, (v: T) => void] {
  const { ui, update } = useApp();
  const stored = ui.views[key];
  const value = valid(stored) ? stored : initial;
  const set = useCallback((v: T) => update((old) => ({ views: { ...old.views, [key]: v } })), [update, key]);
  return [value, set];
}

/**
 * A view's own persisted setting, checked against its valibot schema when read back: the stored
 * value may come from an older version of this script.
 */
export function useSchemaViewState<S extends v.GenericSchema>(
  key: string,
  schema: S,
  initial: v.InferOutput<S>,
): [v.InferOutput<S>, (value: v.InferOutput<S>) => void] {
  const valid = useCallback((x: unknown): x is v.InferOutput<S> => v.is(schema, x), [schema]);
  return useViewState(key, initial, valid);
}

/** Most recently used answers by canonical query. */
export class AnswerCache {
  private readonly map = new Map<string, unknown>();
  constructor(private readonly capacity: number) {}
  get(key: string): unknown {
    const v = this.map.get(key);
    if (v !== undefined) {
      this.map.delete(key);
      this.map.set(key, v);
    }
    return v;
  }
  set(key: string, value: unknown): void {
    this.map.delete(key);
    this.map.set(key, value);
    while (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value as string);
  }
}

export type QueryResult<T> =
  | { status: 'idle' }
  | { status: 'loading'; progress?: { fraction: number; message?: string }; previous?: T }
  | { status: 'ready'; answer: T }
  | { status: 'error'; error: ViewError; retry: () => void };

/**
 * Asks one slice query and follows it: loading (with progress), the answer, or the error with a
 * retry. A new query supersedes the previous one of the same hook (the old one is cancelled), and
 * `null` asks nothing. While a new answer loads, the previous one is kept for display.
 */
export function useQuery<K extends QueryKind>(
  q: QueryOf<K> | null,
  view: ViewId,
  priority: QueryPriority = 'visible',
): QueryResult<AnswerOf[K]> {
  const { data, cache } = useApp();
  const key = q ? canonicalQuery(q) : null;
  const [attempt, setAttempt] = useState(0);
  const [result, setResult] = useState<QueryResult<AnswerOf[K]>>(() => {
    const hit = key ? cache.get(key) : undefined;
    return hit !== undefined ? { status: 'ready', answer: hit as AnswerOf[K] } : key ? { status: 'loading' } : { status: 'idle' };
  });
  const last = useRef<AnswerOf[K] | undefined>(undefined);
  useEffect(() => {
    if (!q || !key) {
      setResult({ status: 'idle' });
      return;
    }
    const hit = cache.get(key);
    if (hit !== undefined) {
      last.current = hit as AnswerOf[K];
      setResult({ status: 'ready', answer: hit as AnswerOf[K] });
      return;
    }
    const controller = new AbortController();
    setResult({ status: 'loading', previous: last.current });
    data
      .query(q, {
        view,
        priority,
        signal: controller.signal,
        onProgress: (fraction, message) => setResult({ status: 'loading', progress: { fraction, message }, previous: last.current }),
      })
      .then(
        (answer) => {
          if (controller.signal.aborted) return;
          cache.set(key, answer);
          last.current = answer;
          setResult({ status: 'ready', answer });
        },
        (e: unknown) => {
          if (controller.signal.aborted) return;
          const error = e instanceof ViewError ? e : new ViewError('internal', e instanceof Error ? e.message : String(e));
          setResult({ status: 'error', error, retry: () => setAttempt((a) => a + 1) });
        },
      );
    return () => controller.abort();
    // `q` is described completely by `key`, so it is not a dependency of its own; a new priority
    // alone does not ask the same slice again.
  }, [key, attempt, data, cache, view]);
  return result;
}

/** The answer to show: the current one, or the previous one while a new one loads. */
export function shown<T>(r: QueryResult<T>): T | undefined {
  return r.status === 'ready' ? r.answer : r.status === 'loading' ? r.previous : undefined;
}
