// The webview entry, bundled for the browser as dist/webview.js. It is also meant to run as a
// standalone HTML report, so it reaches VS Code only through ./vscodeApi.
//
// Styles are set as style objects, which Preact applies through the CSSOM: a webview's Content
// Security Policy may forbid inline <style> elements, but it does not block CSSOM writes.
import { render } from 'preact';
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
// The d3 submodules are imported one by one so the bundle carries only what is used
// (d3-scale depends on d3-array anyway, so `max` costs nothing extra).
import { max } from 'd3-array';
import { scaleLinear } from 'd3-scale';
import {
  assertNever,
  ChannelEntropy,
  HostToWebview,
  parseHostMessage,
  PROTOCOL_VERSION,
  WebviewTheme,
} from './protocol';
import { getState, postToHost, setState } from './vscodeApi';

type ChannelEntropiesMessage = Extract<HostToWebview, { type: 'host/channelEntropies' }>;

interface ViewState {
  theme?: WebviewTheme;
  hostProtocolVersion?: number;
  entropies?: ChannelEntropiesMessage;
}

/** Bar track width as a percentage of the row; the scale maps entropy onto it. */
const TRACK_PERCENT = 100;

const styles = {
  root: {
    color: 'var(--vscode-foreground)',
    fontFamily: 'var(--vscode-font-family)',
    fontSize: 'var(--vscode-font-size)',
    padding: '0.5em 1em',
  },
  layerButton: {
    background: 'none',
    border: 'none',
    padding: 0,
    color: 'var(--vscode-textLink-foreground)',
    font: 'inherit',
    fontWeight: 'bold',
    cursor: 'pointer',
    textDecoration: 'underline',
  },
  list: { listStyle: 'none', margin: 0, padding: 0 },
  row: { display: 'flex', alignItems: 'center', gap: '0.75em', margin: '0.2em 0' },
  label: { flex: '0 0 14em', whiteSpace: 'nowrap', fontVariantNumeric: 'tabular-nums' },
  track: { flex: '1 1 auto', height: '0.9em', position: 'relative' },
  bar: { height: '100%', background: 'var(--vscode-charts-blue)' },
  // A missing estimate must never look like a zero-length bar, so it gets a hatched,
  // dashed outline across the whole track in the warning colour.
  undefinedMarker: {
    height: '100%',
    boxSizing: 'border-box',
    border: '1px dashed var(--vscode-editorWarning-foreground)',
    backgroundImage:
      'repeating-linear-gradient(135deg, var(--vscode-editorWarning-foreground) 0 2px, transparent 2px 8px)',
    opacity: 0.7,
  },
  undefinedText: { color: 'var(--vscode-editorWarning-foreground)', fontStyle: 'italic' },
} satisfies Record<string, JSX.CSSProperties>;

/** The last data shown, saved so the view comes back intact after VS Code hides and re-shows it. */
function restoredEntropies(): ChannelEntropiesMessage | undefined {
  // Saved state comes from an earlier (possibly older) version of this script: validate it too.
  const saved = parseHostMessage(getState());
  return saved?.type === 'host/channelEntropies' ? saved : undefined;
}

function App(): JSX.Element {
  const [view, setView] = useState<ViewState>(() => ({ entropies: restoredEntropies() }));

  useEffect(() => {
    const onMessage = (event: MessageEvent): void => {
      const message = parseHostMessage(event.data);
      if (message === undefined) {
        console.warn('CNN Slicer: ignored a malformed message from the host:', event.data);
        return;
      }
      switch (message.type) {
        case 'host/hello':
          setView((v) => ({ ...v, theme: message.theme, hostProtocolVersion: message.protocolVersion }));
          return;
        case 'host/channelEntropies':
          setState(message);
          setView((v) => ({ ...v, entropies: message }));
          return;
        default:
          assertNever(message);
      }
    };
    window.addEventListener('message', onMessage);
    // Announce readiness only once the listener exists, so the host's reply cannot be lost.
    postToHost({ type: 'webview/ready', protocolVersion: PROTOCOL_VERSION });
    return () => window.removeEventListener('message', onMessage);
  }, []);

  const versionMismatch = view.hostProtocolVersion !== undefined && view.hostProtocolVersion !== PROTOCOL_VERSION;

  return (
    <main style={styles.root} data-theme={view.theme}>
      {versionMismatch && (
        <p role="alert">
          This view speaks protocol version {PROTOCOL_VERSION}, but CNN Slicer sent version {view.hostProtocolVersion}.
          Run “Developer: Reload Window” to load matching versions.
        </p>
      )}
      {view.entropies === undefined ? (
        <p>Waiting for data from CNN Slicer…</p>
      ) : (
        <ChannelEntropyList layerName={view.entropies.layerName} channels={view.entropies.channels} />
      )}
    </main>
  );
}

function ChannelEntropyList(props: { layerName: string; channels: ChannelEntropy[] }): JSX.Element {
  const { layerName, channels } = props;
  // d3's max skips nulls; a layer with no finite estimate (or only zeros) still needs a
  // non-empty domain, otherwise d3 maps every value to the middle of the range.
  const maxBits = max(channels, (c) => c.entropyBits) ?? 0;
  const widthPercent = scaleLinear()
    .domain([0, maxBits > 0 ? maxBits : 1])
    .range([0, TRACK_PERCENT])
    .clamp(true);

  return (
    <section>
      <h2>
        <button
          type="button"
          style={styles.layerButton}
          title="Reveal this layer in the editor"
          onClick={() => postToHost({ type: 'webview/revealLayer', layerName })}
        >
          {layerName}
        </button>
      </h2>
      <ul role="list" aria-label={`Channel entropies of layer ${layerName}, in bits`} style={styles.list}>
        {channels.map((c) => (
          <ChannelRow key={c.channel} entry={c} widthPercent={widthPercent} />
        ))}
      </ul>
    </section>
  );
}

function ChannelRow(props: { entry: ChannelEntropy; widthPercent: (bits: number) => number }): JSX.Element {
  const { channel, entropyBits } = props.entry;
  if (entropyBits === null) {
    return (
      <li role="listitem" aria-label={`channel ${channel}: entropy undefined, no estimate`} style={styles.row}>
        <span style={styles.label}>
          channel {channel} — <span style={styles.undefinedText}>undefined</span>
        </span>
        <span style={styles.track} aria-hidden="true">
          <span style={{ ...styles.undefinedMarker, display: 'block' }} />
        </span>
      </li>
    );
  }
  return (
    <li role="listitem" aria-label={`channel ${channel}: ${entropyBits} bits`} style={styles.row}>
      <span style={styles.label}>
        channel {channel} — {entropyBits.toFixed(2)} bits
      </span>
      <span style={styles.track} aria-hidden="true">
        <span style={{ ...styles.bar, display: 'block', width: `${props.widthPercent(entropyBits)}%` }} />
      </span>
    </li>
  );
}

function mount(): void {
  // A report page may provide its own container; otherwise the body is the app.
  render(<App />, document.getElementById('root') ?? document.body);
}

if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', mount, { once: true });
} else {
  mount();
}
