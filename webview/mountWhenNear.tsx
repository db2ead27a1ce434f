// A view that is drawn once it comes near the screen: with "All views" the five views stand one
// under the other, and drawing the three or four below the window at once (their canvases, layouts
// and decoded answers) would hold up the ones the user is looking at.
import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';

/** How far beyond the window a view starts drawing when the page is idle, so it is usually ready when scrolled to. */
const AHEAD = '50% 0px';

/**
 * Its children once the placeholder is on screen, or within AHEAD of the window and the page idle
 * (so a view drawn ahead never competes with the one the user is waiting for); from then on a view
 * drawn stays drawn, keeping its state. At once when `eager`. Before that, a placeholder that says
 * what comes.
 */
export function MountWhenNear(props: { eager: boolean; what: string; children: ComponentChildren }): JSX.Element {
  const [near, setNear] = useState(props.eager);
  const ref = useRef<HTMLDivElement>(null);
  const shown = near || props.eager;
  useEffect(() => {
    const el = ref.current;
    if (shown || !el) return;
    if (typeof IntersectionObserver !== 'function') return void setNear(true);
    let idle = 0;
    const onScreen = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && setNear(true));
    const ahead = new IntersectionObserver(
      (entries) => {
        if (!entries.some((e) => e.isIntersecting) || idle) return;
        idle =
          typeof requestIdleCallback === 'function'
            ? requestIdleCallback(() => setNear(true), { timeout: 2000 })
            : window.setTimeout(() => setNear(true), 200);
      },
      { rootMargin: AHEAD },
    );
    onScreen.observe(el);
    ahead.observe(el);
    return () => {
      onScreen.disconnect();
      ahead.disconnect();
      if (idle && typeof cancelIdleCallback === 'function') cancelIdleCallback(idle);
      else if (idle) window.clearTimeout(idle);
    };
  }, [shown]);
  if (shown) return <>{props.children}</>;
  return (
    <div ref={ref} class="mount-when-near muted" data-testid="view-placeholder">
      The {props.what} view is drawn when you scroll to it.
    </div>
  );
}
