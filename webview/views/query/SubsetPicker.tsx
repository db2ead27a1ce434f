// The input axis x of the draft slice: all probe inputs, some classes, n per class, or a custom list.
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import type { InputSubset } from '../../../src/analysis/subsets';
import { parseIndices } from '../../slice';
import { holdsSubset } from '../../data';
import { canonicalSubset } from '../../../src/contract/plan';
import { useApp } from '../../state';
import { classLabel } from './ReportSubsetNote';

export function SubsetPicker(props: { subset: InputSubset; setSubset: (s: InputSubset) => void }): JSX.Element {
  const { manifest, data } = useApp();
  const { subset, setSubset } = props;
  const classNames = manifest.dataset.classNames;
  const [customText, setCustomText] = useState(subset.kind === 'indices' ? subset.indices.join(', ') : '');
  const [customError, setCustomError] = useState('');
  const kinds: { kind: InputSubset['kind']; label: string }[] = [
    { kind: 'all', label: `All ${manifest.probe.size} probe inputs` },
    { kind: 'classes', label: 'Classes' },
    { kind: 'perClass', label: 'n per class' },
    { kind: 'indices', label: 'Custom' },
  ];
  const choose = (kind: InputSubset['kind']) => {
    if (kind === 'all') setSubset({ kind: 'all' });
    else if (kind === 'classes') setSubset({ kind: 'classes', classes: classNames.map((_, i) => i) });
    else if (kind === 'perClass') setSubset({ kind: 'perClass', count: 10, seed: 0 });
    else setSubset({ kind: 'indices', indices: parseIndices(customText, manifest.probe.size).indices ?? [0] });
  };
  return (
    <fieldset class="subset-picker">
      <legend>Inputs x</legend>
      <div role="radiogroup" aria-label="Input subset" class="subset-kinds">
        {kinds.map((k) => (
          <label key={k.kind}>
            <input
              type="radio"
              name="subset-kind"
              checked={subset.kind === k.kind}
              onChange={() => choose(k.kind)}
              data-testid={`subset-${k.kind}`}
            />{' '}
            {k.label}
          </label>
        ))}
      </div>
      {data.mode === 'report' && <HeldSubsets subset={subset} setSubset={setSubset} />}
      {subset.kind === 'classes' && (
        <div class="class-legend" aria-label="Classes in the slice">
          {classNames.map((name, c) => (
            <label key={c}>
              <input
                type="checkbox"
                checked={subset.classes.includes(c)}
                onChange={() => {
                  const classes = subset.classes.includes(c)
                    ? subset.classes.filter((x) => x !== c)
                    : [...subset.classes, c].sort((a, b) => a - b);
                  if (classes.length) setSubset({ kind: 'classes', classes });
                }}
              />{' '}
              {name} <span class="muted">({manifest.probe.classCounts[c] ?? 0})</span>
            </label>
          ))}
        </div>
      )}
      {subset.kind === 'perClass' && (
        <div class="subset-row">
          <label>
            n ={' '}
            <input
              type="number"
              min={1}
              max={manifest.probe.size}
              value={subset.count}
              aria-label="Inputs per class"
              onChange={(e) => setSubset({ ...subset, count: Math.max(1, Math.floor(Number((e.target as HTMLInputElement).value) || 1)) })}
            />
          </label>{' '}
          <label>
            seed{' '}
            <input
              type="number"
              min={0}
              value={subset.seed ?? 0}
              aria-label="Random seed"
              onChange={(e) => setSubset({ ...subset, seed: Math.max(0, Math.floor(Number((e.target as HTMLInputElement).value) || 0)) })}
            />
          </label>
          <span class="muted"> drawn without replacement from each class of the probe set</span>
        </div>
      )}
      {subset.kind === 'indices' && (
        <div class="subset-row">
          <label>
            Probe inputs{' '}
            <input
              type="text"
              value={customText}
              placeholder="e.g. 0, 5, 10-20"
              aria-label="Probe input indices, comma separated, ranges with a dash"
              aria-invalid={customError !== ''}
              onInput={(e) => {
                const text = (e.target as HTMLInputElement).value;
                setCustomText(text);
                const r = parseIndices(text, manifest.probe.size);
                setCustomError(r.error ?? '');
                if (r.indices) setSubset({ kind: 'indices', indices: r.indices });
              }}
            />
          </label>
          {customError && <span class="warning"> {customError}</span>}
        </div>
      )}
    </fieldset>
  );
}

/**
 * In a report, the input subsets it holds (all inputs, each class alone), one click each: any other
 * subset leaves the charts that need it empty, so the picker says which ones are whole.
 */
function HeldSubsets(props: { subset: InputSubset; setSubset: (s: InputSubset) => void }): JSX.Element {
  const { manifest, data } = useApp();
  const held = data.subsets ?? [];
  const current = JSON.stringify(props.subset);
  const name = (s: InputSubset) =>
    s.kind === 'classes' ? s.classes.map((c) => classLabel(manifest.dataset.classNames, c)).join(', ') : '';
  return (
    <div class="subset-row held-subsets" role="group" aria-label="Input subsets this report holds" data-testid="held-subsets">
      <span class="muted">This report holds all inputs{held.length ? ' and each class alone' : ''}: </span>
      <button type="button" class="toggle" aria-pressed={props.subset.kind === 'all'} onClick={() => props.setSubset({ kind: 'all' })}>
        all
      </button>
      {held.map((s) => (
        <button
          key={JSON.stringify(s)}
          type="button"
          class="toggle"
          data-testid="held-subset"
          aria-pressed={JSON.stringify(s) === current}
          onClick={() => props.setSubset(s)}
        >
          {name(s)}
        </button>
      ))}
      {!holdsSubset(data, canonicalSubset(props.subset, manifest.dataset.classNames.length)) && (
        <span class="muted" data-testid="subset-not-held">
          {' '}
          — not this subset: the charts that need it will say so (open the run in VS Code to compute it).
        </span>
      )}
    </div>
  );
}
