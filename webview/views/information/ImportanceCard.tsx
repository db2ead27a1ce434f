// The Information view's channel-importance card: every channel of the layer ablated alone, set
// against the channel's information measures. A scatter plot of one measure against Δ loss (click a
// dot: the Channel view at that channel), the channels ranked by what removing them costs, and the
// rank correlation of each measure with that cost. Measuring takes tens of forward passes, so in VS
// Code it starts on a button (a report holds the answer already and shows it at once).
import type { JSX } from 'preact';
import { useRef, useState } from 'preact/hooks';
import * as v from 'valibot';
import { estimateSentence, IMPORTANCE_MEASURES, IMPORTANCE_SAMPLED, IMPORTANCE_TOP_K } from '../../../src/contract/queries';
import type { ChannelImportanceAnswer, ImportanceMeasure, MeasureCorrelation } from '../../../src/contract/queries';
import { usePanelWidth } from '../../charts/common';
import { ImportanceScatter } from '../../charts/importanceScatter';
import { formatNumber, formatPercent } from '../../../src/contract/format';
import { shortLayerName } from '../../../src/contract/layerLabel';
import { importanceQueries } from '../../../src/contract/plan';
import { shown, useApp, useQuery, useSchemaViewState } from '../../state';
import { Card, LayerName, QueryStatus } from '../../ui';
import { Toggle } from '../../charts/primitives';
import {
  classesText,
  correlationSentence,
  deltaLossText,
  formatMeasure,
  formatP,
  intervalText,
  importancePoints,
  measureName,
  rankedChannels,
  reading,
  SIGNIFICANCE,
  TABLE_ROWS,
} from './importance';

/** How many measures of the answer have a p-value: the tests Holm's adjustment is over. */
const testCount = (a: ChannelImportanceAnswer): number => a.measures.filter((m) => m.pValue !== null).length;

const MeasureSchema = v.picklist(IMPORTANCE_MEASURES);
/** The layer@epoch slices the user asked to measure in this panel (the service keeps their answers cached). */
const AskedSchema = v.array(v.string());

export function ImportanceCard(props: { layer: number; layerName: string }): JSX.Element {
  const { data, manifest, ui, update } = useApp();
  const [measure, setMeasure] = useSchemaViewState('information.importanceMeasure', MeasureSchema, 'channelEntropy');
  const [asked, setAsked] = useSchemaViewState('information.importanceAsked', AskedSchema, []);
  const key = `${props.layer}@${ui.epoch}`;
  const ask = data.mode === 'report' || asked.includes(key);
  // "Measure every channel" asks the exhaustive answer of the same slice (kept under `key:all`).
  const exhaustive = data.mode !== 'report' && asked.includes(`${key}:all`);
  const result = useQuery(ask ? importanceQueries.channelImportance(props.layer, ui.epoch, exhaustive) : null, 'information');
  const a = shown(result);
  const current: ChannelImportanceAnswer | undefined = a && a.layer === props.layer ? a : undefined;
  const open = (channel: number) => update({ tab: 'channel', focus: { layer: props.layer, channel } });
  const selected = ui.focus.layer === props.layer ? ui.focus.channel : null;
  const layerLabel = (l: number | null | undefined) =>
    l === null || l === undefined || !manifest.layers[l] ? undefined : shortLayerName(manifest.layers[l], manifest.layers);
  const nameOf = (m: MeasureCorrelation) => measureName(m.measure, layerLabel(m.otherLayer));
  return (
    <Card
      title={
        <>
          Channel importance · <LayerName layer={props.layer} /> at epoch {current?.epoch ?? ui.epoch}
        </>
      }
      label={`What ablating each channel of ${props.layerName} costs, against the channels' information measures`}
      class="importance-card"
      export={current && importanceExport(current, props.layerName, nameOf)}
      tools={
        ask && result.status === 'loading' && data.mode === 'vscode' ? (
          <vscode-button
            secondary
            data-testid="importance-cancel"
            onClick={() => setAsked(asked.filter((k) => k !== key && k !== `${key}:all`))}
          >
            Cancel
          </vscode-button>
        ) : undefined
      }
    >
      {!ask && (
        <p class="importance-ask">
          <vscode-button data-testid="importance-measure" onClick={() => setAsked([...asked.filter((k) => k !== key), key])}>
            Measure channel importance
          </vscode-button>{' '}
          <span class="muted">
            Estimates what zeroing each of the {manifest.layers[props.layer]?.channels ?? ''} channels of {props.layerName} costs from one
            backward pass (first-order Taylor), then zeroes the {IMPORTANCE_TOP_K} it ranks most costly and {IMPORTANCE_SAMPLED} others in
            turn and runs the rest of the model on the probe inputs: one forward pass per measured channel, cached in the run folder.
          </span>
        </p>
      )}
      <QueryStatus result={result} what={`the importance of each channel of ${props.layerName}`} />
      {current && (
        <ImportanceBody
          answer={current}
          measure={measure}
          setMeasure={setMeasure}
          selected={selected}
          open={open}
          nameOf={nameOf}
          reportHint={
            data.mode === 'report'
              ? 'This report’s time budget left no room for this layer’s exact ablations: write it again with a larger --max-seconds, or open the run in VS Code and measure them.'
              : undefined
          }
          measureAll={
            data.mode === 'vscode' && !current.estimate.exhaustive
              ? () => setAsked([...asked.filter((k) => k !== `${key}:all`), `${key}:all`])
              : undefined
          }
        />
      )}
    </Card>
  );
}

