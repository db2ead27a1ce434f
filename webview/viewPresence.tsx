// Whether a view is on screen, and what that does to its queries: the view the user looks at asks
// first, a view drawn ahead of scrolling asks behind every view on screen, and a view the user has
// left stops waiting (its queries are cancelled in the service) until it is on screen again. With
// tabs only the selected view exists (leaving a tab unmounts it, which cancels its queries); with
// "All views" the five views stand one under the other and stay drawn, so without this the views
// scrolled past would keep asking as `visible` and the one on screen would wait behind them.
import type { ComponentChildren, JSX } from 'preact';
import { useContext, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { AnswerOf, QueryKind, QueryOf, QueryPriority } from '../src/contract/queries';
import { ViewError } from './data';
import type { DataSource, QueryOptions } from './data';
import { AppContext } from './state';

/**
 * Where a view stands: `on` — on screen (or its tab selected); `ahead` — drawn before it was ever
 * on screen (All views, near the window); `left` — it was on screen and has been scrolled away.
 */
export type Presence = 'on' | 'ahead' | 'left';

/** What a waiting query says while its view is off screen. */
export const PARKED_MESSAGE = 'waiting until this view is on screen again';

interface Entry {
  q: QueryOf<QueryKind>;
  options: QueryOptions;
  resolve(answer: unknown): void;
  reject(error: unknown): void;
  /** The request now with the source, if any (none while parked). */
  asked?: { controller: AbortController; priority: QueryPriority; computing: boolean };
}

/** A view's data source that follows its presence, and the function that tells it the presence. */
export interface PresenceSource {
  data: DataSource;
  setPresence(presence: Presence): void;
}

/**
 * Wraps `data` for one view. On screen, a query is asked at the priority the view gives it; drawn
 * ahead, as `background` (behind every query of a view on screen, in the service's queue); left,
 * not at all. When the view comes on screen, what it asked as `background` and is still waiting is
 * asked again at its own priority, and what was parked is asked; when it is left, every request
 * still out is cancelled (the service stops it) and parked, its caller still waiting. A caller's own
 * abort cancels as before. Answers that arrived are the caller's (and the answer caches') to keep.
 * A report looks answers up and computes nothing: its source is returned as it is.
 */
export function presenceSource(data: DataSource, initial: Presence): PresenceSource {
  if (data.mode === 'report') return { data, setPresence: () => undefined };
  let presence = initial;
  const entries = new Set<Entry>();

  const ask = (e: Entry): void => {
    const own = e.options.priority ?? 'visible';
    const priority: QueryPriority = presence === 'on' ? own : 'background';
    const controller = new AbortController();
    const asked = { controller, priority, computing: false };
    e.asked = asked;
    data
      .query(e.q, {
        ...e.options,
        priority,
        signal: controller.signal,
        onProgress: (fraction, message) => {
          // The service says "waiting for other queries" while the query is queued, then "computing"
          // (src/service/engine.ts): once computing, moving it up the queue gains nothing.
          if (fraction > 0 || (message !== undefined && !message.startsWith('waiting'))) asked.computing = true;
          e.options.onProgress?.(fraction, message);
        },
      })
      .then(
        (answer) => {
          if (controller.signal.aborted) return;
          entries.delete(e);
          e.resolve(answer);
        },
        (error: unknown) => {
          if (controller.signal.aborted) return;
          entries.delete(e);
          e.reject(error);
        },
      );
  };

  const park = (e: Entry): void => {
    e.asked?.controller.abort();
    e.asked = undefined;
    e.options.onProgress?.(0, PARKED_MESSAGE);
  };

  const source: DataSource = {
    mode: data.mode,
    ...(data.subsets ? { subsets: data.subsets } : {}),
    query<K extends QueryKind>(q: QueryOf<K>, options: QueryOptions): Promise<AnswerOf[K]> {
      return new Promise<AnswerOf[K]>((resolve, reject) => {
        if (options.signal?.aborted) return reject(new ViewError('cancelled', 'cancelled'));
        const e: Entry = { q, options, resolve, reject };
        entries.add(e);
        options.signal?.addEventListener(
          'abort',
          () => {
            if (!entries.delete(e)) return;
            e.asked?.controller.abort();
            reject(new ViewError('cancelled', 'cancelled'));
          },
          { once: true },
        );
        if (presence === 'left') park(e);
        else ask(e);
      });
    },
    revealLayer: (layer) => data.revealLayer(layer),
    ...(data.compareWithSource ? { compareWithSource: () => data.compareWithSource?.() } : {}),
    save: (fileName, format, bytes) => data.save(fileName, format, bytes),
  };

  return {
    data: source,
    setPresence(next: Presence): void {
      if (next === presence) return;
      presence = next;
      for (const e of entries) {
        if (next === 'left') park(e);
        else if (next === 'on' && (!e.asked || (!e.asked.computing && e.asked.priority !== (e.options.priority ?? 'visible')))) {
          e.asked?.controller.abort();
          ask(e);
        }
      }
    },
  };
}

/**
 * The view's part of the page, giving its cards a data source that follows whether it is on screen
 * (`presenceSource`). With tabs (`all` false) the view shown is on screen; with "All views" an
 * IntersectionObserver says when any of the view's part of the page (the element around this one,
 * which draws no box of its own) is in the window. `data-presence` says where it stands.
 */
export function ViewPresence(props: { all: boolean; children: ComponentChildren }): JSX.Element {
  const app = useContext(AppContext);
  if (!app) throw new Error('ViewPresence outside <AppProvider>');
  const ref = useRef<HTMLDivElement>(null);
  const [presence, setPresence] = useState<Presence>(props.all ? 'ahead' : 'on');
  // One wrapper for the view's life (the cards' effects depend on the source's identity); the
  // presence is told to it below, during the render, so that the cards' effects, which run after
  // it, ask with the presence they are drawn in.
  const wrapped = useMemo(() => presenceSource(app.data, presence), [app.data]);
  // Measured before the cards' effects ask anything, so the view on screen asks as such from its first query.
  useLayoutEffect(() => {
    const box = ref.current?.parentElement?.getBoundingClientRect();
    if (props.all && box && box.bottom > 0 && box.top < window.innerHeight) {
      wrapped.setPresence('on');
      setPresence('on');
    }
  }, [props.all, wrapped]);
  useEffect(() => {
    if (!props.all) return setPresence('on');
    // The view's part of the page (its wrapper draws no box: `display: contents`).
    const el = ref.current?.parentElement;
    if (!el || typeof IntersectionObserver !== 'function') return setPresence('on');
    const observer = new IntersectionObserver((seen) => {
      const on = seen.some((s) => s.isIntersecting);
      setPresence((old) => (on ? 'on' : old === 'ahead' ? 'ahead' : 'left'));
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, [props.all]);
  wrapped.setPresence(presence);
  const value = useMemo(() => ({ ...app, data: wrapped.data }), [app, wrapped]);
  return (
    <div ref={ref} class="view-presence" data-presence={presence}>
      <AppContext.Provider value={value}>{props.children}</AppContext.Provider>
    </div>
  );
}
