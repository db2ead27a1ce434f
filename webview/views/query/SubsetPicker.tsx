// The input axis x of the draft slice: all probe inputs, some classes, n per class, or a custom list.
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import type { InputSubset } from '../../../src/analysis/subsets';
import { parseIndices } from '../../slice';
import { useApp } from '../../state';

export function SubsetPicker(props: { subset: InputSubset; setSubset: (s: InputSubset) => void }): JSX.Element {
  const { manifest } = useApp();
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