function ImportanceBody(props: {
  answer: ChannelImportanceAnswer;
  measure: ImportanceMeasure;
  setMeasure: (m: ImportanceMeasure) => void;
  selected: number | null;
  open: (channel: number) => void;
  nameOf: (m: MeasureCorrelation) => string;
  /** Asks every channel measured (VS Code, while the answer measured only some). */
  measureAll?: () => void;
  /** In a report: how to get the exact ablations this answer lacks. */
  reportHint?: string;
}): JSX.Element {
  const { answer: a, nameOf } = props;
  const wrap = useRef<HTMLDivElement>(null);
  const width = usePanelWidth(wrap);
  // The measure picked, unless it has no value at all here (a dense layer's channel entropy): then the first that has.
  const chosen = a.measures.find((x) => x.measure === props.measure);
  const m = chosen?.values.some((v) => v !== null)
    ? chosen
    : (a.measures.find((x) => x.values.some((v) => v !== null)) ?? chosen ?? a.measures[0]);
  const name = m ? nameOf(m) : '';
  const points = m ? importancePoints(a, m, name) : [];
  const missing = points.filter((p) => p.x === null || p.y === null).length;
  const unmeasured = a.channels.length - a.estimate.measuredCount;
  const verb = a.mode === 'zero' ? 'zeroed' : 'replaced by its mean';
  return (
    <div ref={wrap}>
      {a.estimate.measuredCount === 0 ? (
        <p class="muted chart-note" data-testid="importance-estimates-only">
          No channel ablated: the table holds each channel’s Taylor estimate of Δ loss, an estimate, not a measurement, on {a.inputCount}{' '}
          probe inputs (baseline accuracy {formatPercent(a.baseline.accuracy)}, loss {formatNumber(a.baseline.loss)}).
          {props.reportHint && ` ${props.reportHint}`}
        </p>
      ) : (
        <p class="muted chart-note">
          {unmeasured ? `${a.estimate.measuredCount} of the ${a.channels.length} channels` : 'Each channel'} {verb} alone, the rest of the
          model run again on {a.inputCount} probe inputs: baseline accuracy {formatPercent(a.baseline.accuracy)}, loss{' '}
          {formatNumber(a.baseline.loss)}. Δ = ablated − baseline; a large Δ loss is a channel the model needs.
        </p>
      )}
      <p
        class={`chart-note${a.estimate.verified || a.estimate.exhaustive ? ' muted' : ' importance-unverified'}`}
        data-testid="importance-estimate"
      >
        {estimateSentence(a.estimate)}{' '}
        {props.measureAll && (
          <vscode-button secondary data-testid="importance-measure-all" onClick={props.measureAll}>
            Measure all {a.channels.length} channels
          </vscode-button>
        )}
      </p>
      {a.estimate.measuredCount > 0 && (
        <p class="muted chart-note" data-testid="importance-method">
          Intervals: {Math.round(a.bootstrap.level * 100)}% bootstrap over the {a.inputCount} probe inputs ({a.bootstrap.resamples}{' '}
          resamples, seed {a.bootstrap.seed}). p-values: permutation test, Holm-adjusted over the {testCount(a)} measures tested. A measure
          predicts ablation cost only when its adjusted p is below {SIGNIFICANCE}, the interval of ρ leaves out 0 and some channel’s Δ loss
          interval leaves out 0; otherwise there is no evidence either way.
        </p>
      )}
      <div class="importance-measures" role="group" aria-label="Measure on the x axis">
        {a.measures.map((x) => (
          <Toggle key={x.measure} pressed={x.measure === m?.measure} data-measure={x.measure} onClick={() => props.setMeasure(x.measure)}>
            {nameOf(x)}
          </Toggle>
        ))}
      </div>
      {m && (
        <>
          <ImportanceScatter
            points={points}
            xLabel={`${name}${m.measure === 'nearDuplicateShare' ? ' (share of the other channels)' : ' (bits)'}`}
            title={correlationSentence(m, name, a.channels)}
            width={width - 8}
            selected={props.selected}
            onPick={props.open}
            label={`Scatter plot: one dot per channel, ${name} on x, Δ loss when the channel is ablated on y. Click a dot to open the channel in the Channel view.`}
          />
          {missing > 0 && (
            <p class="muted chart-note" data-testid="importance-missing">
              {missing} channel{missing === 1 ? '' : 's'} not drawn: {name} or Δ loss undefined{m.note ? ` (${m.note})` : ''}.
            </p>
          )}
          {unmeasured > 0 && (
            <p class="muted chart-note" data-testid="importance-unmeasured">
              {unmeasured} channel{unmeasured === 1 ? '' : 's'} not drawn: not measured (their Taylor estimates are in the table below). The
              correlations are over the {a.estimate.measuredCount} measured channels.
            </p>
          )}
        </>
      )}
      {a.estimate.measuredCount > 0 && <CorrelationTable answer={a} nameOf={nameOf} />}
      <RankedTable answer={a} nameOf={nameOf} selected={props.selected} open={props.open} />
    </div>
  );
}

