import type { JSX } from 'preact';

export function ChannelView(): JSX.Element {
  return <p>Channel view</p>;
}
