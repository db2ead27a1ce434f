// The host↔webview message protocol. Both sides import this file, so it imports nothing:
// the extension host must not pull webview code in, and the webview bundle must not pull in
// anything from the host.
//
// Messages are discriminated unions keyed by `type`, named `scope/verb`. Every message that
// crosses the boundary is validated by `parseHostMessage` / `parseWebviewMessage`, because
// `postMessage` delivers whatever the other side (or a stale webview from an older version)
// sent, and TypeScript types say nothing about that at run time.

/** Bumped whenever a message changes shape; both sides compare it at the handshake. */
export const PROTOCOL_VERSION = 1;

/** Longest string accepted in any field: layer names are short, and a bound stops a runaway message. */
export const MAX_STRING_LENGTH = 500;

/** Most array elements accepted in any field; large enough for any real layer's channel count. */
export const MAX_ARRAY_LENGTH = 100_000;

export type WebviewTheme = 'light' | 'dark' | 'high-contrast';

export interface ChannelEntropy {
  /** Zero-based channel index within the layer. */
  channel: number;
  /** Shannon entropy in bits, or null where no estimate exists (for example, no finite samples). */
  entropyBits: number | null;
}

export type HostToWebview =
  | { type: 'host/hello'; protocolVersion: number; theme: WebviewTheme }
  | { type: 'host/channelEntropies'; layerName: string; channels: ChannelEntropy[] };

export type WebviewToHost =
  | { type: 'webview/ready'; protocolVersion: number }
  | { type: 'webview/revealLayer'; layerName: string };

/** Ends an exhaustive `switch` over a union: adding a message type without handling it fails to compile. */
export function assertNever(value: never): never {
  throw new Error(`Unhandled protocol message: ${JSON.stringify(value)}`);
}

/** Returns a fresh, fully validated host message, or undefined for anything malformed. */
export function parseHostMessage(x: unknown): HostToWebview | undefined {
  if (!isRecord(x)) return undefined;
  switch (x.type) {
    case 'host/hello': {
      const { protocolVersion, theme } = x;
      if (!isProtocolVersion(protocolVersion) || !isTheme(theme)) return undefined;
      return { type: 'host/hello', protocolVersion, theme };
    }
    case 'host/channelEntropies': {
      const { layerName, channels } = x;
      if (!isBoundedString(layerName) || !isBoundedArray(channels)) return undefined;
      const parsed: ChannelEntropy[] = [];
      for (const item of channels) {
        const entry = parseChannelEntropy(item);
        if (entry === undefined) return undefined;
        parsed.push(entry);
      }
      return { type: 'host/channelEntropies', layerName, channels: parsed };
    }
    default:
      return undefined;
  }
}

/** Returns a fresh, fully validated webview message, or undefined for anything malformed. */
export function parseWebviewMessage(x: unknown): WebviewToHost | undefined {
  if (!isRecord(x)) return undefined;
  switch (x.type) {
    case 'webview/ready': {
      const { protocolVersion } = x;
      if (!isProtocolVersion(protocolVersion)) return undefined;
      return { type: 'webview/ready', protocolVersion };
    }
    case 'webview/revealLayer': {
      const { layerName } = x;
      if (!isBoundedString(layerName)) return undefined;
      return { type: 'webview/revealLayer', layerName };
    }
    default:
      return undefined;
  }
}

function parseChannelEntropy(x: unknown): ChannelEntropy | undefined {
  if (!isRecord(x)) return undefined;
  const { channel, entropyBits } = x;
  // A channel is an index, so fractions and negatives are as malformed as strings.
  if (!isFiniteNumber(channel) || !Number.isInteger(channel) || channel < 0) return undefined;
  // null is the one way to say "no estimate"; NaN and Infinity are rejected so they never
  // reach a scale and get drawn as a bar.
  if (entropyBits !== null && !isFiniteNumber(entropyBits)) return undefined;
  return { channel, entropyBits };
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function isFiniteNumber(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}

function isBoundedString(x: unknown): x is string {
  return typeof x === 'string' && x.length <= MAX_STRING_LENGTH;
}

function isBoundedArray(x: unknown): x is unknown[] {
  return Array.isArray(x) && x.length <= MAX_ARRAY_LENGTH;
}

function isProtocolVersion(x: unknown): x is number {
  return isFiniteNumber(x) && Number.isInteger(x) && x >= 1;
}

function isTheme(x: unknown): x is WebviewTheme {
  return x === 'light' || x === 'dark' || x === 'high-contrast';
}