function CorrelationTable(props: { answer: ChannelImportanceAnswer; nameOf: (m: MeasureCorrelation) => string }): JSX.Element {
  const { answer: a } = props;
  const words: Record<ReturnType<typeof reading>, string> = {
    predicts: 'predicts',
    inversely: 'predicts inversely',
    'no-evidence': 'no evidence',
    untested: 'cannot be tested',
  };
  return (
    <>
      <table class="data importance-correlations" aria-label="Rank correlation of each measure with Δ loss">
        <thead>
          <tr>
            <th>measure</th>
            <th>Spearman ρ</th>
            <th>ρ 95% interval</th>
            <th>p ({a.permutations} permutations)</th>
            <th>p Holm-adjusted</th>
            <th>channels</th>
            <th>ablation cost</th>
          </tr>
        </thead>
        <tbody>
          {a.measures.map((m) => (
            <tr key={m.measure} data-measure={m.measure} data-reading={reading(m, a.channels)}>
              <td>{props.nameOf(m)}</td>
              <td>{formatNumber(m.spearman, { digits: 2 })}</td>
              <td>{intervalText(m.spearmanLow, m.spearmanHigh, 2)}</td>
              <td>{m.pValue === null ? '—' : formatP(m.pValue).replace('= ', '')}</td>
              <td>{m.adjustedPValue === null ? '—' : formatP(m.adjustedPValue).replace('= ', '')}</td>
              <td>{m.channelCount}</td>
              <td>{words[reading(m, a.channels)]}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <ul class="importance-readings">
        {a.measures.map((m) => (
          <li key={m.measure} data-measure={m.measure}>
            {correlationSentence(m, props.nameOf(m), a.channels)}
          </li>
        ))}
      </ul>
    </>
  );
}

function RankedTable(props: {
  answer: ChannelImportanceAnswer;
  nameOf: (m: MeasureCorrelation) => string;
  selected: number | null;
  open: (channel: number) => void;
}): JSX.Element {
  const { answer: a } = props;
  const [all, setAll] = useState(false);
  const ranked = rankedChannels(a);
  const rows = all ? ranked : ranked.slice(0, TABLE_ROWS);
  return (
    <>
      <div class="scroll-x" data-scroll-x>
        <table class="data importance-ranking" aria-label="Channels ranked by Δ loss when ablated, most costly first">
          <thead>
            <tr>
              <th>rank</th>
              <th>channel</th>
              <th>Δ loss (95% interval)</th>
              <th>Taylor estimate</th>
              <th>Δ accuracy</th>
              <th>classes losing most</th>
              {a.measures.map((m) => (
                <th key={m.measure}>{props.nameOf(m)}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map(({ rank, index }) => {
              const c = a.channels[index];
              return (
                <tr
                  key={c.channel}
                  data-channel={c.channel}
                  data-measured={String(c.measured)}
                  class={`${c.channel === props.selected ? 'selected' : ''}${c.measured ? '' : ' estimated'}`}
                >
                  <td>{rank}</td>
                  <td>
                    <button
                      type="button"
                      class="channel-link"
                      title={`Open channel ${c.channel} in the Channel view`}
                      onClick={() => props.open(c.channel)}
                    >
                      #{c.channel}
                    </button>
                  </td>
                  <td class="importance-delta-loss">{deltaLossText(c)}</td>
                  <td class="importance-estimate">{formatNumber(c.estimate, { sign: true })}</td>
                  <td>{formatPercent(c.deltaAccuracy, { sign: true })}</td>
                  <td class="importance-classes">{classesText(c, a.classNames)}</td>
                  {a.measures.map((m) => (
                    <td key={m.measure}>{formatMeasure(m.measure, m.values[index])}</td>
                  ))}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {ranked.length > TABLE_ROWS && (
        <button type="button" class="link-button" data-testid="importance-all" onClick={() => setAll(!all)}>
          {all ? `Show the ${TABLE_ROWS} most costly` : `Show all ${ranked.length} channels`}
        </button>
      )}
    </>
  );
}

function importanceExport(a: ChannelImportanceAnswer, layerName: string, nameOf: (m: MeasureCorrelation) => string) {
  return {
    name: `channel-importance-${layerName}-epoch-${a.epoch}`,
    table: () => ({
      columns: [
        'rank',
        'channel',
        'measured',
        'delta loss',
        'delta loss 95% low',
        'delta loss 95% high',
        'taylor estimate',
        'delta accuracy',
        'classes losing most',
        ...a.measures.map(nameOf),
      ],
      rows: rankedChannels(a).map(({ rank, index }) => {
        const c = a.channels[index];
        return [
          rank,
          c.channel,
          c.measured,
          c.deltaLoss,
          c.deltaLossLow,
          c.deltaLossHigh,
          c.estimate,
          c.deltaAccuracy,
          classesText(c, a.classNames),
          ...a.measures.map((m) => m.values[index] ?? null),
        ];
      }),
    }),
    json: () => a,
  };
}
