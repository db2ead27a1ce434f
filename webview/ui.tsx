// Building blocks every view uses that know the app: chart cards with export buttons, in-place
// progress and errors, layer links and the epoch slider. The pure widgets (toggle, tooltip, colour
// legend) are charts/primitives.tsx's, where charts and views alike import them.
import type { ComponentChildren, CSSProperties, JSX, RefObject } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { canvasToPng, exportCaption, pictureToPng, slug, svgToString, toCsv } from './export';
import type { Cell } from './export';
import { QueryResult, useApp, useViewState } from './state';
import { shortLayerName } from '../src/contract/layerLabel';
import { FRAME_MS, PLAYBACK_SPEEDS } from './charts/primitives';
import type { PlaybackFrame, PlaybackSpeed } from './charts/primitives';

const validSpeed = (v: unknown): v is PlaybackSpeed => PLAYBACK_SPEEDS.includes(v as PlaybackSpeed);

// ---------------------------------------------------------------------------------------------
// Progress and errors in place: never a blank panel.

export function QueryStatus<T>(props: { result: QueryResult<T>; what: string; compact?: boolean }): JSX.Element | null {
  const r = props.result;
  if (props.compact && r.status === 'error') {
    // In a table cell: a short word, the full message on hover and for screen readers.
    const short = r.error.code === 'not-in-report' ? 'not in this report' : r.error.code === 'unsupported' ? 'not supported' : 'error';
    return (
      <span
        class={r.error.code === 'not-in-report' ? 'muted not-in-report' : 'warning'}
        title={r.error.message}
        aria-label={`${props.what}: ${r.error.message}`}
        role="note"
      >
        {short}
      </span>
    );
  }
  if (r.status === 'loading') {
    const pct = r.progress ? Math.round(r.progress.fraction * 100) : undefined;
    return (
      <div class="status" role="status" aria-live="polite">
        <vscode-progress-ring aria-hidden="true" class="ring" />
        <span>
          Computing {props.what}
          {pct !== undefined ? ` — ${pct}%` : '…'}
          {r.progress?.message ? ` (${r.progress.message})` : ''}
        </span>
      </div>
    );
  }
  if (r.status === 'error' && r.error.code === 'not-in-report' && r.error.missingSubset) {
    // The view's one note (views/query/ReportSubsetNote.tsx) says what the report holds and what to do.
    return (
      <div class="status not-in-report subset-missing" role="status" title={r.error.message}>
        <span>Not in this report for these inputs: {props.what} (see the note above).</span>
      </div>
    );
  }
  if (r.status === 'error' && r.error.code === 'not-in-report') {
    // Not a failure: a report holds the answers it was written with, and says so calmly.
    return (
      <div class="status not-in-report" role="status">
        <span>
          Not in this report: {props.what}. {r.error.message}
        </span>
      </div>
    );
  }
  if (r.status === 'error') {
    return (
      <div class="status error" role="alert">
        <span>
          Could not compute {props.what}: {r.error.message}
        </span>
        {r.error.code !== 'not-in-report' && r.error.code !== 'out-of-range' && r.error.code !== 'unsupported' && (
          <vscode-button secondary onClick={r.retry}>
            Retry
          </vscode-button>
        )}
      </div>
    );
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Cards with exports.

export interface ExportSpec {
  /** File name stem, e.g. "capacity-conv1-conv2-epoch-3". */
  name: string;
  /** The chart's data as a table (CSV) … */
  table(): { columns: string[]; rows: Cell[][] };
  /** … and as JSON (defaults to the table's rows as objects). */
  json?(): unknown;
}

export function Card(props: {
  title: ComponentChildren;
  label: string;
  export?: ExportSpec;
  tools?: ComponentChildren;
  children: ComponentChildren;
  class?: string;
  /** How the card sits in the view's flex row, e.g. `{ flex: '1 1 340px' }` to share a row with its neighbour. */
  style?: CSSProperties;
}): JSX.Element {
  const body = useRef<HTMLDivElement>(null);
  return (
    <section class={`card ${props.class ?? ''}`} aria-label={props.label} style={props.style}>
      <header class="card-header">
        <h3>{props.title}</h3>
        <div class="card-tools">
          {props.tools}
          {props.export && <ExportButtons spec={props.export} picture={body} />}
        </div>
      </header>
      <div class="card-body" ref={body}>
        {props.children}
      </div>
    </section>
  );
}

export function ExportButtons(props: { spec: ExportSpec; picture: RefObject<HTMLElement> }): JSX.Element {
  const { data, manifest, ui } = useApp();
  const [message, setMessage] = useState('');
  const { spec } = props;
  const save = useCallback(
    async (format: 'csv' | 'json' | 'svg' | 'png') => {
      const name = `${slug(spec.name)}.${format}`;
      // The card's title as shown, the run, the linked layer and the epoch: a picture that has left the panel still says what it is.
      const title = props.picture.current?.closest('.card')?.querySelector('.card-header h3')?.textContent ?? spec.name;
      const layer = ui.focus.layer === null ? undefined : manifest.layers[ui.focus.layer]?.name;
      const caption = exportCaption({ chart: title, runId: manifest.id, layer, epoch: ui.epoch });
      try {
        if (format === 'csv') {
          const t = spec.table();
          data.save(name, format, toCsv(t.columns, t.rows));
        } else if (format === 'json') {
          const t = spec.table();
          const json = spec.json ? spec.json() : t.rows.map((r) => Object.fromEntries(t.columns.map((c, i) => [c, r[i] ?? null])));
          data.save(name, format, JSON.stringify(json, null, 2));
        } else if (format === 'svg') {
          const svg = props.picture.current?.querySelector('svg.chart') as SVGSVGElement | null;
          if (!svg) throw new Error('this chart is drawn on a canvas; export it as PNG');
          data.save(name, format, svgToString(svg, caption));
        } else {
          const el = props.picture.current?.querySelector('canvas.chart, svg.chart');
          const png = el instanceof HTMLCanvasElement ? canvasToPng(el, caption) : el ? await pictureToPng(el, caption) : undefined;
          if (!png) throw new Error('nothing drawn yet');
          data.save(name, format, png);
        }
        setMessage(`saved ${name}`);
      } catch (e) {
        setMessage(`export failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    },
    [data, manifest, ui.focus.layer, ui.epoch, spec, props.picture],
  );
  return (
    <span class="export" role="group" aria-label="Export">
      {(['csv', 'json', 'svg', 'png'] as const).map((f) => (
        <button
          key={f}
          type="button"
          class="export-button"
          title={`Export ${f === 'csv' || f === 'json' ? 'the data' : 'the picture'} as ${f.toUpperCase()}`}
          onClick={() => void save(f)}
        >
          {f.toUpperCase()}
        </button>
      ))}
      <span class="export-message" aria-live="polite">
        {message}
      </span>
    </span>
  );
}

// ---------------------------------------------------------------------------------------------
// Layers.

/** A layer's name as a link to its source line; highlighted when it is the linked selection. */
export function LayerName(props: { layer: number; channel?: number }): JSX.Element {
  const { manifest, data, ui, focus } = useApp();
  const layer = manifest.layers[props.layer];
  if (!layer) return <span>layer {props.layer}</span>;
  const where = layer.source ? `${layer.source.file.split(/[\\/]/).pop()}:${layer.source.line}` : 'no source line recorded';
  const focused = ui.focus.layer === props.layer && (props.channel === undefined || ui.focus.channel === props.channel);
  return (
    <button
      type="button"
      class={`layer-link${focused ? ' focused' : ''}`}
      data-layer={props.layer}
      // The short label ("pool1 · MaxPooling2D") keeps a half-width panel from scrolling; the full name is in the title.
      title={
        data.mode === 'vscode'
          ? `${layer.name} (${layer.className}): go to its definition (${where})`
          : `${layer.name} (${layer.className}) is defined at ${where}`
      }
      onClick={() => {
        focus(props.layer, props.channel ?? null);
        if (layer.source) data.revealLayer(props.layer);
      }}
    >
      {shortLayerName(layer, manifest.layers)}
      {props.channel !== undefined ? ` #${props.channel}` : ''}
    </button>
  );
}

// ---------------------------------------------------------------------------------------------
// Epochs.

/**
 * The shared epoch slider (with playback when `play` is set). Moves the epoch of every view.
 * With `frame`, playback advances only once the current epoch is drawn and has been shown for one
 * frame time, so a slow answer holds the slider instead of leaving the chart behind.
 */
export function EpochSlider(props: {
  play?: boolean;
  label?: string;
  frame?: PlaybackFrame;
  /** Why ▶ cannot play through the epochs (some are not at hand): the button is disabled and says so. */
  playDisabled?: string;
}): JSX.Element {
  const { manifest, ui, update } = useApp();
  const epochs = manifest.epochs;
  const index = Math.max(0, epochs.indexOf(ui.epoch));
  const [playing, setPlaying] = useState(false);
  const [speed, setSpeed] = useViewState<PlaybackSpeed>('epoch.speed', 1, validSpeed);
  const frame = props.frame;
  const drawn = frame ? frame.drawnEpoch === ui.epoch : true;
  const failed = frame ? frame.failed : false;
  useEffect(() => {
    if (!playing) return;
    if (failed) {
      setPlaying(false);
      return;
    }
    // Waiting for the current frame: the next timer starts when the view reports it drawn.
    if (!drawn) return;
    const t = setTimeout(() => {
      update((old) => {
        const i = epochs.indexOf(old.epoch);
        if (i >= epochs.length - 1) {
          setPlaying(false);
          return {};
        }
        return { epoch: epochs[i + 1] };
      });
    }, FRAME_MS / speed);
    return () => clearTimeout(t);
  }, [playing, drawn, failed, ui.epoch, speed, epochs, update]);
  if (epochs.length === 0) return <span class="muted">no epoch recorded yet</span>;
  return (
    <span class="epoch-slider epoch-playback">
      <label class="epoch-slider">
        <span>{props.label ?? 'Epoch'}</span>
        <input
          type="range"
          min={0}
          max={epochs.length - 1}
          step={1}
          value={index}
          aria-label="Epoch"
          aria-valuetext={`epoch ${epochs[index]}`}
          disabled={epochs.length < 2}
          onInput={(e) => update({ epoch: epochs[Number((e.target as HTMLInputElement).value)] })}
        />
        <output class="epoch-value">{epochs[index]}</output>
      </label>
      {props.play && epochs.length > 1 && (
        <>
          <button
            type="button"
            class="icon-button"
            aria-label={playing ? 'Pause playback' : 'Play through the epochs'}
            data-playing={playing ? 'true' : 'false'}
            disabled={props.playDisabled !== undefined && !playing}
            title={props.playDisabled}
            onClick={() => {
              if (!playing && index >= epochs.length - 1) update({ epoch: epochs[0] });
              setPlaying(!playing);
            }}
          >
            {playing ? '❚❚' : '▶'}
          </button>
          <label class="playback-speed">
            <select
              aria-label="Playback speed"
              title="Playback speed: how long each drawn epoch stays on screen (1× = 0.9 s)"
              value={String(speed)}
              onChange={(e) => setSpeed(Number((e.target as HTMLSelectElement).value) as PlaybackSpeed)}
            >
              {PLAYBACK_SPEEDS.map((s) => (
                <option key={s} value={String(s)}>
                  {s}×
                </option>
              ))}
            </select>
          </label>
          {playing && frame && !drawn && (
            <span class="muted" role="status" data-testid="playback-waiting">
              waiting for epoch {ui.epoch}…
            </span>
          )}
        </>
      )}
    </span>
  );
}
