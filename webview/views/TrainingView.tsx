import type { JSX } from 'preact';

export function TrainingView(): JSX.Element {
  return <p>Training view</p>;
}
