// The only module that talks to the VS Code webview API. VS Code allows the API object to be
// acquired once per webview, so keeping the call here makes a second, throwing call impossible,
// and lets the same bundle run as a standalone HTML report in an ordinary browser.
import type { WebviewToHost } from '../src/contract/webviewProtocol';

interface VsCodeApi {
  postMessage(m: unknown): void;
  getState(): unknown;
  setState(s: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

function connect(): VsCodeApi {
  // `typeof` is the one test that does not throw when the global was never defined.
  if (typeof acquireVsCodeApi === 'function') return acquireVsCodeApi();
  // Outside VS Code there is no host to talk to. Messages are logged so a report opened in a
  // browser still shows what a click would have asked for, and state lives only as long as the page.
  let state: unknown;
  return {
    postMessage(m: unknown): void {
      console.info('CNN Slicer: no VS Code host, message not sent:', m);
    },
    getState(): unknown {
      return state;
    },
    setState(s: unknown): void {
      state = s;
    },
  };
}

const host = connect();

/** Sends a typed message to the extension host (or logs it when running outside VS Code). */
export function postToHost(message: WebviewToHost): void {
  host.postMessage(message);
}

/** The state saved with `setState`, which VS Code keeps while the webview is hidden. Untrusted: validate it. */
export function getState(): unknown {
  return host.getState();
}

/** Saves state that survives the webview being hidden and shown again. It must be JSON-serialisable. */
export function setState(state: unknown): void {
  host.setState(state);
}
