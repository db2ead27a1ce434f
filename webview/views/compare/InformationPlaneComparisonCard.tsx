import type { JSX } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { InformationPlaneAnswer } from '../../../src/contract/queries';
import { usePanelWidth } from '../../charts/common';
import { EstimatorPicker, ESTIMATOR_TEXT, InformationPlaneChart, saturatedText } from '../../charts/informationPlane';
import type { PlaneTrajectory } from '../../charts/informationPlaneMarks';
import { matchLayers, runColour, runLetter } from '../../compare';
import { informationQueries } from '../../../src/contract/plan';
import type { InformationEstimator } from '../../../src/contract/plan';
import { Card } from '../../ui';
import { asker } from './compareData';
import type { CompareRun } from './compareData';
import { useEstimator } from './compareState';

/**
 * Every run's information-plane trajectories in one plane, one colour per run; the points
 * grow from each run's first recorded epoch to its last. The estimator is switched for all runs at once.
 */
export function InformationPlaneComparisonCard(props: { runs: CompareRun[]; labels: string[] }): JSX.Element {
  const [estimator, setEstimator] = useEstimator();
  const [planes, setPlanes] = useState<{
    estimator: InformationEstimator;
    answers: (InformationPlaneAnswer | undefined)[];
    problems: string[];
  }>();
  const wrap = useRef<HTMLDivElement>(null);
  const panelWidth = usePanelWidth(wrap);
  useEffect(() => {
    const controller = new AbortController();
    const problems: string[] = [];
    const ask = asker(problems, controller.signal);
    void Promise.all(
      props.runs.map((r, k) =>
        ask(`run ${runLetter(k)} — information plane (${estimator})`, () =>
          r.data.query(informationQueries.plane(estimator, { kind: 'all' }), { view: 'information', signal: controller.signal }),
        ),
      ),
    ).then((answers) => {
      if (!controller.signal.aborted) setPlanes({ estimator, answers, problems });
    });
    return () => controller.abort();
  }, [props.runs, estimator]);
  // One marker per matched layer (the comparison's rows), so the same layer has the same marker in every run.
  const matches = useMemo(() => matchLayers(props.runs.map((r) => r.manifest)), [props.runs]);
  const trajectories: PlaneTrajectory[] = (planes?.answers ?? []).flatMap((a, r) => {
    if (!a) return [];
    return a.layers.map((l) => {
      // The comparison's name of the layer (its row's), so one label never names two layers.
      const match = matches.find((m) => m.indices[r] === l.layer);
      return {
        key: `run-${r}-${l.layer}`,
        layer: l.layer,
        run: r,
        label: `${runLetter(r)} ${match?.names[r] ?? `layer ${l.layer}`}`,
        points: l.points,
        symbol: match?.index ?? l.layer,
        colour: runColour(r),
      };
    });
  });
  const shownAnswers = (planes?.answers ?? []).filter((a): a is InformationPlaneAnswer => a !== undefined);
  // Each run's ceilings with its letter and colour, so a ceiling of one run is named on its line in its colour.
  const ceilings = (planes?.answers ?? []).flatMap((a, r) => (a ? [{ ...a.ceilings, name: runLetter(r), colour: runColour(r) }] : []));
  const epochs = [...new Set(shownAnswers.flatMap((a) => a.epochs))].sort((x, y) => x - y);
  const saturated = saturatedText(trajectories);
  const drawn = planes?.estimator ?? estimator;
  const exportSpec = planes && {
    name: `information-plane-${drawn}-compared`,
    table: () => ({
      columns: ['run', 'estimator', 'layer', 'epoch', 'I(X;T) bits', 'I(T;Y) bits', 'saturated'],
      rows: trajectories.flatMap((t) => t.points.map((p) => [runLetter(t.run ?? 0), drawn, t.layer, p.epoch, p.ixt, p.ity, p.saturated])),
    }),
  };
  const picker = <EstimatorPicker value={estimator} onChange={setEstimator} />;
  return (
    <Card
      title={`Information plane (${drawn})`}
      label="Information plane of every run: each layer's I(X;T) and I(T;Y) over the epochs, one colour per run"
      class="information-plane-card compare-information-plane"
      tools={picker}
      export={exportSpec}
    >
      <div ref={wrap} class="ip-plot">
        {!planes ? (
          <div class="status" role="status">
            <vscode-progress-ring class="ring" aria-hidden="true" /> Reading the information planes…
          </div>
        ) : epochs.length === 0 ? (
          <p class="muted">No run has an information plane to show.</p>
        ) : (
          <InformationPlaneChart
            trajectories={trajectories}
            estimator={drawn}
            ceilings={ceilings}
            epochs={epochs}
            highlight={null}
            width={Math.min(760, panelWidth - 30)}
            label={`Information plane, ${drawn} estimator, of runs ${props.labels.join('; ')}: ${trajectories.length} layer trajectories, one colour per run`}
          />
        )}
      </div>
      {planes && epochs.length > 0 && (
        <>
          <p class={saturated ? 'chart-note ip-saturated-note' : 'muted chart-note ip-saturated-note'}>
            {saturated ? (
              <>
                <span class="ip-saturated-swatch" aria-hidden="true" /> <strong>Saturated</strong> (at log2 N and H(Y), says nothing about
                learning): {saturated}.
              </>
            ) : (
              'No saturated point.'
            )}
          </p>
          <p class="muted chart-note">
            One colour per run (the legend above); marker and label = layer; a point grows from the run’s first recorded epoch to its last.{' '}
            {ESTIMATOR_TEXT[drawn].about}
          </p>
        </>
      )}
      {planes && planes.problems.length > 0 && (
        <p class="status" role="note">
          Not shown: {planes.problems.join('; ')}.
        </p>
      )}
    </Card>
  );
}
