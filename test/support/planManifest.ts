// A run manifest with only what src/contract/plan.ts reads (layers, epochs, the probe's class counts),
// for the tests of the plans that a report precomputes.
import type { RunManifest } from '../../src/contract/runFormat';

/** A layer of the manifest's table, without output shape or parameters (the plans do not read them). */
export const planLayer = (index: number, name: string, className: string, channels: number): RunManifest['layers'][number] => ({
  index,
  name,
  className,
  channels,
  outputShape: [],
  parameters: 0,
});

/** A manifest of these layers and epochs, with two classes of 50 probe inputs. */
export function planManifest(layers: RunManifest['layers'], epochs: number[]): RunManifest {
  return { layers, epochs, probe: { classCounts: [50, 50] } } as unknown as RunManifest;
}
