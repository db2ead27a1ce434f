// JSX types for the @vscode-elements/elements web components the views use (they ship no Preact
// typings). Attributes are passed through as-is.
import type { HTMLAttributes } from 'preact';

type VscodeElementProps = HTMLAttributes<HTMLElement> & Record<string, unknown>;

declare module 'preact' {
  namespace JSX {
    interface IntrinsicElements {
      'vscode-button': VscodeElementProps;
      'vscode-checkbox': VscodeElementProps;
      'vscode-single-select': VscodeElementProps;
      'vscode-option': VscodeElementProps;
      'vscode-progress-ring': VscodeElementProps;
      'vscode-textfield': VscodeElementProps;
      'vscode-badge': VscodeElementProps;
      'vscode-divider': VscodeElementProps;
    }
  }
}
