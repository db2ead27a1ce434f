import type { JSX } from 'preact';

export function LayerView(): JSX.Element {
  return <p>Layer view</p>;
}
