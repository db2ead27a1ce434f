// The control experiments "Run Control Experiment…" offers (the recorder's `control` option,
// src/contract/protocols/recorder.ts): the kinds, the number each needs and its check, and the spec string.
// Pure (the `L10n` stand-in in tests), tested in test/unit/extension/recording/controlSpec.test.ts.
import { BORDER_CONTENT_MAX_SHARE, type ControlProposal } from '../../analysis/borderContent';
import type { L10n } from '../l10n';

export const CONTROL_KINDS = ['border', 'mask-centre', 'shuffle-pixels', 'shuffle-labels'] as const;
export type ControlKind = (typeof CONTROL_KINDS)[number];

/** The largest border asked for: wider than any image the built-in datasets have. */
export const MAX_BORDER_PIXELS = 1000;

/** What a kind is, for its quick pick item. */
export function controlKindItem(kind: ControlKind, l10n: L10n): { label: string; detail: string } {
  switch (kind) {
    case 'border':
      return {
        label: 'border:N',
        detail: l10n.t('Keep only an N-pixel border of each image: does the model classify from the border alone?'),
      };
    case 'mask-centre':
      return {
        label: 'mask-centre:F',
        detail: l10n.t('Zero the central fraction F of each image: does it classify without the object?'),
      };
    case 'shuffle-pixels':
      return {
        label: 'shuffle-pixels',
        detail: l10n.t('Permute the pixels with one fixed permutation: does it need the spatial layout?'),
      };
    case 'shuffle-labels':
      return {
        label: 'shuffle-labels',
        detail: l10n.t('Permute the labels: the memorisation baseline (its probe accuracy should stay near chance)'),
      };
  }
}

/** Whether a kind takes a number (N for border, F for mask-centre). */
export function needsValue(kind: ControlKind): boolean {
  return kind === 'border' || kind === 'mask-centre';
}

/** Why `text` is not a valid value for `kind` (an input box's validation message), or undefined when it is. */
export function controlValueProblem(kind: ControlKind, text: string, l10n: L10n): string | undefined {
  const t = text.trim();
  if (kind === 'border') {
    const n = Number(t);
    if (!/^\d+$/.test(t) || !Number.isInteger(n) || n < 1 || n > MAX_BORDER_PIXELS)
      return l10n.t('A whole number of pixels from 1 to {0}', MAX_BORDER_PIXELS);
    return undefined;
  }
  if (kind === 'mask-centre') {
    const f = Number(t);
    if (!/^(\d+(\.\d*)?|\.\d+)$/.test(t) || !(f > 0 && f < 1)) return l10n.t('A fraction between 0 and 1 (exclusive), e.g. 0.5');
    return undefined;
  }
  return undefined;
}

/** The spec string of a kind and its value (`border:4`, `mask-centre:0.5`, `shuffle-pixels`); undefined for an invalid value. */
export function controlSpec(kind: ControlKind, value: string | undefined, l10n: L10n): string | undefined {
  if (!needsValue(kind)) return kind;
  if (value === undefined || controlValueProblem(kind, value, l10n) !== undefined) return undefined;
  return `${kind}:${Number(value.trim())}`;
}

/** A share as the proposal says it ("1.4%", "0.0%"). */
function percent(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

/**
 * Why the default control is proposed, in one sentence (src/analysis/borderContent.ts
 * `proposeControl`, measured on the source run's probe inputs): the widest border that differs from
 * the background in under 1% of them, else `shuffle-pixels` because even the 1-pixel border does.
 */
export function proposalReason(p: ControlProposal, l10n: L10n): string {
  const limit = percent(BORDER_CONTENT_MAX_SHARE);
  if (p.kind === 'border')
    return l10n.t(
      'Proposed: the widest border that differs from the background in under {0} of the {1} probe inputs ({2}), so it keeps no content of the task.',
      limit,
      p.inputs,
      percent(p.inputShare),
    );
  if (p.inputShare === undefined) return l10n.t('Proposed: these images are too small for a border control.');
  return l10n.t(
    'Proposed: even the 1-pixel border differs from the background in {0} of the {1} probe inputs (a border control needs under {2}): every border holds content of the task.',
    percent(p.inputShare),
    p.inputs,
    limit,
  );
}

/** The kinds in the order the quick pick offers them: the proposed one first, then the others in CONTROL_KINDS order. */
export function offeredKinds(proposed: ControlKind | undefined): ControlKind[] {
  return proposed === undefined ? [...CONTROL_KINDS] : [proposed, ...CONTROL_KINDS.filter((k) => k !== proposed)];
}
