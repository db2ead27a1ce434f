import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ViewError } from '../../data';
import { queries } from '../../../src/contract/plan';
import type { Draft } from '../../slice';
import { useApp } from '../../state';

/**
 * In a report, warns before a slice is applied that the report cannot answer part of it (a report
 * holds the answers it was written with; any other subset, layer pair or epoch is missing). Asks the
 * report itself, with the queries the views will ask, so the warning never disagrees with them.
 */
export function ReportCoverage(props: { draft: Draft }): JSX.Element | null {
  const { data, manifest } = useApp();
  const { draft } = props;
  const [missing, setMissing] = useState<string[]>([]);
  const key = JSON.stringify(draft);
  useEffect(() => {
    if (data.mode !== 'report') return;
    let live = true;
    const name = (l: number) => manifest.layers[l]?.name ?? String(l);
    const layers = [...draft.layers].sort((a, b) => a - b).slice(0, 8);
    const options = { view: 'query' as const };
    const checks: { what: string; ask: () => Promise<unknown> }[] = layers.map((l) => ({
      what: `the inter-sample entropy at ${name(l)}`,
      ask: () => data.query(queries.interSample(l, draft.epoch, draft.subset), options),
    }));
    const first = layers.find((l) => l > 0);
    if (first !== undefined)
      checks.push({
        what: `the channel entropies of ${name(first)}`,
        ask: () => data.query(queries.channelEntropies(first, draft.epoch, draft.subset), options),
      });
    const multi = layers.filter((l) => l > 0 && (manifest.layers[l]?.channels ?? 0) > 1);
    if (multi.length >= 2)
      checks.push({
        what: `the capacity of ${name(multi[0])} × ${name(multi[1])}`,
        ask: () => data.query(queries.capacityMatrix(multi[0], multi[1], draft.epoch, draft.subset), options),
      });
    void Promise.all(
      checks.map((c) =>
        c.ask().then(
          () => null,
          (e: unknown) => (e instanceof ViewError && e.code === 'not-in-report' ? c.what : null),
        ),
      ),
    ).then((found) => {
      if (live) setMissing(found.filter((w): w is string => w !== null));
    });
    return () => {
      live = false;
    };
  }, [key, data, manifest]);
  if (data.mode !== 'report' || missing.length === 0) return null;
  return (
    <p class="report-coverage" role="note" data-testid="report-coverage">
      This report cannot answer part of this slice: {missing.join('; ')}. After <em>Query</em> those charts will say &quot;not in this
      report&quot;; open the run in VS Code to compute them.
    </p>
  );
}
