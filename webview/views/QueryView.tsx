import type { JSX } from 'preact';

export function QueryView(): JSX.Element {
  return <p>Query view</p>;
}
