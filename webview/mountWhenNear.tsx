// A view that is drawn once it comes near the screen: with "All views" the five views stand one
// under the other, and drawing the three or four below the window at once (their canvases, layouts
// and decoded answers) would hold up the ones the user is looking at.
import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';

/** How far beyond the window a view starts drawing, so it is usually ready when scrolled to. */
const AHEAD = '50% 0px';

/**
 * Its children once the placeholder has been within AHEAD of the window (and from then on: a view
 * drawn stays drawn, keeping its state), or at once when `eager`; before that, a placeholder that says what comes.
 */
export function MountWhenNear(props: { eager: boolean; what: string; children: ComponentChildren }): JSX.Element {
  const [near, setNear] = useState(props.eager);
  const ref = useRef<HTMLDivElement>(null);
  const shown = near || props.eager;
  useEffect(() => {
    if (shown || !ref.current) return;
    if (typeof IntersectionObserver !== 'function') return void setNear(true);
    const observer = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && setNear(true), { rootMargin: AHEAD });
    observer.observe(ref.current);
    return () => observer.disconnect();
  }, [shown]);
  if (shown) return <>{props.children}</>;
  return (
    <div ref={ref} class="mount-when-near muted" data-testid="view-placeholder">
      The {props.what} view is drawn when you scroll to it.
    </div>
  );
}
